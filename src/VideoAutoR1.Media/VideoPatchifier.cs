namespace VideoAutoR1.Media;

/// <summary>
/// Rescale + CLIP normalisation (HF's fused form), temporal padding and the processor's patchify order
/// (docs/specs/qwen-vl.md §E.3, §E.5, §E.6), in one pass from resized HWC uint8 frames to <c>pixel_values_videos</c>.
/// </summary>
public static class VideoPatchifier
{
    public const int PatchSize = 14;
    public const int SpatialMergeSize = 2;
    public const int Channels = 3;
    public const int PatchDim = Channels * FrameSampler.TemporalPatchSize * PatchSize * PatchSize;

    private const double RescaleFactor = 1.0 / 255;

    /// <summary>Grid (t, h, w) in patches for <paramref name="frameCount"/> frames of the given size, after temporal padding.</summary>
    public static (int T, int H, int W) Grid(int frameCount, int height, int width) =>
        Grid(frameCount, height, width, VisionPreprocessing.Qwen2_5_VL);

    public static (int T, int H, int W) Grid(int frameCount, int height, int width, VisionPreprocessing geometry)
    {
        var factor = geometry.Factor;
        if (height % factor != 0 || width % factor != 0 || frameCount < 1)
        {
            throw new ArgumentException($"frames must be multiples of {factor} pixels; got {width}x{height}");
        }

        var padded = (frameCount + geometry.TemporalPatchSize - 1) / geometry.TemporalPatchSize;
        return (padded, height / geometry.PatchSize, width / geometry.PatchSize);
    }

    /// <summary>Qwen2.5-VL's patchify (patch 14, CLIP normalisation).</summary>
    public static float[] Patchify(IReadOnlyList<byte[]> frames, int height, int width) =>
        Patchify(frames, height, width, VisionPreprocessing.Qwen2_5_VL);

    /// <summary>
    /// Rows in order (t-group, block-row, block-col, my, mx), columns (c, tp, py, px). An odd frame count is padded
    /// by repeating the last frame.
    /// </summary>
    public static float[] Patchify(IReadOnlyList<byte[]> frames, int height, int width, VisionPreprocessing geometry)
    {
        var (gridT, gridH, gridW) = Grid(frames.Count, height, width, geometry);
        var merge = geometry.MergeSize;
        var patch = geometry.PatchSize;
        var patchDim = geometry.PatchDim;

        // HF's torch processors fuse rescale into normalise: float32 mean and std times 1/rescale_factor, in float32.
        var mean = geometry.Mean.Select(m => (float)m * (float)(1.0 / RescaleFactor)).ToArray();
        var std = geometry.Std.Select(s => (float)s * (float)(1.0 / RescaleFactor)).ToArray();
        var output = new float[gridT * gridH * gridW * patchDim];
        var row = 0;
        for (var t = 0; t < gridT; t++)
        {
            for (var by = 0; by < gridH / merge; by++)
            {
                for (var bx = 0; bx < gridW / merge; bx++)
                {
                    for (var my = 0; my < merge; my++)
                    {
                        for (var mx = 0; mx < merge; mx++)
                        {
                            var py0 = ((by * merge) + my) * patch;
                            var px0 = ((bx * merge) + mx) * patch;
                            WritePatchRow(frames, t, py0, px0, width, geometry, mean, std, output.AsSpan(row * patchDim, patchDim));
                            row++;
                        }
                    }
                }
            }
        }

        return output;
    }

    private static void WritePatchRow(
        IReadOnlyList<byte[]> frames, int t, int py0, int px0, int width, VisionPreprocessing geometry, float[] mean, float[] std, Span<float> destination)
    {
        var column = 0;
        var patch = geometry.PatchSize;
        var temporal = geometry.TemporalPatchSize;
        for (var c = 0; c < Channels; c++)
        {
            for (var tp = 0; tp < temporal; tp++)
            {
                var frame = frames[Math.Min((t * temporal) + tp, frames.Count - 1)];
                for (var py = 0; py < patch; py++)
                {
                    var offset = ((((py0 + py) * width) + px0) * Channels) + c;
                    for (var px = 0; px < patch; px++)
                    {
                        destination[column++] = (frame[offset + (px * Channels)] - mean[c]) / std[c];
                    }
                }
            }
        }
    }
}
