using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace VideoAutoR1.Media;

/// <summary>
/// Limits and defaults of the media pipeline, bound from configuration section "Media". Defaults reproduce
/// VideoAuto-R1's Qwen2.5-VL evaluation (docs/specs/videoauto-r1.md §5): 2 fps, at most 256 frames, 16–768 tokens per frame
/// pair, 16384 video tokens in total.
/// </summary>
public sealed class MediaOptions
{
    public const string SectionName = "Media";

    /// <summary>One LLM video token covers 28×28 pixels of a frame pair (patch 14 · merge 2).</summary>
    public const int PixelsPerToken = 28 * 28;

    /// <summary>Folder holding the ffmpeg and ffprobe binaries; empty means the PATH.</summary>
    public string BinaryFolder { get; set; } = "";

    [Range(0.01, 60)]
    public double Fps { get; set; } = 2.0;

    /// <summary>Highest fps a request gets; a request asking more is lowered to it (the service's former cap, 4).</summary>
    [Range(0.01, 60)]
    public double MaxFps { get; set; } = 4.0;

    [Range(2, 4096)]
    public int MinFrames { get; set; } = 4;

    /// <summary>Frame cap; a request asking more frames is lowered to it.</summary>
    [Range(2, 4096)]
    public int MaxFrames { get; set; } = 256;

    [Range(PixelsPerToken, int.MaxValue)]
    public int MinPixels { get; set; } = 16 * PixelsPerToken;

    /// <summary>Per-frame pixel cap; a request asking more is lowered to it.</summary>
    [Range(PixelsPerToken, int.MaxValue)]
    public int MaxPixels { get; set; } = 768 * PixelsPerToken;

    /// <summary>qwen-vl-utils <c>total_pixels</c>: the whole video's pixel budget (16384 tokens).</summary>
    [Range(PixelsPerToken, long.MaxValue)]
    public long TotalPixels { get; set; } = 16384L * PixelsPerToken;

    public FrameSamplerKind Sampler { get; set; } = FrameSamplerKind.QwenVlUtils;

    /// <summary>Float (R2) is what qwen-vl-utils, and so VideoAuto-R1, used; Uint8 (R1) is the HF processor alone.</summary>
    public ResizeKernel ResizeKernel { get; set; } = ResizeKernel.Float;

    public SmartResizeRule SmartResizeRule { get; set; } = SmartResizeRule.QwenVlUtils;

    /// <summary>Longest accepted video; longer ones are refused after the probe, before any decoding.</summary>
    [Range(1, 24 * 3600)]
    public double MaxDurationSeconds { get; set; } = 3600;

    /// <summary>Largest accepted video: an upload (multipart part, gRPC chunks, OpenAI data: URL) or a download.</summary>
    [Range(1, long.MaxValue)]
    public long MaxBytes { get; set; } = 256L << 20;

    /// <summary>Largest accepted frame side in pixels (8K UHD is 7680×4320); bigger streams are refused.</summary>
    [Range(28, 65536)]
    public int MaxFrameSide { get; set; } = 8192;

    /// <summary>Videos processed at once; further requests wait in a queue.</summary>
    [Range(1, 256)]
    public int MaxConcurrency { get; set; } = 2;

    /// <summary>Requests allowed to wait for a worker; beyond that the pipeline answers "overloaded".</summary>
    [Range(0, 100_000)]
    public int MaxQueue { get; set; } = 64;

    /// <summary>Wall-clock limit for one video once it has a worker: fetch, probe, decode and preprocess.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan VideoTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Root for <see cref="VideoSource.ServerPath"/>; null disables server-local paths.</summary>
    public string? ServerPathRoot { get; set; }

    /// <summary>Whether video URLs are fetched at all (<see cref="VideoUrlPolicy"/> holds every URL rule).</summary>
    public bool AllowUrls { get; set; } = true;

    /// <summary>Allowed URL schemes; only http and https are meaningful.</summary>
    [MinLength(1)]
    public string[] AllowedUrlSchemes { get; set; } = ["https", "http"];

    /// <summary>Allowed URL host names (exact, or "*.example.com" for subdomains). Empty = any host.</summary>
    public string[] AllowedUrlHosts { get; set; } = [];

    /// <summary>
    /// The one SSRF switch. Off (the default): URLs whose host resolves to any non-global address (loopback, private,
    /// link-local, the IANA special-purpose blocks) are refused at admission and at connect. On: test and on-premise
    /// escape hatch.
    /// </summary>
    public bool AllowPrivateAddresses { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan UrlTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Where uploaded or downloaded bytes are spooled for ffmpeg (it needs seekable input for MP4); null = system temp.</summary>
    public string? TempDirectory { get; set; }
}

/// <summary>Cross-field rules DataAnnotations cannot express.</summary>
public sealed class MediaOptionsValidator : IValidateOptions<MediaOptions>
{
    public ValidateOptionsResult Validate(string? name, MediaOptions options)
    {
        var failures = new List<string>();
        if (options.MinFrames > options.MaxFrames)
        {
            failures.Add($"Media:MinFrames ({options.MinFrames}) exceeds Media:MaxFrames ({options.MaxFrames}).");
        }

        if (options.MinPixels > options.MaxPixels)
        {
            failures.Add($"Media:MinPixels ({options.MinPixels}) exceeds Media:MaxPixels ({options.MaxPixels}).");
        }

        if (options.Fps > options.MaxFps)
        {
            failures.Add($"Media:Fps ({options.Fps}) exceeds Media:MaxFps ({options.MaxFps}).");
        }

        foreach (var scheme in options.AllowedUrlSchemes)
        {
            if (scheme is not ("http" or "https"))
            {
                failures.Add($"Media:AllowedUrlSchemes: '{scheme}' is not http or https.");
            }
        }

        if (options.ServerPathRoot is { } root && !Path.IsPathFullyQualified(root))
        {
            failures.Add($"Media:ServerPathRoot must be an absolute path, got '{root}'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
