using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VideoAutoR1.Core;
using VideoAutoR1.Core.Grammar;
using VideoAutoR1.Media;
using VideoAutoR1.Model;
using static TorchSharp.torch;

namespace VideoAutoR1.Engine;

/// <summary>
/// The inference engine: one dedicated thread owns the model and the KV cache and runs continuous batching —
/// admit waiting requests into free cache slots (batched vision tower + prefill), then one batched decode step over
/// every running sequence, then let finished, early-exited, cancelled and timed-out sequences leave. Request threads
/// validate, preprocess the video and tokenise the prompt, then hand the request over through a bounded queue.
/// </summary>
public sealed class VideoQaEngine : BackgroundService, IVideoQaEngine, IHostedLifecycleService
{
    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(250);

    private readonly EngineOptions _options;
    private readonly VideoPreprocessor _media;
    private readonly EngineMetrics _metrics;
    private readonly ILogger<VideoQaEngine> _logger;
    private readonly Channel<EngineRequest> _queue;
    private readonly AutoResetEvent _wake = new(false);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Cancelled when the drain budget (ShutdownGrace) is spent: running, queued and preprocessing requests then fail.
    private readonly CancellationTokenSource _drainSpent = new();

    // Written by the engine thread (or StopAsync), read by request threads and health checks.
    private volatile EngineModel? _model;
    private volatile bool _stopping;
    private volatile int _runningCount;
    private long _lastBeatUtcTicks;
    private double _kvUsage;
    private volatile EngineTorchStatistics? _torchStatistics;

    public VideoQaEngine(IOptions<EngineOptions> options, VideoPreprocessor media, EngineMetrics metrics, ILogger<VideoQaEngine> logger)
    {
        _options = options.Value;
        _media = media;
        _metrics = metrics;
        _logger = logger;
        _queue = Channel.CreateBounded<EngineRequest>(new BoundedChannelOptions(_options.MaxQueueLength)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public EngineStatus Status => new(
        Ready: _model is not null && !_stopping,
        ModelId: _model?.ModelId ?? "",
        LastLoopBeat: new DateTimeOffset(Interlocked.Read(ref _lastBeatUtcTicks), TimeSpan.Zero),
        QueueDepth: _queue.Reader.Count,
        RunningSequences: _runningCount,
        Architecture: _model?.Model.Architecture ?? "");

    /// <summary>The engine thread's tensor statistics as of its last idle moment (null before the first).</summary>
    public EngineTorchStatistics? TorchStatistics => _torchStatistics;

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
        using var hostDeadline = cancellationToken.Register(() => _drainSpent.Cancel());
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
        _wake.Dispose();
        _drainSpent.Dispose();
        base.Dispose();
    }

    private void BeginDrain()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _logger.LogInformation("Engine draining: {Running} running, {Queued} queued; budget {Budget}",
            _runningCount, _queue.Reader.Count, _options.ShutdownGrace);
        _drainSpent.CancelAfter(_options.ShutdownGrace);
        _wake.Set();
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

    /// <summary>Validates, preprocesses and tokenises on the caller's thread, then queues the request.</summary>
    private async Task<(EngineRequest Item, CancellationTokenRegistration Registration)> SubmitAsync(
        AnswerRequest request, PreprocessedVideo? preprocessed, Activity? trace, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var model = AcceptingModel();
        var controls = ResolveControls(request);
        RejectIfQueueFull(model, request.Mode);
        if (trace is { IsAllDataRequested: true })
        {
            trace.SetTag("gen_ai.request.model", model.ModelId);
        }

        // Disposed here until it is queued; from then on the engine thread disposes it when the request leaves.
        var item = new EngineRequest(request, controls, clock, trace, cancellationToken);
        CancellationTokenRegistration registration = default;
        var media = EngineTracing.StartChild(trace, "videoqa.media");
        try
        {
            using var mediaLifetime = CancellationTokenSource.CreateLinkedTokenSource(item.Lifetime, _drainSpent.Token);
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
            _metrics.RequestFinished(model.ModelId, request.Mode, Outcome(item), null);
            var error = item.CancellationError();
            EngineTracing.StopFailed(media, error);
            registration.Dispose();
            item.Dispose();
            throw error;
        }
        catch (Exception error)
        {
            _metrics.RequestFinished(model.ModelId, request.Mode, error is VideoQaException ? "rejected" : "failed", null);
            EngineTracing.StopFailed(media, error);
            registration.Dispose();
            item.Dispose();
            throw;
        }
    }

    /// <summary>Preprocesses on the request's lifetime; the drain budget running out fails it as a shutdown.</summary>
    private async Task<PreprocessedVideo> PreprocessAsync(AnswerRequest request, VisionPreprocessing preprocessing, CancellationToken lifetime)
    {
        try
        {
            return await _media.PreprocessAsync(request.Video, request.Sampling, preprocessing, lifetime).ConfigureAwait(false);
        }
        catch (OperationCanceledException error) when (_drainSpent.IsCancellationRequested)
        {
            throw ShuttingDown(error);
        }
    }

    private VideoQaException ShuttingDown(Exception? inner = null) =>
        new(ErrorKind.Unavailable, "shutting_down", "The server is shutting down; retry on another instance.", inner)
        {
            RetryAfter = _options.OverloadRetryAfter,
        };

    private EngineModel AcceptingModel()
    {
        if (_stopping)
        {
            throw ShuttingDown();
        }

        return _model ?? throw new VideoQaException(ErrorKind.Unavailable, "model_loading", "The model is still loading.")
        {
            RetryAfter = _options.OverloadRetryAfter,
        };
    }

    private ResolvedControls ResolveControls(AnswerRequest request)
    {
        var threshold = request.Threshold ?? _options.DefaultThreshold;
        if (!(threshold > 0 && threshold <= 1))
        {
            throw Invalid("threshold_out_of_range", "threshold", $"threshold must be in (0, 1], got {threshold}");
        }

        var maxNewTokens = request.MaxNewTokens ?? _options.DefaultMaxNewTokens;
        if (maxNewTokens < 1)
        {
            throw Invalid("max_new_tokens_out_of_range", "max_new_tokens", $"max_new_tokens must be at least 1, got {maxNewTokens}");
        }

        var temperature = request.Temperature ?? 0;
        if (!(temperature >= 0 && temperature <= 100))
        {
            throw Invalid("temperature_out_of_range", "temperature", $"temperature must be in [0, 100], got {temperature}");
        }

        var topP = request.TopP ?? 1;
        if (!(topP > 0 && topP <= 1))
        {
            throw Invalid("top_p_out_of_range", "top_p", $"top_p must be in (0, 1], got {topP}");
        }

        var timeout = request.Timeout ?? _options.RequestTimeout;
        if (timeout <= TimeSpan.Zero)
        {
            throw Invalid("timeout_out_of_range", "timeout", "timeout must be positive");
        }

        var sampler = temperature > 0 ? new TokenSampler(temperature, topP, request.Seed) : TokenSampler.Greedy;
        return new ResolvedControls(request.Mode, threshold, maxNewTokens, sampler, timeout);
    }

    private static VideoQaException Invalid(string code, string field, string message) =>
        new(ErrorKind.InvalidArgument, code, message) { Field = field };

    private void RejectIfQueueFull(EngineModel model, AnswerMode mode)
    {
        // Checked before the (expensive) media step as well as at enqueue, so overload costs the caller nothing.
        if (_queue.Reader.Count >= _options.MaxQueueLength)
        {
            _metrics.RequestFinished(model.ModelId, mode, "rejected", null);
            throw QueueFull();
        }
    }

    private VideoQaException QueueFull() =>
        new(ErrorKind.Overloaded, "queue_full", $"The engine queue is full ({_options.MaxQueueLength} requests waiting).")
        {
            RetryAfter = _options.OverloadRetryAfter,
        };

    private void PrepareInputs(EngineModel model, EngineRequest item, PreprocessedVideo video, double mediaSeconds)
    {
        var visualTokens = video.TokenCount(model.Model.SpatialMergeSize);
        var ids = model.EncodePrompt(item.Request.Question, visualTokens, video);

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
        item.EnqueuedAt = item.Clock.Elapsed.TotalSeconds;
        item.StartQueueSpan();
        if (_stopping)
        {
            throw ShuttingDown();
        }

        if (!_queue.Writer.TryWrite(item))
        {
            throw _stopping ? ShuttingDown() : QueueFull();
        }

        _metrics.Queued(_model!.ModelId, item.Request.Mode, +1);
        _wake.Set();
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
            var directory = useDefault ? DefaultModel.Directory : _options.ModelDirectory!;
            var modelId = _options.ModelId is { Length: > 0 } id ? id
                : useDefault ? DefaultModel.ModelId
                : Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
            model = EngineModel.Load(directory, modelId, _options);
            var capacity = (double)_options.MaxBatchSize * _options.MaxTokensPerSequence;
            _metrics.ObserveKvCacheUsage(modelId, () => Volatile.Read(ref _kvUsage));
            _logger.LogInformation(
                "Engine ready: model {ModelId} from {Directory}, {Slots} slots x {Tokens} tokens, dtype {DType} on {Device}",
                modelId, directory, _options.MaxBatchSize, _options.MaxTokensPerSequence, _options.DType, _options.Device);
            Beat();
            _model = model;
            _ready.TrySetResult();

            var scheduler = new Scheduler(this, model, capacity);
            scheduler.Run();

            // A request may have slipped past the stopping check while the loop was ending: refuse it too.
            _queue.Writer.TryComplete();
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

    private void Beat() => Interlocked.Exchange(ref _lastBeatUtcTicks, DateTimeOffset.UtcNow.UtcTicks);

    private static string Outcome(EngineRequest item) =>
        item.CancellationError().Kind == ErrorKind.DeadlineExceeded ? "timed_out" : "cancelled";

    /// <summary>The engine thread's loop and its per-step state. Nothing here is touched by other threads.</summary>
    private sealed class Scheduler(VideoQaEngine engine, EngineModel model, double kvCapacity)
    {
        private readonly List<Sequence> _running = [];
        private readonly EngineOptions _options = engine._options;
        private readonly EngineMetrics _metrics = engine._metrics;

        private ILogger Log => engine._logger;

        public void Run()
        {
            while (true)
            {
                engine.Beat();
                if (engine._stopping)
                {
                    if (_running.Count == 0 && engine._queue.Reader.Count == 0)
                    {
                        return;
                    }

                    if (engine._drainSpent.IsCancellationRequested)
                    {
                        AbortAll();
                        return;
                    }
                }

                LeaveCancelled();
                Admit();
                if (_running.Count == 0)
                {
                    engine._torchStatistics = EngineTorchStatistics.OfCurrentThread();
                    Volatile.Write(ref engine._kvUsage, 0);
                    engine._wake.WaitOne(IdleWait);
                    continue;
                }

                DecodeStep();
                PublishUsage();
            }
        }

        private void LeaveCancelled()
        {
            for (var i = _running.Count - 1; i >= 0; i--)
            {
                var sequence = _running[i];
                if (sequence.Request.Lifetime.IsCancellationRequested)
                {
                    Leave(sequence);
                    sequence.Request.Fail(sequence.Request.CancellationError());
                    _metrics.RequestFinished(model.ModelId, sequence.Request.Request.Mode, Outcome(sequence.Request), null);
                    sequence.Request.Dispose();
                }
            }
        }

        /// <summary>Takes queued requests into free slots, within the per-step prefill token budget, and prefills them.</summary>
        private void Admit()
        {
            var admitted = new List<EngineRequest>();
            var prefillTokens = 0;
            while (_running.Count + admitted.Count < _options.MaxBatchSize && engine._queue.Reader.TryPeek(out var next))
            {
                if (next.IsFinished || next.Lifetime.IsCancellationRequested)
                {
                    engine._queue.Reader.TryRead(out _);
                    _metrics.Admitted(model.ModelId, next.Request.Mode, next.Clock.Elapsed.TotalSeconds - next.EnqueuedAt);
                    next.Fail(next.CancellationError());
                    _metrics.RequestFinished(model.ModelId, next.Request.Mode, Outcome(next), null);
                    next.Dispose();
                    continue;
                }

                if (admitted.Count > 0 && prefillTokens + next.PromptIds.Length > _options.MaxPrefillTokensPerStep)
                {
                    break;
                }

                engine._queue.Reader.TryRead(out _);
                _metrics.Admitted(model.ModelId, next.Request.Mode, next.Clock.Elapsed.TotalSeconds - next.EnqueuedAt);
                next.StopQueueSpan();
                prefillTokens += next.PromptIds.Length;
                admitted.Add(next);
            }

            if (admitted.Count == 0)
            {
                return;
            }

            if (!TryPrefill(admitted))
            {
                // One bad request must not fail the others: retry each alone, fail only those that still throw.
                foreach (var request in admitted)
                {
                    TryPrefill([request]);
                }
            }
        }

        /// <summary>
        /// Batched vision tower + prefill of <paramref name="requests"/>, then their first token. On failure the slots
        /// are returned and, for a single request, the request is failed. Returns false when a batch of several failed.
        /// </summary>
        private bool TryPrefill(IReadOnlyList<EngineRequest> requests)
        {
            var slots = new int[requests.Count];
            for (var i = 0; i < requests.Count; i++)
            {
                slots[i] = model.Cache.Rent();
            }

            long[] tokens;
            float[] logProbs;
            double visionSeconds, prefillSeconds;
            var admittedAt = requests.Select(r => r.Clock.Elapsed.TotalSeconds).ToArray();

            // One span per request, each covering the whole batched call.
            var spans = requests.Select(r => EngineTracing.StartChild(r.Trace, "videoqa.prefill")).ToArray();
            try
            {
                using var scope = NewDisposeScope();
                var started = Stopwatch.GetTimestamp();
                var videoEmbeds = VisionTower(requests);
                visionSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

                var inputs = new PrefillInput[requests.Count];
                for (var i = 0; i < requests.Count; i++)
                {
                    var request = requests[i];
                    var video = request.Video;
                    var positions = video is null
                        ? RopeIndex.Sequential(request.PromptIds.Length)
                        : model.Model.GetRopeIndex(request.PromptIds, [Grid(video)], [video.SecondPerGridT]);
                    inputs[i] = new PrefillInput(slots[i], request.PromptIds, videoEmbeds[i], positions);
                }

                started = Stopwatch.GetTimestamp();
                var logits = model.Model.Prefill(inputs, model.Cache);
                (tokens, logProbs) = TokenSampler.Choose(logits, requests.Select(r => r.Controls.Sampler).ToArray());
                prefillSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            }
            catch (Exception error)
            {
                foreach (var slot in slots)
                {
                    model.Cache.Release(slot);
                }

                foreach (var span in spans)
                {
                    EngineTracing.StopFailed(span, error);
                }

                if (requests.Count > 1)
                {
                    Log.LogWarning(error, "Batched prefill of {Count} requests failed; retrying them one by one", requests.Count);
                    return false;
                }

                FailRequest(requests[0], error);
                return true;
            }

            for (var i = 0; i < requests.Count; i++)
            {
                if (spans[i] is { IsAllDataRequested: true } span)
                {
                    span.SetTag("videoautor1.batch.size", requests.Count);
                    span.SetTag("gen_ai.usage.input_tokens", requests[i].PromptIds.Length);
                    span.SetTag("videoautor1.visual_tokens", requests[i].VisualTokens);
                }

                EngineTracing.Stop(spans[i]);
            }

            for (var i = 0; i < requests.Count; i++)
            {
                var request = requests[i];
                var room = _options.MaxTokensPerSequence - request.PromptIds.Length;
                var sequence = new Sequence(request, slots[i], new IncrementalAnswerParser(model.Tokenizer), model.StopTokenIds, room)
                {
                    QueueSeconds = admittedAt[i] - request.EnqueuedAt,
                    VisionSeconds = visionSeconds,
                    PrefillSeconds = prefillSeconds,
                    DecodeStartUtc = spans[i] is { } span ? EngineTracing.EndTimeUtc(span) : null,
                };
                _running.Add(sequence);
                _metrics.BatchChanged(model.ModelId, request.Request.Mode, +1);
                Advance(sequence, tokens[i], logProbs[i]);
            }

            engine._runningCount = _running.Count;
            return true;
        }

        /// <summary>Runs the vision tower once over every video of the batch and splits the embeddings per request.</summary>
        private Tensor?[] VisionTower(IReadOnlyList<EngineRequest> requests)
        {
            var embeds = new Tensor?[requests.Count];
            var withVideo = Enumerable.Range(0, requests.Count).Where(i => requests[i].Video is not null).ToArray();
            if (withVideo.Length == 0)
            {
                return embeds;
            }

            var pixels = cat(withVideo.Select(i => PixelTensor(requests[i].Video!)).ToArray(), 0);
            var features = model.Model.GetVideoFeatures(pixels, withVideo.Select(i => Grid(requests[i].Video!)).ToArray());
            var parts = features.split(withVideo.Select(i => (long)requests[i].VisualTokens).ToArray(), 0);
            for (var k = 0; k < withVideo.Length; k++)
            {
                embeds[withVideo[k]] = parts[k];
            }

            return embeds;
        }

        private Tensor PixelTensor(PreprocessedVideo video) =>
            tensor(video.PixelValues, [video.PixelValues.Length / video.PatchDim, video.PatchDim])
                .to(model.DType, model.Device);

        private static GridThw Grid(PreprocessedVideo video) => new(video.GridT, video.GridH, video.GridW);

        /// <summary>One batched decode step over every running sequence.</summary>
        private void DecodeStep()
        {
            var batch = _running.ToArray();
            if (TryDecode(batch, out var tokens, out var logProbs))
            {
                for (var i = 0; i < batch.Length; i++)
                {
                    Advance(batch[i], tokens[i], logProbs[i]);
                }
            }
            else
            {
                // Isolate the failure: step each sequence alone, fail only those that still throw.
                foreach (var sequence in batch)
                {
                    if (TryDecode([sequence], out var single, out var singleLogProb))
                    {
                        Advance(sequence, single[0], singleLogProb[0]);
                    }
                }
            }

            engine._runningCount = _running.Count;
        }

        private bool TryDecode(Sequence[] batch, out long[] tokens, out float[] logProbs)
        {
            try
            {
                using var scope = NewDisposeScope();
                var logits = model.Model.DecodeStep(
                    batch.Select(s => s.LastToken).ToArray(), batch.Select(s => s.Slot).ToArray(), model.Cache);
                (tokens, logProbs) = TokenSampler.Choose(logits, batch.Select(s => s.Request.Controls.Sampler).ToArray());
                return true;
            }
            catch (Exception error)
            {
                if (batch.Length == 1)
                {
                    Leave(batch[0]);
                    FailRequest(batch[0].Request, error);
                }
                else
                {
                    Log.LogWarning(error, "Batched decode step of {Count} sequences failed; isolating", batch.Length);
                }

                tokens = [];
                logProbs = [];
                return false;
            }
        }

        /// <summary>Feeds a chosen token to the sequence's state machine; finished sequences leave at once.</summary>
        private void Advance(Sequence sequence, long token, float rawLogProb)
        {
            var request = sequence.Request;
            try
            {
                var decision = sequence.Accept(token, rawLogProb, request.Clock.Elapsed.TotalSeconds);
                if (decision is { } d)
                {
                    _metrics.Decided(model.ModelId, request.Request.Mode, d.EarlyExit, d.Confidence, d.TimeToA1Seconds);
                }

                if (sequence.Phase == SequencePhase.Done)
                {
                    Leave(sequence);
                    var result = BuildResult(sequence);
                    request.Complete(result);
                    _metrics.Tokens(model.ModelId, request.Request.Mode, result.Tokens);
                    _metrics.RequestFinished(model.ModelId, request.Request.Mode, "completed", result.Timings.Total);
                    request.Dispose();
                }
            }
            catch (Exception error)
            {
                Leave(sequence);
                FailRequest(request, error);
            }
        }

        private void Leave(Sequence sequence)
        {
            if (_running.Remove(sequence))
            {
                RecordDecodeSpan(sequence);
                model.Cache.Release(sequence.Slot);
                _metrics.BatchChanged(model.ModelId, sequence.Request.Request.Mode, -1);
                engine._runningCount = _running.Count;
            }
        }

        /// <summary>One span for the whole decode phase, recorded after the fact: no per-step tracing cost.</summary>
        private static void RecordDecodeSpan(Sequence sequence)
        {
            if (sequence.DecodeStartUtc is not { } start)
            {
                return;
            }

            var span = EngineTracing.StartChild(sequence.Request.Trace, "videoqa.decode", new DateTimeOffset(start));
            if (span is { IsAllDataRequested: true })
            {
                span.SetTag("gen_ai.usage.output_tokens", sequence.Generated.Count);
                if (sequence.FinishReason is { } reason)
                {
                    span.SetTag("videoautor1.finish_reason", EngineTracing.FinishReasonName(reason));
                }
            }

            EngineTracing.Stop(span);
        }

        private void FailRequest(EngineRequest request, Exception error)
        {
            Log.LogError(error, "Request {RequestId} failed on the engine thread", request.Request.RequestId);
            request.Fail(error as VideoQaException
                ?? new VideoQaException(ErrorKind.Internal, "inference_failed", "Inference failed for this request.", error));
            _metrics.RequestFinished(model.ModelId, request.Request.Mode, "failed", null);
            request.Dispose();
        }

        private AnswerResult BuildResult(Sequence sequence)
        {
            var request = sequence.Request;
            var generated = sequence.Generated;
            var textIds = generated.Count > 0 && model.StopTokenIds.Contains(generated[^1]) ? generated.Take(generated.Count - 1) : generated;
            return new AnswerResult(
                request.Request.RequestId,
                model.ModelId,
                sequence.A1,
                sequence.A1LogConfidence,
                sequence.Thought,
                sequence.Rationale,
                sequence.A2,
                sequence.Thought ? sequence.A2 : sequence.A1,
                sequence.A1IsFallback,
                model.Tokenizer.Decode(textIds, skipSpecialTokens: true),
                sequence.FinishReason ?? FinishReason.Stop,
                new TokenCounts(request.PromptIds.Length, request.VisualTokens, generated.Count, sequence.TokensToA1),
                new AnswerTimings(
                    sequence.QueueSeconds,
                    request.MediaSeconds,
                    sequence.VisionSeconds,
                    sequence.PrefillSeconds,
                    sequence.TimeToA1,
                    request.Clock.Elapsed.TotalSeconds));
        }

        public void AbortAll()
        {
            var error = engine.ShuttingDown();
            foreach (var sequence in _running.ToArray())
            {
                Leave(sequence);
                sequence.Request.Fail(error);
                _metrics.RequestFinished(model.ModelId, sequence.Request.Request.Mode, "cancelled", null);
                sequence.Request.Dispose();
            }

            while (engine._queue.Reader.TryRead(out var queued))
            {
                _metrics.Admitted(model.ModelId, queued.Request.Mode, queued.Clock.Elapsed.TotalSeconds - queued.EnqueuedAt);
                queued.Fail(error);
                _metrics.RequestFinished(model.ModelId, queued.Request.Mode, "cancelled", null);
                queued.Dispose();
            }
        }

        private void PublishUsage()
        {
            long held = 0;
            foreach (var sequence in _running)
            {
                held += model.Cache.Length(sequence.Slot);
            }

            Volatile.Write(ref engine._kvUsage, held / kvCapacity);
        }
    }
}
