using VideoAutoR1.Core;

namespace VideoAutoR1.Media;

/// <summary>A request's sampling knobs merged with the server defaults and clamped to the server caps.</summary>
internal sealed record SamplingPlan(
    FrameSamplerKind Sampler, double Fps, int MinFrames, int MaxFrames, int MinPixels, int MaxPixels, double? StartSeconds, double? EndSeconds)
{
    public static SamplingPlan Create(MediaOptions options, VideoSamplingRequest? request)
    {
        request ??= new VideoSamplingRequest();
        var fps = request.Fps ?? options.Fps;
        if (!(fps > 0) || fps > options.MaxFps)
        {
            throw Invalid("fps", $"fps must be in (0, {options.MaxFps}]");
        }

        var maxFrames = Math.Min(request.MaxFrames ?? options.MaxFrames, options.MaxFrames);
        var minFrames = request.MinFrames ?? options.MinFrames;
        // min_frames above max_frames is not an error: smart_nframes' min(max(n, min), max, total) lets max win.
        if (maxFrames < FrameSampler.TemporalPatchSize || minFrames < 1)
        {
            throw Invalid("max_frames", $"need min_frames >= 1 and max_frames >= {FrameSampler.TemporalPatchSize}");
        }

        var maxPixels = Math.Min(request.MaxPixels ?? options.MaxPixels, options.MaxPixels);
        var minPixels = request.MinPixels ?? options.MinPixels;
        if (minPixels < MediaOptions.PixelsPerToken || minPixels > maxPixels)
        {
            throw Invalid("min_pixels", $"need {MediaOptions.PixelsPerToken} <= min_pixels <= max_pixels (<= {options.MaxPixels})");
        }

        if (request.StartSeconds < 0 || request.EndSeconds <= request.StartSeconds || request.EndSeconds <= 0)
        {
            throw Invalid("start_seconds", "need 0 <= start_seconds < end_seconds");
        }

        if (options.Sampler == FrameSamplerKind.HuggingFace && (request.StartSeconds is not null || request.EndSeconds is not null))
        {
            throw Invalid("start_seconds", "the HuggingFace frame sampler does not trim; configure the QwenVlUtils sampler");
        }

        return new SamplingPlan(options.Sampler, fps, minFrames, maxFrames, minPixels, maxPixels, request.StartSeconds, request.EndSeconds);
    }

    public FrameSelection Select(VideoProbe probe) => Sampler switch
    {
        FrameSamplerKind.QwenVlUtils => FrameSampler.QwenVlUtils(probe.FrameCount, probe.AverageFps, Fps, MinFrames, MaxFrames, StartSeconds, EndSeconds),
        FrameSamplerKind.HuggingFace => FrameSampler.HuggingFace(probe.FrameCount, probe.AverageFps, Fps, MinFrames, MaxFrames),
        _ => throw new InvalidOperationException($"unknown sampler {Sampler}"),
    };

    private static VideoQaException Invalid(string field, string message) =>
        new(ErrorKind.InvalidArgument, "sampling_invalid", message) { Field = field };
}
