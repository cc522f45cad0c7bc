using System.Diagnostics;
using System.Threading.Channels;
using VideoAutoR1.Core;
using VideoAutoR1.Media;

namespace VideoAutoR1.Engine;

/// <summary>
/// A request after media preprocessing and tokenisation: everything the engine thread needs, plus the channel its
/// events go out on. Request threads create it; the engine thread alone reads the model inputs.
/// </summary>
internal sealed class EngineRequest : IDisposable
{
    private readonly CancellationTokenSource _lifetime;
    private readonly CancellationToken _callerToken;
    private readonly Lock _publishing = new();
    private bool _finished;
    private bool _disposed;

    /// <summary>Starts the request's lifetime: the caller's token plus the deadline, both counted from arrival.</summary>
    public EngineRequest(AnswerRequest request, string modelId, Stopwatch clock, Activity? trace, CancellationToken callerToken)
    {
        Resolved = request;
        ModelId = modelId;
        Sampler = request.Temperature > 0 ? new TokenSampler(request.Temperature, request.TopP, request.Seed) : TokenSampler.Greedy;
        Clock = clock;
        Trace = trace;
        _callerToken = callerToken;
        _lifetime = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
        _lifetime.CancelAfter(request.Timeout);
        Lifetime = _lifetime.Token;
    }

    /// <summary>The request as the resolver made it; the engine trusts every field.</summary>
    public AnswerRequest Resolved { get; }

    public AnswerMode Mode => Resolved.Mode;

    /// <summary>The model that accepted the request (metric label).</summary>
    public string ModelId { get; }

    /// <summary>Where the request is: written by the thread that moves it (request thread, then engine thread).</summary>
    public RequestStage Stage { get; private set; }

    /// <summary>This request's token choice (its own seeded random source when it samples).</summary>
    public TokenSampler Sampler { get; }

    /// <summary>Prompt ids with the video pads expanded; set once by <see cref="SetInputs"/> before enqueueing.</summary>
    public long[] PromptIds { get; private set; } = [];

    public PreprocessedVideo? Video { get; private set; }

    public int VisualTokens { get; private set; }

    /// <summary>Started at arrival; every timing in the result is read from it.</summary>
    public Stopwatch Clock { get; }

    public double MediaSeconds { get; private set; }

    public double EnqueuedAt { get; private set; }

    /// <summary>The request's <c>videoqa.answer</c> span (null when not traced); its reader stops it.</summary>
    public Activity? Trace { get; }

    /// <summary>The <c>videoqa.queue</c> span, from enqueueing until admission or until the request leaves.</summary>
    public Activity? QueueSpan { get; private set; }

    /// <summary>Unbounded so the engine thread never waits on a slow reader; at most a few events per token.</summary>
    public Channel<AnswerEvent> Events { get; } =
        Channel.CreateUnbounded<AnswerEvent>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Cancelled by the caller, by the deadline, or by the reader leaving the stream.</summary>
    public CancellationToken Lifetime { get; }

    /// <summary>Set once the result or an error has been published.</summary>
    public bool IsFinished
    {
        get
        {
            lock (_publishing)
            {
                return _finished;
            }
        }
    }

    public void SetInputs(long[] promptIds, PreprocessedVideo? video, int visualTokens, double mediaSeconds)
    {
        PromptIds = promptIds;
        Video = video;
        VisualTokens = visualTokens;
        MediaSeconds = mediaSeconds;
    }

    /// <summary>About to enter the queue: from here the queue-depth gauge counts it.</summary>
    public void MarkQueued(double elapsedSeconds)
    {
        EnqueuedAt = elapsedSeconds;
        Stage = RequestStage.Queued;
        QueueSpan = EngineTracing.StartChild(Trace, "videoqa.queue");
    }

    /// <summary>Took a KV-cache slot: the queue span ends here.</summary>
    public void MarkAdmitted()
    {
        Stage = RequestStage.Admitted;
        StopQueueSpan();
    }

    /// <summary>Called on admission, or when the request leaves without one.</summary>
    private void StopQueueSpan()
    {
        EngineTracing.Stop(QueueSpan);
        QueueSpan = null;
    }

    /// <summary>The reader left the stream early: cancel, unless the engine has already finished and disposed it.</summary>
    public void Abandon()
    {
        lock (_publishing)
        {
            if (!_disposed)
            {
                _lifetime.Cancel();
            }
        }
    }

    /// <summary>The error a cancelled request ends with: the caller's own cancellation, or the deadline.</summary>
    public VideoQaException CancellationError() =>
        _callerToken.IsCancellationRequested
            ? new VideoQaException(ErrorKind.Cancelled, "cancelled", "The request was cancelled.")
            : new VideoQaException(
                ErrorKind.DeadlineExceeded, "deadline_exceeded", $"The request did not finish within {Resolved.Timeout.TotalSeconds:0.###} s.");

    /// <summary>Thread-safe: the engine thread publishes, a cancelling caller may fail the request concurrently.</summary>
    public void Publish(AnswerEvent answerEvent)
    {
        lock (_publishing)
        {
            if (!_finished)
            {
                Events.Writer.TryWrite(answerEvent);
            }
        }
    }

    public void Complete(AnswerResult result)
    {
        lock (_publishing)
        {
            if (!_finished)
            {
                EngineTracing.Completed(Trace, result);
            }

            Publish(new AnswerEvent.Completed(result));
            Finish(null);
        }
    }

    public void Fail(Exception error) => Finish(error);

    /// <summary>
    /// Called by whoever holds the request last: the request thread if it never reached the queue, else the engine
    /// thread once the request left it (so the engine never reads a disposed token source).
    /// </summary>
    public void Dispose()
    {
        lock (_publishing)
        {
            _disposed = true;
            _lifetime.Dispose();
            StopQueueSpan();
        }
    }

    private void Finish(Exception? error)
    {
        lock (_publishing)
        {
            // The span is tagged before the reader can see the end (and stop it); only the first ending counts.
            if (error is not null && !_finished)
            {
                EngineTracing.Failed(Trace, error);
            }

            _finished = true;
            Events.Writer.TryComplete(error);
        }
    }
}

/// <summary>Where a request is in the engine.</summary>
internal enum RequestStage
{
    /// <summary>On its request thread: media, tokenisation.</summary>
    Preparing,

    /// <summary>In the queue, counted by the queue-depth gauge.</summary>
    Queued,

    /// <summary>Holding a KV-cache slot on the engine thread.</summary>
    Admitted,
}
