using System.Threading.Channels;
using VideoAutoR1.Core;

namespace VideoAutoR1.Engine;

/// <summary>
/// What request threads and the engine thread share, as one explicit handle: the bounded queue, the wake-up signal,
/// the drain, and the health figures the engine thread publishes. The scheduler gets this and nothing else of the
/// engine; every field here is safe to read from any thread.
/// </summary>
internal sealed class EngineState : IDisposable
{
    private readonly EngineOptions _options;
    private volatile bool _stopping;
    private volatile int _runningCount;
    private long _lastBeatUtcTicks;
    private double _kvUsage;
    private volatile Action? _idleProbe;

    public EngineState(EngineOptions options)
    {
        _options = options;
        Queue = Channel.CreateBounded<EngineRequest>(new BoundedChannelOptions(options.MaxQueueLength)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Prepared requests waiting for a KV-cache slot; the engine thread is its one reader.</summary>
    public Channel<EngineRequest> Queue { get; }

    /// <summary>Set when there is work (a request queued, the drain begun); the idle engine thread waits on it.</summary>
    public AutoResetEvent Wake { get; } = new(false);

    /// <summary>Cancelled when the drain budget (ShutdownGrace) is spent: running, queued and preprocessing requests then fail.</summary>
    public CancellationTokenSource DrainSpent { get; } = new();

    /// <summary>True once the host began stopping: nothing new is admitted.</summary>
    public bool Stopping => _stopping;

    /// <summary>Sequences in the running batch, as of the engine thread's last change.</summary>
    public int RunningCount
    {
        get => _runningCount;
        set => _runningCount = value;
    }

    public DateTimeOffset LastBeat => new(Interlocked.Read(ref _lastBeatUtcTicks), TimeSpan.Zero);

    /// <summary>Fraction of the KV-cache token capacity held by running sequences.</summary>
    public double KvUsage
    {
        get => Volatile.Read(ref _kvUsage);
        set => Volatile.Write(ref _kvUsage, value);
    }

    /// <summary>
    /// Run by the engine thread each time it goes idle, for what only that thread can observe (TorchSharp's
    /// thread-local tensor statistics, in the leak test); null in serving.
    /// </summary>
    public Action? IdleProbe
    {
        get => _idleProbe;
        set => _idleProbe = value;
    }

    /// <summary>Stops admitting; returns false when the drain had already begun.</summary>
    public bool BeginStopping()
    {
        if (_stopping)
        {
            return false;
        }

        _stopping = true;
        DrainSpent.CancelAfter(_options.ShutdownGrace);
        Wake.Set();
        return true;
    }

    /// <summary>The engine thread is alive (readiness reads the age of the last beat).</summary>
    public void Beat() => Interlocked.Exchange(ref _lastBeatUtcTicks, DateTimeOffset.UtcNow.UtcTicks);

    public VideoQaException ShuttingDown(Exception? inner = null) =>
        new(ErrorKind.Unavailable, "shutting_down", "The server is shutting down; retry on another instance.", inner)
        {
            RetryAfter = _options.OverloadRetryAfter,
        };

    public VideoQaException QueueFull() =>
        new(ErrorKind.Overloaded, "queue_full", $"The engine queue is full ({_options.MaxQueueLength} requests waiting).")
        {
            RetryAfter = _options.OverloadRetryAfter,
        };

    public void Dispose()
    {
        Wake.Dispose();
        DrainSpent.Dispose();
    }
}
