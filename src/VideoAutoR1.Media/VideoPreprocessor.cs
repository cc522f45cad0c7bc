using FFMpegCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using VideoAutoR1.Core;

namespace VideoAutoR1.Media;

/// <summary>
/// The media pipeline's entry point: source → local file → probe → frame selection → ffmpeg decode of the selected
/// frames → smart_resize + bicubic-antialias resize → normalise + patchify (docs/specs/qwen-vl.md §E). Work runs on the
/// thread pool in a bounded worker pool (<see cref="MediaOptions.MaxConcurrency"/>, queue of
/// <see cref="MediaOptions.MaxQueue"/>) with <see cref="MediaOptions.VideoTimeout"/> per video, and every decode
/// within the <see cref="MediaDecodeOptions"/> budgets.
/// </summary>
public sealed class VideoPreprocessor : IDisposable
{
    /// <summary>qwen-vl-utils' VIDEO_MAX_PIXELS per frame (768 tokens).</summary>
    private const long VideoMaxPixels = 768L * MediaOptions.PixelsPerToken;

    private readonly MediaOptions _options;
    private readonly ILogger<VideoPreprocessor> _logger;
    private readonly SemaphoreSlim _workers;
    private readonly VideoUrlFetcher _fetcher;
    private readonly VideoSourceResolver _resolver;
    private readonly VideoProber _prober;
    private readonly FfmpegFrameDecoder _decoder;
    private readonly DecodeBudget _budget;
    private int _waiting;

    public VideoPreprocessor(IOptions<MediaOptions> options, ILogger<VideoPreprocessor>? logger = null, IOptions<MediaDecodeOptions>? decode = null)
    {
        _options = options.Value;
        _budget = new DecodeBudget(decode?.Value ?? new MediaDecodeOptions());
        _logger = logger ?? NullLogger<VideoPreprocessor>.Instance;
        _workers = new SemaphoreSlim(_options.MaxConcurrency, _options.MaxConcurrency);
        UrlPolicy = new VideoUrlPolicy(_options);
        _fetcher = new VideoUrlFetcher(_options, UrlPolicy);
        _resolver = new VideoSourceResolver(_options, _fetcher);
        var binaries = string.IsNullOrEmpty(_options.BinaryFolder) ? null : _options.BinaryFolder;
        _prober = new VideoProber(new FFOptions { BinaryFolder = binaries ?? "" });
        _decoder = new FfmpegFrameDecoder(binaries is null ? "ffmpeg" : Path.Combine(binaries, "ffmpeg"));
    }

    /// <summary>The URL rules this pipeline fetches under; the service checks them at admission with the same object.</summary>
    public VideoUrlPolicy UrlPolicy { get; }

    /// <summary>Directory where uploaded and downloaded bytes are spooled while a video is processed.</summary>
    public string SpoolDirectory => _resolver.SpoolDirectory;

    /// <summary>Bytes the videos being decoded now have reserved from <see cref="MediaDecodeOptions.MemoryBudgetBytes"/>.</summary>
    public long ReservedDecodeBytes => _budget.Reserved;

    /// <summary>The settings this pipeline runs with (the defaults and caps <see cref="VideoSampling.Resolve"/> applies).</summary>
    public MediaOptions Options => _options;

    /// <summary>Preprocesses for Qwen2.5-VL (the <see cref="MediaOptions"/> pipeline).</summary>
    public Task<PreprocessedVideo> PreprocessAsync(VideoSource source, VideoSamplingRequest? sampling, CancellationToken ct) =>
        PreprocessResolvedAsync(source, VideoSampling.Resolve(_options, sampling), VisionPreprocessing.Qwen2_5_VL, ct);

    /// <summary>Preprocesses for the model whose processor <paramref name="model"/> describes.</summary>
    public Task<PreprocessedVideo> PreprocessAsync(
        VideoSource source, VideoSamplingRequest? sampling, VisionPreprocessing model, CancellationToken ct) =>
        PreprocessResolvedAsync(source, VideoSampling.Resolve(_options, sampling), model, ct);

    /// <summary>Preprocesses an already resolved sampling for the model whose processor <paramref name="model"/> describes.</summary>
    public async Task<PreprocessedVideo> PreprocessResolvedAsync(
        VideoSource source, VideoSampling plan, VisionPreprocessing model, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return await RunAsync(async token =>
        {
            using var video = await _resolver.ResolveAsync(source, token);
            var probe = await ProbeAndCheckAsync(video.Path, token);
            return model.Kind == VideoProcessorKind.Qwen3VL
                ? await PreprocessQwen3Async(video.Path, probe, plan, model, token)
                : await PreprocessFileAsync(video.Path, probe, plan, model, token);
        }, ct);
    }

    public Task<VideoProbe> ProbeAsync(VideoSource source, CancellationToken ct) =>
        RunAsync(async token =>
        {
            using var video = await _resolver.ResolveAsync(source, token);
            return await ProbeAndCheckAsync(video.Path, token);
        }, ct);

    public void Dispose()
    {
        _fetcher.Dispose();
        _workers.Dispose();
    }

    private async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken ct)
    {
        if (Interlocked.Increment(ref _waiting) > _options.MaxQueue + _options.MaxConcurrency)
        {
            Interlocked.Decrement(ref _waiting);
            throw new VideoQaException(ErrorKind.Overloaded, "media_overloaded", "too many videos are waiting to be processed")
            {
                RetryAfter = TimeSpan.FromSeconds(1),
            };
        }

        try
        {
            await _workers.WaitAsync(ct);
            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
                deadline.CancelAfter(_options.VideoTimeout);
                try
                {
                    // Off the request thread: probing and decoding are process I/O, resizing is CPU.
                    return await Task.Run(() => work(deadline.Token), deadline.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new VideoQaException(ErrorKind.DeadlineExceeded, "video_timeout",
                        $"the video took longer than {_options.VideoTimeout.TotalSeconds:0.#} s to preprocess");
                }
            }
            finally
            {
                _workers.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    private async Task<VideoProbe> ProbeAndCheckAsync(string path, CancellationToken ct)
    {
        var probe = await _prober.ProbeAsync(path, ct);
        if (probe.DurationSeconds > _options.MaxDurationSeconds)
        {
            throw new VideoQaException(ErrorKind.TooLarge, "video_too_long",
                $"the video lasts {probe.DurationSeconds:0.#} s; the limit is {_options.MaxDurationSeconds:0.#} s");
        }

        if (Math.Max(probe.Width, probe.Height) > _options.MaxFrameSide)
        {
            throw new VideoQaException(ErrorKind.TooLarge, "video_too_large",
                $"frames of {probe.Width}x{probe.Height} exceed the {_options.MaxFrameSide}-pixel limit per side");
        }

        return probe;
    }

    private async Task<PreprocessedVideo> PreprocessFileAsync(
        string path, VideoProbe probe, VideoSampling plan, VisionPreprocessing model, CancellationToken ct)
    {
        var selection = plan.Select(probe);
        var (width, height) = probe.DisplaySize;
        var maxPixels = SmartResize.VideoMaxPixels(plan.MinPixels, plan.MaxPixels, _options.TotalPixels, selection.Indices.Count, VideoMaxPixels);
        var (outHeight, outWidth) = SmartResize.Compute(height, width, model.Factor, plan.MinPixels, maxPixels, _options.SmartResizeRule);
        var (frames, timestamps) = await DecodeResizedAsync(path, probe, selection, outHeight, outWidth, _options.ResizeKernel, ct);
        return Patchify(frames, outHeight, outWidth, model, selection, timestamps, probe);
    }

    /// <summary>
    /// Qwen3-VL as <c>Qwen3VLVideoProcessor</c> does it: frames by <see cref="FrameSampler.Qwen3"/>, one whole-clip
    /// budget (the processor's <c>size</c>, bounded by the server's token budget <see cref="MediaOptions.TotalPixels"/>),
    /// uint8 bicubic resize, the model's normalisation, and a timestamp per temporal group.
    /// </summary>
    private async Task<PreprocessedVideo> PreprocessQwen3Async(
        string path, VideoProbe probe, VideoSampling plan, VisionPreprocessing model, CancellationToken ct)
    {
        if (plan.StartSeconds is not null || plan.EndSeconds is not null)
        {
            throw VideoQaException.InvalidArgument("segment_unsupported", "sampling.start_seconds", "the Qwen3-VL video processor does not trim");
        }

        var selection = FrameSampler.Qwen3(probe.FrameCount, probe.AverageFps, plan.Fps, model.MinFrames, Math.Min(model.MaxFrames, plan.MaxFrames));
        var (width, height) = probe.DisplaySize;

        // The server's budget counts LLM tokens; one token of a clip covers factor² pixels of each of temporal_patch frames.
        var serverMax = _options.TotalPixels / (double)MediaOptions.PixelsPerToken * model.Factor * model.Factor * model.TemporalPatchSize;
        var (outHeight, outWidth) = SmartResize.ComputeClip(selection.Indices.Count, height, width, model.TemporalPatchSize, model.Factor,
            model.ShortestEdge, Math.Min(model.LongestEdge, serverMax));
        var (frames, timestamps) = await DecodeResizedAsync(path, probe, selection, outHeight, outWidth, ResizeKernel.Uint8, ct);
        return Patchify(frames, outHeight, outWidth, model, selection, timestamps, probe) with
        {
            GroupTimestamps = FrameSampler.GroupTimestamps(selection.Indices, probe.AverageFps),
        };
    }

    private async Task<(List<byte[]> Frames, IReadOnlyList<double> Timestamps)> DecodeResizedAsync(
        string path, VideoProbe probe, FrameSelection selection, int outHeight, int outWidth, ResizeKernel kernel, CancellationToken ct)
    {
        var (width, height) = probe.DisplaySize;
        var decode = DecodePlan.Create(width, height, outWidth, outHeight, selection.Indices.Count);
        using var reservation = await _budget.ReserveAsync(decode, ct);
        var resizer = new BicubicAntialias(decode.DecodeHeight, decode.DecodeWidth, outHeight, outWidth, kernel);
        var resized = new List<byte[]>(selection.Indices.Count);
        var timestamps = await _decoder.DecodeAsync(path, probe.StreamIndex, selection.Indices, width, height, frame =>
        {
            var output = new byte[resizer.OutputLength];
            resizer.Resize(frame, output);
            resized.Add(output);
        }, ct, decode.Scales ? (decode.DecodeWidth, decode.DecodeHeight) : null);
        return (resized, timestamps);
    }

    private PreprocessedVideo Patchify(
        List<byte[]> resized, int outHeight, int outWidth, VisionPreprocessing model, FrameSelection selection, IReadOnlyList<double> timestamps, VideoProbe probe)
    {
        var (gridT, gridH, gridW) = VideoPatchifier.Grid(resized.Count, outHeight, outWidth, model);
        var pixels = VideoPatchifier.Patchify(resized, outHeight, outWidth, model);
        _logger.LogDebug("Preprocessed {Frames} frames {Width}x{Height} -> {OutWidth}x{OutHeight}, grid {T}x{H}x{W}",
            resized.Count, probe.DisplaySize.Width, probe.DisplaySize.Height, outWidth, outHeight, gridT, gridH, gridW);
        return new PreprocessedVideo(pixels, model.PatchDim, gridT, gridH, gridW, selection.SecondPerGridT,
            FrameTimes(timestamps, selection, probe), selection.SampleFps, probe.DurationSeconds);
    }

    /// <summary>showinfo's timestamps when there is one per frame, else index / fps (what decord assumes).</summary>
    private static double[] FrameTimes(IReadOnlyList<double> pts, FrameSelection selection, VideoProbe probe) =>
        pts.Count == selection.Indices.Count
            ? pts.Select(t => Math.Max(t - probe.StartSeconds, 0)).ToArray()
            : selection.Indices.Select(i => i / probe.AverageFps).ToArray();
}
