using VideoAutoR1.Core;

namespace VideoAutoR1.Media;

/// <summary>The two published variants of <c>smart_resize</c> (docs/specs/qwen-vl.md §E.2).</summary>
public enum SmartResizeRule
{
    /// <summary>qwen-vl-utils: <c>max(factor, round(x/factor)·factor)</c> first, plain floor when downscaling.</summary>
    QwenVlUtils,

    /// <summary>HF image processor: plain round first, <c>max(factor, floor(…))</c> when downscaling.</summary>
    HuggingFace,
}

/// <summary>Target frame size: both sides multiples of <c>factor</c>, area within [min, max] pixels, aspect kept.</summary>
public static class SmartResize
{
    /// <summary>Qwen's limit on max(h, w) / min(h, w); beyond it <c>smart_resize</c> raises.</summary>
    public const double MaxAspectRatio = 200;

    public static (int Height, int Width) Compute(int height, int width, int factor, double minPixels, double maxPixels, SmartResizeRule rule)
    {
        if (Math.Max(height, width) / (double)Math.Min(height, width) > MaxAspectRatio)
        {
            throw new VideoQaException(ErrorKind.UnsupportedMedia, "video_aspect_ratio",
                $"aspect ratio of {width}x{height} exceeds {MaxAspectRatio}:1");
        }

        var floorFirst = rule == SmartResizeRule.QwenVlUtils ? factor : 0;
        var floorDown = rule == SmartResizeRule.HuggingFace ? factor : 0;
        double hBar = Math.Max(floorFirst, RoundToFactor(height, factor));
        double wBar = Math.Max(floorFirst, RoundToFactor(width, factor));
        if (hBar * wBar > maxPixels)
        {
            var beta = Math.Sqrt(height * (double)width / maxPixels);
            hBar = Math.Max(floorDown, Math.Floor(height / beta / factor) * factor);
            wBar = Math.Max(floorDown, Math.Floor(width / beta / factor) * factor);
        }
        else if (hBar * wBar < minPixels)
        {
            var beta = Math.Sqrt(minPixels / (height * (double)width));
            hBar = Math.Ceiling(height * beta / factor) * factor;
            wBar = Math.Ceiling(width * beta / factor) * factor;
        }

        if (hBar < factor || wBar < factor)
        {
            // qwen-vl-utils can floor a side to 0 when max_pixels is tiny against a long thin frame.
            throw new VideoQaException(ErrorKind.UnsupportedMedia, "video_aspect_ratio",
                $"{width}x{height} cannot be resized within {maxPixels} pixels at a {factor}-pixel grid");
        }

        return ((int)hBar, (int)wBar);
    }

    /// <summary>
    /// qwen-vl-utils <c>fetch_video</c>'s per-frame cap for a video of <paramref name="frameCount"/> frames:
    /// <c>max(min(VIDEO_MAX, total/n·2), int(min·1.05))</c>, then bounded by the caller's max. A float, as in Python:
    /// <c>smart_resize</c>'s beta depends on the unrounded value.
    /// </summary>
    public static double VideoMaxPixels(long minPixels, long maxPixels, long totalPixels, int frameCount, long videoMaxPixels)
    {
        var budget = Math.Max(Math.Min(videoMaxPixels, totalPixels / (double)frameCount * FrameSampler.TemporalPatchSize), (long)(minPixels * 1.05));
        return Math.Min(maxPixels, budget);
    }

    /// <summary>
    /// Qwen3-VL's video <c>smart_resize</c>: the budget is for the whole clip, t_bar·h·w within [min, max] pixels
    /// (<c>size.shortest_edge</c> / <c>size.longest_edge</c>), with t_bar the frame count rounded to temporal groups.
    /// </summary>
    public static (int Height, int Width) ComputeClip(int frames, int height, int width, int temporalFactor, int factor, double minPixels, double maxPixels)
    {
        double h = height, w = width;
        if (h < factor || w < factor)
        {
            var scale = Math.Max(factor / h, factor / w);
            h = Math.Truncate(h * scale);
            w = Math.Truncate(w * scale);
        }

        if (Math.Max(h, w) / Math.Min(h, w) > MaxAspectRatio)
        {
            throw new VideoQaException(ErrorKind.UnsupportedMedia, "video_aspect_ratio",
                $"aspect ratio of {width}x{height} exceeds {MaxAspectRatio}:1");
        }

        var hBar = Math.Round(h / factor, MidpointRounding.ToEven) * factor;
        var wBar = Math.Round(w / factor, MidpointRounding.ToEven) * factor;
        var tBar = Math.Round(frames / (double)temporalFactor, MidpointRounding.ToEven) * temporalFactor;
        if (tBar * hBar * wBar > maxPixels)
        {
            var beta = Math.Sqrt(frames * h * w / maxPixels);
            hBar = Math.Max(factor, Math.Floor(h / beta / factor) * factor);
            wBar = Math.Max(factor, Math.Floor(w / beta / factor) * factor);
        }
        else if (tBar * hBar * wBar < minPixels)
        {
            var beta = Math.Sqrt(minPixels / (frames * h * w));
            hBar = Math.Ceiling(h * beta / factor) * factor;
            wBar = Math.Ceiling(w * beta / factor) * factor;
        }

        return ((int)hBar, (int)wBar);
    }

    private static double RoundToFactor(int value, int factor) => Math.Round(value / (double)factor, MidpointRounding.ToEven) * factor;
}
