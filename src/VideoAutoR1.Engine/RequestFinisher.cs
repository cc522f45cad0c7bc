using Microsoft.Extensions.Logging;
using VideoAutoR1.Core;

namespace VideoAutoR1.Engine;

/// <summary>How a request left the engine; the <c>outcome</c> label of <c>videoautor1_requests_total</c>.</summary>
internal enum RequestOutcome
{
    Completed,
    Failed,
    Cancelled,
    TimedOut,
    Rejected,
}

/// <summary>
/// The one way out of the engine. Every exit (completed, failed, cancelled, timed out, rejected; on a request thread
/// before the queue or on the engine thread after it) goes through <see cref="Finish"/>, which publishes the end to
/// the reader, settles the queue-depth gauge when the request left the queue without admission, records the outcome
/// and disposes the request. The scheduler returns a running sequence's cache slot before calling it.
/// </summary>
internal sealed class RequestFinisher(EngineMetrics metrics, ILogger logger)
{
    public void Finish(EngineRequest request, RequestOutcome outcome, Exception? error, AnswerResult? result = null)
    {
        var mode = request.Mode;
        if (request.Stage == RequestStage.Queued)
        {
            // Taken off the queue (cancelled while waiting, shutdown, or refused at enqueue) without an admission.
            metrics.Dequeued(request.ModelId, mode);
        }

        if (outcome == RequestOutcome.Completed)
        {
            ArgumentNullException.ThrowIfNull(result);
            request.Complete(result);
            metrics.Tokens(request.ModelId, mode, result.Tokens);
            metrics.RequestFinished(request.ModelId, mode, OutcomeName(outcome), result.Timings.Total);
        }
        else
        {
            ArgumentNullException.ThrowIfNull(error);
            if (outcome == RequestOutcome.Failed)
            {
                logger.LogError(error, "Request {RequestId} failed in the engine", request.Resolved.RequestId);
            }

            request.Fail(error as VideoQaException
                ?? new VideoQaException(ErrorKind.Internal, "inference_failed", "Inference failed for this request.", error));
            metrics.RequestFinished(request.ModelId, mode, OutcomeName(outcome), null);
        }

        request.Dispose();
    }

    /// <summary>Cancelled by the caller, or timed out by the request's own deadline.</summary>
    public static RequestOutcome CancelledOutcome(EngineRequest request) =>
        request.CancellationError().Kind == ErrorKind.DeadlineExceeded ? RequestOutcome.TimedOut : RequestOutcome.Cancelled;

    private static string OutcomeName(RequestOutcome outcome) => outcome switch
    {
        RequestOutcome.Completed => "completed",
        RequestOutcome.Failed => "failed",
        RequestOutcome.Cancelled => "cancelled",
        RequestOutcome.TimedOut => "timed_out",
        RequestOutcome.Rejected => "rejected",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };
}
