using System.Diagnostics;
using VideoAutoR1.Core;

namespace VideoAutoR1.Engine;

/// <summary>
/// The engine's spans on ActivitySource "VideoAutoR1": per request <c>videoqa.answer</c> with children
/// <c>videoqa.media</c>, <c>videoqa.queue</c>, <c>videoqa.prefill</c> and <c>videoqa.decode</c>. Tags are bounded
/// (model, mode, token counts, decision, finish reason, confidence, error code); never the question or the video.
/// With no listener every start returns null and nothing is computed.
/// </summary>
public static class EngineTracing
{
    public const string SourceName = "VideoAutoR1";

    internal static readonly ActivitySource Source = new(SourceName);

    /// <summary>The request's span, a child of the caller's ambient activity (the ASP.NET Core request span).</summary>
    internal static Activity? StartAnswer(AnswerMode mode)
    {
        var activity = Source.StartActivity("videoqa.answer");
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("videoautor1.mode", EngineMetrics.ModeName(mode));
        }

        return activity;
    }

    /// <summary>
    /// A child of <paramref name="parent"/> (none when the parent is not recorded) that leaves
    /// <see cref="Activity.Current"/> untouched, so the engine thread never carries an ambient activity.
    /// </summary>
    internal static Activity? StartChild(Activity? parent, string name, DateTimeOffset startTime = default)
    {
        if (parent is null)
        {
            return null;
        }

        var previous = Activity.Current;
        var activity = Source.StartActivity(name, ActivityKind.Internal, parent.Context, startTime: startTime);
        Activity.Current = previous;
        return activity;
    }

    /// <summary>Stops without changing <see cref="Activity.Current"/> (Stop would restore the activity's predecessor).</summary>
    internal static void Stop(Activity? activity, DateTime? endTimeUtc = null)
    {
        if (activity is null)
        {
            return;
        }

        var previous = Activity.Current;
        if (endTimeUtc is { } end)
        {
            activity.SetEndTime(end);
        }

        activity.Stop();
        Activity.Current = previous;
    }

    /// <summary>End of the activity in UTC, for a span that continues where this one stopped.</summary>
    internal static DateTime EndTimeUtc(Activity activity) => activity.StartTimeUtc + activity.Duration;

    /// <summary>Marks a still-running span failed and stops it; a span that already ended is left as recorded.</summary>
    internal static void StopFailed(Activity? activity, Exception error)
    {
        if (activity is { IsStopped: false })
        {
            Failed(activity, error);
            Stop(activity);
        }
    }

    internal static void Failed(Activity? activity, Exception error)
    {
        if (activity is null)
        {
            return;
        }

        var code = error is VideoQaException typed ? typed.Code : error.GetType().FullName;
        activity.SetStatus(ActivityStatusCode.Error, code);
        if (activity.IsAllDataRequested)
        {
            activity.SetTag("error.type", code);
        }
    }

    internal static void Completed(Activity? activity, AnswerResult result)
    {
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }

        activity.SetTag("gen_ai.request.model", result.ModelId);
        activity.SetTag("gen_ai.usage.input_tokens", result.Tokens.Prompt);
        activity.SetTag("gen_ai.usage.output_tokens", result.Tokens.Generated);
        activity.SetTag("videoautor1.visual_tokens", result.Tokens.Visual);
        activity.SetTag("videoautor1.finish_reason", FinishReasonName(result.FinishReason));
        if (Decision(result) is { } decision)
        {
            activity.SetTag("videoautor1.decision", decision);
        }

        if (result.A1Confidence is { } confidence)
        {
            activity.SetTag("videoautor1.a1.confidence", confidence);
        }
    }

    /// <summary>What the first box decided; null when generation ended before it closed.</summary>
    internal static string? Decision(AnswerResult result) =>
        result.Thought ? "thinking" : result.FinishReason == FinishReason.EarlyExit ? "early_exit" : null;

    internal static string FinishReasonName(FinishReason reason) => reason switch
    {
        FinishReason.Stop => "stop",
        FinishReason.EarlyExit => "early_exit",
        FinishReason.Length => "length",
        _ => throw new UnreachableException(),
    };
}
