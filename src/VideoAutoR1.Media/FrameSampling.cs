using VideoAutoR1.Core;

namespace VideoAutoR1.Media;

/// <summary>Which reference decides the sampled frame indices (docs/specs/qwen-vl.md §E.1).</summary>
public enum FrameSamplerKind
{
    /// <summary>qwen-vl-utils <c>smart_nframes</c> + <c>round(linspace)</c>: the pipeline VideoAuto-R1 used.</summary>
    QwenVlUtils,

    /// <summary>HF <c>Qwen2VLVideoProcessor.sample_frames</c>: <c>int(arange(0, total, total/n))</c>.</summary>
    HuggingFace,
}

/// <summary>The frames chosen from a video and the timing facts the model's rope index needs.</summary>
/// <param name="Indices">Absolute decoded-frame indices, ascending.</param>
/// <param name="SampleFps">n / total · source fps (qwen-vl-utils' <c>sample_fps</c>).</param>
/// <param name="SecondPerGridT">temporal_patch_size / sample fps.</param>
public sealed record FrameSelection(IReadOnlyList<int> Indices, double SampleFps, double SecondPerGridT);

/// <summary>Frame count and index rules of qwen-vl-utils and of HF's processor, reproduced bit for bit.</summary>
public static class FrameSampler
{
    public const int TemporalPatchSize = 2;

    /// <summary>qwen-vl-utils' FPS_MAX_FRAMES: the cap when the caller gives none.</summary>
    public const int ReferenceMaxFrames = 768;

    /// <summary>
    /// qwen-vl-utils <c>smart_nframes</c> + <c>torch.linspace(start, end, n).round()</c> (float32 linspace, half-to-even).
    /// <paramref name="totalFrames"/> and <paramref name="sourceFps"/> describe the whole stream; the optional
    /// trim is in seconds as with <c>video_start</c>/<c>video_end</c>.
    /// </summary>
    public static FrameSelection QwenVlUtils(
        int totalFrames, double sourceFps, double fps, int minFrames, int maxFrames, double? startSeconds = null, double? endSeconds = null)
    {
        var (first, last) = TrimRange(totalFrames, sourceFps, startSeconds, endSeconds);
        var total = last - first + 1;
        var minF = CeilToFactor(minFrames);
        var maxF = FloorToFactor(Math.Min(maxFrames, total));
        var n = total / sourceFps * fps;
        n = Math.Min(Math.Min(Math.Max(n, minF), maxF), total);
        var count = (int)(Math.Floor(n / TemporalPatchSize) * TemporalPatchSize);
        RequireCount(count, total);
        var indices = RoundHalfEven(LinspaceFloat32(first, last, count));
        var sampleFps = count / (double)total * sourceFps;
        return new FrameSelection(indices, sampleFps, TemporalPatchSize / sampleFps);
    }

    /// <summary>HF <c>Qwen2VLVideoProcessor.sample_frames</c> (only used with <c>do_sample_frames=True</c>).</summary>
    public static FrameSelection HuggingFace(int totalFrames, double sourceFps, double fps, int minFrames, int maxFrames)
    {
        var n = totalFrames / sourceFps * fps;
        n = Math.Min(Math.Min(Math.Max(n, minFrames), FloorToFactor(Math.Min(maxFrames, totalFrames))), totalFrames);
        var count = (int)(Math.Floor(n / TemporalPatchSize) * TemporalPatchSize);
        RequireCount(count, totalFrames);
        // torch.arange(0, total, total / n): length ceil(total / step) and values i·step in double, stored as
        // float32 (the default dtype), then .int() truncates. Rounding can make the length n + 1; HF keeps it.
        var step = totalFrames / (double)count;
        var length = (int)Math.Ceiling(totalFrames / step);
        var indices = new int[length];
        for (var i = 0; i < length; i++)
        {
            indices[i] = (int)(float)(i * step);
        }

        var sampleFps = count / (double)totalFrames * sourceFps;
        return new FrameSelection(indices, sampleFps, TemporalPatchSize / sampleFps);
    }

    /// <summary>
    /// HF <c>Qwen3VLVideoProcessor.sample_frames</c>: <c>n = int(total / source_fps · fps)</c> clamped to
    /// [min_frames, max_frames] and the frame count, then <c>numpy.linspace(0, total − 1, n).round()</c> (float64,
    /// half to even). n may be odd: patchify repeats the last frame.
    /// </summary>
    public static FrameSelection Qwen3(int totalFrames, double sourceFps, double fps, int minFrames, int maxFrames)
    {
        var count = (int)(totalFrames / sourceFps * fps);
        count = Math.Min(Math.Min(Math.Max(count, minFrames), maxFrames), totalFrames);
        RequireCount(count, totalFrames);
        var step = (totalFrames - 1) / (double)(count - 1);
        var indices = new int[count];
        for (var i = 0; i < count; i++)
        {
            // numpy: arange(n) · step + start, with the endpoint stored exactly.
            var value = i == count - 1 ? totalFrames - 1 : i * step;
            indices[i] = (int)Math.Round(value, MidpointRounding.ToEven);
        }

        var sampleFps = count / (double)totalFrames * sourceFps;
        return new FrameSelection(indices, sampleFps, TemporalPatchSize / sampleFps);
    }

    /// <summary>
    /// <c>Qwen3VLProcessor._calculate_timestamps</c>: frame times <c>index / source_fps</c> (the index list padded to
    /// whole temporal groups by repeating the last), then the mean of each group's first and last time.
    /// </summary>
    public static double[] GroupTimestamps(IReadOnlyList<int> indices, double sourceFps)
    {
        var padded = indices.ToList();
        while (padded.Count % TemporalPatchSize != 0)
        {
            padded.Add(padded[^1]);
        }

        var times = padded.Select(i => i / sourceFps).ToArray();
        return Enumerable.Range(0, times.Length / TemporalPatchSize)
            .Select(k => (times[k * TemporalPatchSize] + times[(k * TemporalPatchSize) + TemporalPatchSize - 1]) / 2)
            .ToArray();
    }

    /// <summary>
    /// torch.linspace in float32: <c>start + i·step</c> for the first half, <c>end − (n−1−i)·step</c> for the rest,
    /// step computed in float32 as <c>(end − start) / (n − 1)</c>.
    /// </summary>
    internal static float[] LinspaceFloat32(float start, float end, int count)
    {
        var result = new float[count];
        if (count == 1)
        {
            result[0] = start;
            return result;
        }

        var step = (end - start) / (count - 1);
        var half = count / 2;
        for (var i = 0; i < count; i++)
        {
            result[i] = i < half ? start + (i * step) : end - ((count - 1 - i) * step);
        }

        return result;
    }

    private static int[] RoundHalfEven(float[] values) =>
        Array.ConvertAll(values, v => (int)MathF.Round(v, MidpointRounding.ToEven));

    private static (int First, int Last) TrimRange(int totalFrames, double sourceFps, double? startSeconds, double? endSeconds)
    {
        var duration = totalFrames / sourceFps;
        var first = startSeconds is { } s ? (int)Math.Ceiling(Math.Clamp(s, 0, duration) * sourceFps) : 0;
        var last = endSeconds is { } e ? Math.Min((int)Math.Floor(Math.Clamp(e, 0, duration) * sourceFps), totalFrames - 1) : totalFrames - 1;
        if (last < first)
        {
            throw new VideoQaException(ErrorKind.InvalidArgument, "video_range_empty",
                $"start {startSeconds}s / end {endSeconds}s select no frame of a {duration:0.###} s video")
            { Field = "start_seconds" };
        }

        return (first, last);
    }

    private static void RequireCount(int count, int total)
    {
        if (count < TemporalPatchSize || count > total)
        {
            throw new VideoQaException(ErrorKind.UnsupportedMedia, "video_too_short",
                $"the video has {total} frame(s) in range; at least {TemporalPatchSize} are needed");
        }
    }

    private static int CeilToFactor(double value) => (int)(Math.Ceiling(value / TemporalPatchSize) * TemporalPatchSize);

    private static int FloorToFactor(double value) => (int)(Math.Floor(value / TemporalPatchSize) * TemporalPatchSize);
}
