using System.Runtime.CompilerServices;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Service.Telemetry;

namespace VideoAutoR1.Service.Requests;

/// <summary>
/// The only path from the API surfaces to the engine. It turns cancellation into typed errors (caller gone →
/// Cancelled, watchdog → DeadlineExceeded), counts outcomes, and bounds every call by the request's timeout plus a
/// grace period so that no caller can hang even if the engine misses its own deadline.
/// </summary>
public sealed class AnswerGateway(IVideoQaEngine engine, ServiceMetrics metrics)
{
    private static readonly TimeSpan WatchdogGrace = TimeSpan.FromSeconds(10);

    public EngineStatus Status => engine.Status;

    public async Task<AnswerResult> AnswerAsync(string api, AnswerRequest request, CancellationToken aborted)
    {
        using var watchdog = Watchdog(request, aborted);
        try
        {
            var result = await engine.AnswerAsync(request, watchdog.Token);
            metrics.Completed(api, result);
            return result;
        }
        catch (Exception e) when (Translate(e, aborted) is { } error)
        {
            throw metrics.Failed(api, error);
        }
    }

    /// <summary>
    /// Starts a stream and waits for its first event, so failures before a1 (validation, overload, media) surface
    /// as ordinary exceptions while the response can still carry a status code.
    /// </summary>
    public async Task<IAsyncEnumerable<AnswerEvent>> StartStreamAsync(string api, AnswerRequest request, CancellationToken aborted)
    {
        var watchdog = Watchdog(request, aborted);
        var events = engine.AnswerStreamAsync(request, watchdog.Token).GetAsyncEnumerator(watchdog.Token);
        try
        {
            var hasFirst = await events.MoveNextAsync();
            return Remaining(api, events, hasFirst, watchdog, aborted);
        }
        catch (Exception e)
        {
            await events.DisposeAsync();
            watchdog.Dispose();
            if (Translate(e, aborted) is { } error)
            {
                throw metrics.Failed(api, error);
            }

            throw;
        }
    }

    private async IAsyncEnumerable<AnswerEvent> Remaining(
        string api, IAsyncEnumerator<AnswerEvent> events, bool hasCurrent, CancellationTokenSource watchdog, [EnumeratorCancellation] CancellationToken aborted)
    {
        using (watchdog)
        await using (events)
        {
            while (hasCurrent)
            {
                var current = events.Current;
                if (current is AnswerEvent.Completed completed)
                {
                    metrics.Completed(api, completed.Result);
                }

                yield return current;
                try
                {
                    hasCurrent = await events.MoveNextAsync();
                }
                catch (Exception e) when (Translate(e, aborted) is { } error)
                {
                    throw metrics.Failed(api, error);
                }
            }
        }
    }

    private static CancellationTokenSource Watchdog(AnswerRequest request, CancellationToken aborted)
    {
        var watchdog = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        if (request.Timeout is { } timeout)
        {
            watchdog.CancelAfter(timeout + WatchdogGrace);
        }

        return watchdog;
    }

    /// <summary>Typed errors as they are; cancellations by who caused them; anything else stays a bug (null).</summary>
    private static VideoQaException? Translate(Exception e, CancellationToken aborted) => e switch
    {
        VideoQaException typed => typed,
        OperationCanceledException when aborted.IsCancellationRequested =>
            new VideoQaException(ErrorKind.Cancelled, "client_cancelled", "The client cancelled the request.", e),
        OperationCanceledException =>
            new VideoQaException(ErrorKind.DeadlineExceeded, "request_timeout", "The request did not finish within its time limit.", e),
        _ => null,
    };
}
