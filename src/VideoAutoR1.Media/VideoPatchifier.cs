namespace VideoAutoR1.Media;

/// <summary>
/// Rescale + CLIP normalisation (HF's fused form), temporal padding and the processor's patchify order
/// (qwen-vl-spec.md §E.3, §E.5, §E.6), in one pass from resized HWC uint8 frames to <c>pixel_values_videos</c>.
/// </summary>
public static class VideoPatchifier
{
    public const int PatchSize = 14;
    public const int SpatialMergeSize = 2;
    public const int Channels = 3;
    public const int PatchDim = Channels * FrameSampler.TemporalPatchSize * PatchSize * PatchSize;

    private const double RescaleFactor = 1.0 / 255;
    private static readonly double[] ClipMean = [0.48145466, 0.4578275, 0.40821073];
    private static readonly double[] ClipStd = [0.26862954, 0.26130258, 0.27577711];

    // HF's torch processors fuse rescale into normalise: float32 mean and std times 1/rescale_factor, in float32.
    private static readonly float[] FusedMean = Array.ConvertAll(ClipMean, m => (float)m * (float)(1.0 / RescaleFactor));
    private static readonly float[] FusedStd = Array.ConvertAll(ClipStd, s => (float)s * (float)(1.0 / RescaleFactor));

    /// <summary>Grid (t, h, w) in patches for <paramref name="frameCount"/> frames of the given size, after temporal padding.</summary>
    public static (int T, int H, int W) Grid(int frameCount, int height, int width)
    {
        var factor = PatchSize * SpatialMergeSize;
        if (height % factor != 0 || width % factor != 0 || frameCount < 1)
        {
            throw new ArgumentException($"frames must be multiples of {factor} pixels; got {width}x{height}");
        }

        var padded = (frameCount + FrameSampler.TemporalPatchSize - 1) / FrameSampler.TemporalPatchSize;
        return (padded, height / PatchSize, width / PatchSize);
    }

    /// <summary>
    /// Rows in order (t-group, block-row, block-col, my, mx), columns (c, tp, py, px). An odd frame count is padded
    /// by repeating the last frame.
    /// </summary>
    public static float[] Patchify(IReadOnlyList<byte[]> frames, int height, int width)
    {
        var (gridT, gridH, gridW) = Grid(frames.Count, height, width);
        var output = new float[gridT * gridH * gridW * PatchDim];
        var row = 0;
        for (var t = 0; t < gridT; t++)
        {
            for (var by = 0; by < gridH / SpatialMergeSize; by++)
            {
                for (var bx = 0; bx < gridW / SpatialMergeSize; bx++)
                {
                    for (var my = 0; my < SpatialMergeSize; my++)
                    {
                        for (var mx = 0; mx < SpatialMergeSize; mx++)
                        {
                            var py0 = ((by * SpatialMergeSize) + my) * PatchSize;
                            var px0 = ((bx * SpatialMergeSize) + mx) * PatchSize;
                            WritePatchRow(frames, t, py0, px0, width, output.AsSpan(row * PatchDim, PatchDim));
                            row++;
                        }
                    }
                }
            }
        }

        return output;
    }

    private static void WritePatchRow(IReadOnlyList<byte[]> frames, int t, int py0, int px0, int width, Span<float> destination)
    {
        var column = 0;
        for (var c = 0; c < Channels; c++)
        {
            var mean = FusedMean[c];
            var std = FusedStd[c];
            for (var tp = 0; tp < FrameSampler.TemporalPatchSize; tp++)
            {
                var frame = frames[Math.Min((t * FrameSampler.TemporalPatchSize) + tp, frames.Count - 1)];
                for (var py = 0; py < PatchSize; py++)
                {
                    var offset = ((((py0 + py) * width) + px0) * Channels) + c;
                    for (var px = 0; px < PatchSize; px++)
                    {
                        destination[column++] = (frame[offset + (px * Channels)] - mean) / std;
                    }
                }
            }
        }
    }
}
