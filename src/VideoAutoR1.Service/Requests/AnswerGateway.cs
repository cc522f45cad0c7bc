using System.Runtime.CompilerServices;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Service.Telemetry;

namespace VideoAutoR1.Service.Requests;

/// <summary>
/// The only path from the API surfaces to the engine. It turns cancellation into typed errors (caller gone →
/// Cancelled, backstop → DeadlineExceeded), counts outcomes, and logs every failure with the request id and its inner
/// detail (ffmpeg's words, server paths: they stay in the log, the client gets the code and a sentence). The time
/// limit is not decided here: the resolver decides it (<see cref="AnswerRequest.Timeout"/>) and the engine enforces
/// it (deadline_exceeded). The gateway only adds a backstop <see cref="BackstopGrace"/> after it, so that no caller
/// can hang even if the engine failed to end the request.
/// </summary>
public sealed class AnswerGateway(IVideoQaEngine engine, ServiceMetrics metrics, ILogger<AnswerGateway> logger)
{
    /// <summary>How long after the request's own time limit the backstop cancels the call (request_timeout).</summary>
    public static readonly TimeSpan BackstopGrace = TimeSpan.FromSeconds(10);

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
            throw Failed(api, request, error);
        }
    }

    /// <summary>
    /// Starts a stream. Failures the engine finds at once (validation, overload, shutting down) surface here as
    /// exceptions, while the response can still carry a status code; anything later (media, inference, the drain
    /// budget) is thrown by the returned stream, after the response has started.
    /// </summary>
    public Task<IAsyncEnumerable<AnswerEvent>> StartStreamAsync(string api, AnswerRequest request, CancellationToken aborted)
    {
        var watchdog = Watchdog(request, aborted);
        var events = engine.AnswerStreamAsync(request, watchdog.Token).GetAsyncEnumerator(watchdog.Token);
        var first = events.MoveNextAsync();
        if (first.IsCompleted)
        {
            try
            {
                _ = first.GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                DisposeQuietly(events, watchdog);
                if (Translate(e, aborted) is { } error)
                {
                    throw Failed(api, request, error);
                }

                throw;
            }
        }

        return Task.FromResult(Remaining(api, request, events, first, watchdog, aborted));
    }

    private async IAsyncEnumerable<AnswerEvent> Remaining(
        string api, AnswerRequest request, IAsyncEnumerator<AnswerEvent> events, ValueTask<bool> first, CancellationTokenSource watchdog,
        [EnumeratorCancellation] CancellationToken aborted)
    {
        using (watchdog)
        await using (events)
        {
            var hasCurrent = await MoveAsync(api, request, first, aborted);
            while (hasCurrent)
            {
                var current = events.Current;
                if (current is AnswerEvent.Completed completed)
                {
                    metrics.Completed(api, completed.Result);
                }

                yield return current;
                hasCurrent = await MoveAsync(api, request, events.MoveNextAsync(), aborted);
            }
        }
    }

    private async ValueTask<bool> MoveAsync(string api, AnswerRequest request, ValueTask<bool> move, CancellationToken aborted)
    {
        try
        {
            return await move;
        }
        catch (Exception e) when (Translate(e, aborted) is { } error)
        {
            throw Failed(api, request, error);
        }
    }

    private VideoQaException Failed(string api, AnswerRequest request, VideoQaException error)
    {
        var level = error.Kind switch
        {
            ErrorKind.Internal => LogLevel.Error,
            ErrorKind.Unavailable => LogLevel.Warning,
            _ => LogLevel.Information,
        };
        logger.Log(level, error.InnerException, "Request {RequestId} failed with {Code}: {Message}", request.RequestId, error.Code, error.Message);
        return metrics.Failed(api, error);
    }

    private static void DisposeQuietly(IAsyncEnumerator<AnswerEvent> events, CancellationTokenSource watchdog)
    {
        _ = events.DisposeAsync().AsTask().ContinueWith(_ => watchdog.Dispose(), TaskScheduler.Default);
    }

    private static CancellationTokenSource Watchdog(AnswerRequest request, CancellationToken aborted)
    {
        var watchdog = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        watchdog.CancelAfter(request.Timeout + BackstopGrace);
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
