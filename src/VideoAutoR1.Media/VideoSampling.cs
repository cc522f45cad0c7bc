using VideoAutoR1.Core;

namespace VideoAutoR1.Media;

/// <summary>
/// A request's frame sampling after defaults, ranges and caps: what the pipeline runs, never refused again. Only
/// <see cref="Resolve"/> builds one, so every caller (the service, the CLI, evaluation) gets the same rules.
/// </summary>
public sealed record VideoSampling
{
    private VideoSampling()
    {
    }

    public FrameSamplerKind Sampler { get; private init; }

    public double Fps { get; private init; }

    public int MinFrames { get; private init; }

    public int MaxFrames { get; private init; }

    public int MinPixels { get; private init; }

    public int MaxPixels { get; private init; }

    /// <summary>Start of the trimmed segment in seconds; null = from the beginning.</summary>
    public double? StartSeconds { get; private init; }

    /// <summary>End of the trimmed segment in seconds; null = to the end.</summary>
    public double? EndSeconds { get; private init; }

    /// <summary>The media layer's rows of the request-ranges table, with the settings that default and cap them.</summary>
    public static IReadOnlyList<FieldRange> Ranges { get; } =
    [
        new("sampling.fps", "fps_out_of_range", 0, double.PositiveInfinity, MinExclusive: true, Default: "Media:Fps", Cap: "Media:MaxFps"),
        new("sampling.min_frames", "frames_out_of_range", 1, double.PositiveInfinity, Default: "Media:MinFrames", Cap: "Media:MaxFrames"),
        new("sampling.max_frames", "frames_out_of_range", FrameSampler.TemporalPatchSize, double.PositiveInfinity, Default: "Media:MaxFrames", Cap: "Media:MaxFrames"),
        new("sampling.min_pixels", "pixels_out_of_range", MediaOptions.PixelsPerToken, double.PositiveInfinity, Default: "Media:MinPixels", Cap: "Media:MaxPixels"),
        new("sampling.max_pixels", "pixels_out_of_range", MediaOptions.PixelsPerToken, double.PositiveInfinity, Default: "Media:MaxPixels", Cap: "Media:MaxPixels"),
        new("sampling.start_seconds", "segment_out_of_range", 0, double.PositiveInfinity, Default: "0 (the beginning)"),
        new("sampling.end_seconds", "segment_out_of_range", 0, double.PositiveInfinity, MinExclusive: true, Default: "the end"),
    ];

    private static FieldRange Range(string field) => Ranges.First(r => r.Field == field);

    /// <summary>
    /// Merges <paramref name="request"/> with the <paramref name="options"/> defaults: a value outside its range is
    /// refused with its code, a value above its cap is lowered to the cap. min_frames above max_frames is refused
    /// when the caller gave both; when a default or a cap brings it there, max_frames wins, as qwen-vl-utils'
    /// <c>smart_nframes</c> (<c>min(max(n, min_frames), max_frames)</c>) does. min_pixels above max_pixels is refused
    /// after the caps, since no frame size satisfies both.
    /// </summary>
    public static VideoSampling Resolve(MediaOptions options, VideoSamplingRequest? request)
    {
        ArgumentNullException.ThrowIfNull(options);
        request ??= new VideoSamplingRequest();
        var fps = Math.Min(Range("sampling.fps").Check(request.Fps ?? options.Fps), options.MaxFps);

        var minFrames = Range("sampling.min_frames").Check(request.MinFrames ?? options.MinFrames);
        var maxFrames = Range("sampling.max_frames").Check(request.MaxFrames ?? options.MaxFrames);
        if (request is { MinFrames: { } askedMin, MaxFrames: { } askedMax } && askedMin > askedMax)
        {
            throw VideoQaException.InvalidArgument("frames_out_of_range", "sampling.max_frames",
                $"sampling.min_frames ({askedMin}) must not exceed sampling.max_frames ({askedMax}).");
        }

        var minPixels = Math.Min(Range("sampling.min_pixels").Check(request.MinPixels ?? options.MinPixels), options.MaxPixels);
        var maxPixels = Math.Min(Range("sampling.max_pixels").Check(request.MaxPixels ?? options.MaxPixels), options.MaxPixels);
        if (minPixels > maxPixels)
        {
            throw VideoQaException.InvalidArgument("pixels_out_of_range", "sampling.max_pixels",
                $"sampling.min_pixels ({minPixels}) must not exceed sampling.max_pixels ({maxPixels}).");
        }

        var start = request.StartSeconds is { } s ? Range("sampling.start_seconds").Check(s) : (double?)null;
        var end = request.EndSeconds is { } e ? Range("sampling.end_seconds").Check(e) : (double?)null;
        if (end <= (start ?? 0))
        {
            throw VideoQaException.InvalidArgument("segment_out_of_range", "sampling.end_seconds",
                "sampling.end_seconds must be after sampling.start_seconds.");
        }

        if (options.Sampler == FrameSamplerKind.HuggingFace && (start is not null || end is not null))
        {
            throw VideoQaException.InvalidArgument("segment_unsupported", "sampling.start_seconds",
                "the HuggingFace frame sampler does not trim; configure the QwenVlUtils sampler");
        }

        return new VideoSampling
        {
            Sampler = options.Sampler,
            Fps = fps,
            MinFrames = Math.Min(minFrames, options.MaxFrames),
            MaxFrames = Math.Min(maxFrames, options.MaxFrames),
            MinPixels = minPixels,
            MaxPixels = maxPixels,
            StartSeconds = start,
            EndSeconds = end,
        };
    }

    internal FrameSelection Select(VideoProbe probe) => Sampler switch
    {
        FrameSamplerKind.QwenVlUtils => FrameSampler.QwenVlUtils(probe.FrameCount, probe.AverageFps, Fps, MinFrames, MaxFrames, StartSeconds, EndSeconds),
        FrameSamplerKind.HuggingFace => FrameSampler.HuggingFace(probe.FrameCount, probe.AverageFps, Fps, MinFrames, MaxFrames),
        _ => throw new InvalidOperationException($"unknown sampler {Sampler}"),
    };
}
