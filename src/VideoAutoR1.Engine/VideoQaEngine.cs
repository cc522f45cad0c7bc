using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VideoAutoR1.Core;
using VideoAutoR1.Media;
using static TorchSharp.torch;

namespace VideoAutoR1.Engine;

/// <summary>
/// The inference engine's lifecycle and front door. One dedicated thread owns the model and the KV cache and runs
/// the <see cref="Scheduler"/> (continuous batching, <see cref="BatchStep"/> for the tensors); request threads submit:
/// preprocess the video and tokenise the prompt of an already resolved <see cref="AnswerRequest"/>, then hand it over
/// through the bounded queue of <see cref="EngineState"/>. Every request leaves through <see cref="RequestFinisher"/>.
/// </summary>
public sealed class VideoQaEngine : BackgroundService, IVideoQaEngine, IHostedLifecycleService
{
    private readonly EngineOptions _options;
    private readonly VideoPreprocessor _media;
    private readonly EngineMetrics _metrics;
    private readonly ILogger<VideoQaEngine> _logger;
    private readonly EngineState _state;
    private readonly RequestFinisher _finisher;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Written by the engine thread once loaded, read by request threads and health checks.
    private volatile EngineModel? _model;

    public VideoQaEngine(IOptions<EngineOptions> options, VideoPreprocessor media, EngineMetrics metrics, ILogger<VideoQaEngine> logger)
    {
        _options = options.Value;
        _media = media;
        _metrics = metrics;
        _logger = logger;
        _state = new EngineState(_options);
        _finisher = new RequestFinisher(metrics, logger);
        Resolver = new RequestResolver(_options, media.Options, ServedPreprocessing(ModelDirectory(_options)));
    }

    /// <summary>The directory the engine serves: Engine:ModelDirectory, else the shipped default model.</summary>
    private static string ModelDirectory(EngineOptions options) =>
        options.ModelDirectory is { Length: > 0 } directory ? directory : DefaultModel.Directory;

    /// <summary>
    /// The served directory's video processor settings, read before the weights load so requests can be resolved
    /// with them; a directory that cannot be read here fails on the engine thread, which reports why.
    /// </summary>
    private static VisionPreprocessing? ServedPreprocessing(string directory)
    {
        try
        {
            var family = Model.VideoLanguageModels.Detect(directory) == Model.VideoLanguageModels.Family.Qwen3VL
                ? VideoProcessorKind.Qwen3VL
                : VideoProcessorKind.Qwen2VL;
            return VisionPreprocessing.Load(directory, family);
        }
        catch (VideoQaException)
        {
            return null;
        }
    }

    public EngineStatus Status => new(
        Ready: _model is not null && !_state.Stopping,
        ModelId: _model?.ModelId ?? "",
        LastLoopBeat: _state.LastBeat,
        QueueDepth: _state.Queue.Reader.Count,
        RunningSequences: _state.RunningCount,
        Architecture: _model?.Network.Architecture ?? "");

    /// <summary>The rules this engine's requests are resolved by (its own engine and media settings).</summary>
    public RequestResolver Resolver { get; }

    /// <summary>Runs <paramref name="probe"/> on the engine thread each time it goes idle (tests observe thread-local state).</summary>
    internal void SetIdleProbe(Action? probe) => _state.IdleProbe = probe;

    /// <summary>Completes when the model is loaded and requests are accepted; faults if loading failed.</summary>
    public Task WaitUntilReadyAsync(CancellationToken cancellationToken) => _ready.Task.WaitAsync(cancellationToken);

    public Task<AnswerResult> AnswerAsync(AnswerRequest request, CancellationToken cancellationToken) =>
        ResultOf(AnswerStreamAsync(request, cancellationToken));

    public IAsyncEnumerable<AnswerEvent> AnswerStreamAsync(AnswerRequest request, CancellationToken cancellationToken) =>
        RunAsync(request, preprocessed: null, cancellationToken);

    /// <summary>
    /// Answers about a video the caller already preprocessed (cached inputs, evaluation, benchmarks):
    /// <paramref name="request"/>.Video and .Sampling are not read.
    /// </summary>
    public IAsyncEnumerable<AnswerEvent> AnswerStreamAsync(AnswerRequest request, PreprocessedVideo video, CancellationToken cancellationToken) =>
        RunAsync(request, video, cancellationToken);

    public Task<AnswerResult> AnswerAsync(AnswerRequest request, PreprocessedVideo video, CancellationToken cancellationToken) =>
        ResultOf(AnswerStreamAsync(request, video, cancellationToken));

    /// <summary>
    /// The host is stopping (before any hosted service stops, so the HTTP server still answers): stop admitting at
    /// once, which turns readiness to 503, and start the drain.
    /// </summary>
    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        BeginDrain();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Lets accepted requests finish within <see cref="EngineOptions.ShutdownGrace"/>, then fails the rest with
    /// Unavailable "shutting_down". Never throws for the host's own deadline: if it comes first, the drain ends there.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        BeginDrain();
        using var hostDeadline = cancellationToken.Register(() => _state.DrainSpent.Cancel());
        await _stopped.Task.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!_stopped.Task.IsCompleted)
        {
            _logger.LogError("The host's shutdown timeout ended before the engine finished draining; remaining requests are cut off");
        }

        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Dispose()
    {
        _state.Dispose();
        base.Dispose();
    }

    private void BeginDrain()
    {
        if (_state.BeginStopping())
        {
            _logger.LogInformation("Engine draining: {Running} running, {Queued} queued; budget {Budget}",
                _state.RunningCount, _state.Queue.Reader.Count, _options.ShutdownGrace);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A real thread, not a pool task: TorchSharp dispose scopes and grad mode are thread-local.
        var thread = new Thread(RunEngineThread) { Name = "videoautor1-engine", IsBackground = true };
        thread.Start();
        return _stopped.Task;
    }

    private static async Task<AnswerResult> ResultOf(IAsyncEnumerable<AnswerEvent> events)
    {
        await foreach (var answerEvent in events.ConfigureAwait(false))
        {
            if (answerEvent is AnswerEvent.Completed completed)
            {
                return completed.Result;
            }
        }

        throw new VideoQaException(ErrorKind.Internal, "no_result", "The engine ended the request without a result.");
    }

    private async IAsyncEnumerable<AnswerEvent> RunAsync(
        AnswerRequest request, PreprocessedVideo? preprocessed, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);

        // Stopped when the reader is done with the stream, so it covers every child span the engine records.
        using var trace = EngineTracing.StartAnswer(request.Mode);
        EngineRequest item;
        CancellationTokenRegistration registration;
        try
        {
            (item, registration) = await SubmitAsync(request, preprocessed, trace, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            EngineTracing.Failed(trace, error);
            throw;
        }

        using (registration)
        {
            try
            {
                await foreach (var answerEvent in item.Events.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    yield return answerEvent;
                }
            }
            finally
            {
                if (!item.IsFinished)
                {
                    item.Abandon();
                }
            }
        }
    }

    /// <summary>
    /// Preprocesses and tokenises on the caller's thread, then queues the request. It is already resolved, so only
    /// what depends on the engine is checked here: loaded, not stopping, room in the queue, a prompt that fits a slot.
    /// </summary>
    private async Task<(EngineRequest Item, CancellationTokenRegistration Registration)> SubmitAsync(
        AnswerRequest request, PreprocessedVideo? preprocessed, Activity? trace, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var model = AcceptingModel();
        if (trace is { IsAllDataRequested: true })
        {
            trace.SetTag("gen_ai.request.model", model.ModelId);
        }

        // Finished here until it is queued; from then on the engine thread finishes it when the request leaves.
        var item = new EngineRequest(request, model.ModelId, clock, trace, cancellationToken);

        // Checked before the (expensive) media step as well as at enqueue, so overload costs the caller nothing.
        if (_state.Queue.Reader.Count >= _options.MaxQueueLength)
        {
            var full = _state.QueueFull();
            _finisher.Finish(item, RequestOutcome.Rejected, full);
            throw full;
        }

        CancellationTokenRegistration registration = default;
        var media = EngineTracing.StartChild(trace, "videoqa.media");
        try
        {
            using var mediaLifetime = CancellationTokenSource.CreateLinkedTokenSource(item.Lifetime, _state.DrainSpent.Token);
            var video = preprocessed ?? await PreprocessAsync(request, model.Preprocessing, mediaLifetime.Token).ConfigureAwait(false);
            PrepareInputs(model, item, video, clock.Elapsed.TotalSeconds);
            EngineTracing.Stop(media);

            // Cancellation and deadline reach the reader at once; the engine frees the slot at its next step.
            registration = item.Lifetime.Register(() => item.Fail(item.CancellationError()));
            Enqueue(item);
            return (item, registration);
        }
        catch (OperationCanceledException) when (item.Lifetime.IsCancellationRequested)
        {
            var error = item.CancellationError();
            EngineTracing.StopFailed(media, error);
            registration.Dispose();
            _finisher.Finish(item, RequestFinisher.CancelledOutcome(item), error);
            throw error;
        }
        catch (Exception error)
        {
            EngineTracing.StopFailed(media, error);
            registration.Dispose();
            _finisher.Finish(item, error is VideoQaException ? RequestOutcome.Rejected : RequestOutcome.Failed, error);
            throw;
        }
    }

    /// <summary>Preprocesses on the request's lifetime; the drain budget running out fails it as a shutdown.</summary>
    private async Task<PreprocessedVideo> PreprocessAsync(AnswerRequest request, VisionPreprocessing preprocessing, CancellationToken lifetime)
    {
        try
        {
            return await _media.PreprocessResolvedAsync(request.Video, request.Sampling, preprocessing, lifetime).ConfigureAwait(false);
        }
        catch (OperationCanceledException error) when (_state.DrainSpent.IsCancellationRequested)
        {
            throw _state.ShuttingDown(error);
        }
    }

    private EngineModel AcceptingModel()
    {
        if (_state.Stopping)
        {
            throw _state.ShuttingDown();
        }

        return _model ?? throw new VideoQaException(ErrorKind.Unavailable, "model_loading", "The model is still loading.")
        {
            RetryAfter = _options.OverloadRetryAfter,
        };
    }

    private void PrepareInputs(EngineModel model, EngineRequest item, PreprocessedVideo video, double mediaSeconds)
    {
        var visualTokens = video.TokenCount(model.Network.SpatialMergeSize);
        var ids = model.EncodePrompt(item.Resolved.Question, visualTokens, video);

        // The prompt must fit one cache slot with room for at least one generated token, and one prefill step.
        var limit = Math.Min(_options.MaxTokensPerSequence - 1, _options.MaxPrefillTokensPerStep);
        if (ids.Length > limit)
        {
            throw new VideoQaException(
                ErrorKind.TooLarge,
                "prompt_too_long",
                $"The prompt needs {ids.Length} tokens ({visualTokens} for the video); this server fits at most {limit}. "
                + "Lower the video's frame count or resolution.")
            {
                Field = "video",
            };
        }

        item.SetInputs(ids, video, visualTokens, mediaSeconds);
    }

    private void Enqueue(EngineRequest item)
    {
        // Counted before the write, so the engine thread can never take it off the queue before it is counted; a
        // refused write is finished by the caller, which takes the count back.
        item.MarkQueued(item.Clock.Elapsed.TotalSeconds);
        _metrics.Queued(item.ModelId, item.Mode, +1);
        if (_state.Stopping)
        {
            throw _state.ShuttingDown();
        }

        if (!_state.Queue.Writer.TryWrite(item))
        {
            throw _state.Stopping ? _state.ShuttingDown() : _state.QueueFull();
        }

        _state.Wake.Set();
    }

    private void RunEngineThread()
    {
        EngineModel? model = null;
        try
        {
            using var noGrad = no_grad();
            if (_options.TorchThreads > 0)
            {
                set_num_threads(_options.TorchThreads);
            }

            var useDefault = _options.ModelDirectory is not { Length: > 0 };
            var directory = ModelDirectory(_options);
            var modelId = _options.ModelId is { Length: > 0 } id ? id
                : useDefault ? DefaultModel.ModelId
                : Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
            model = EngineModel.Load(directory, modelId, _options);
            _metrics.ObserveKvCacheUsage(modelId, () => _state.KvUsage);
            _logger.LogInformation(
                "Engine ready: model {ModelId} from {Directory}, {Slots} slots x {Tokens} tokens, dtype {DType} on {Device}",
                modelId, directory, _options.MaxBatchSize, _options.MaxTokensPerSequence, _options.DType, _options.Device);
            _state.Beat();
            _model = model;
            _ready.TrySetResult();

            var scheduler = new Scheduler(_state, model, _options, _metrics, _finisher, _logger);
            scheduler.Run();

            // A request may have slipped past the stopping check while the loop was ending: refuse it too.
            _state.Queue.Writer.TryComplete();
            scheduler.AbortAll();
            _stopped.TrySetResult();
        }
        catch (Exception error)
        {
            _logger.LogCritical(error, "Engine thread failed");
            _ready.TrySetException(error);
            _stopped.TrySetException(error);
        }
        finally
        {
            model?.Dispose();
        }
    }
}
