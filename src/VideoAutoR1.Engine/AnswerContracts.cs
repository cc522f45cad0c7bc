using VideoAutoR1.Core;
using VideoAutoR1.Media;

namespace VideoAutoR1.Engine;

/// <summary>auto = early exit on confidence; think = always reason; direct = stop after a1 whatever the confidence.</summary>
public enum AnswerMode
{
    Auto,
    Think,
    Direct,
}

/// <summary>One video question as the API layers hand it to the engine. Null knobs take the server defaults.</summary>
public sealed record AnswerRequest(
    string RequestId,
    VideoSource Video,
    QuestionSpec Question,
    AnswerMode Mode = AnswerMode.Auto,
    double? Threshold = null,
    int? MaxNewTokens = null,
    double? Temperature = null,
    double? TopP = null,
    int? Seed = null,
    VideoSamplingRequest? Sampling = null,
    TimeSpan? Timeout = null);

/// <summary>Token counts of one request.</summary>
/// <param name="GeneratedToA1">Generated tokens up to the one that closed the first box, null when it never closed: what
/// an early exit costs, so one think-mode run tells what auto mode would generate at any τ.</param>
public sealed record TokenCounts(int Prompt, int Visual, int Generated, int? GeneratedToA1 = null);

/// <summary>Where the time went, in seconds. TimeToA1 is null when the first box never closed.</summary>
public sealed record AnswerTimings(
    double Queue,
    double Media,
    double Vision,
    double Prefill,
    double? TimeToA1,
    double Total);

/// <summary>Why generation stopped.</summary>
public enum FinishReason
{
    /// <summary>a1 was confident enough (or mode = direct): stopped when the first box closed.</summary>
    EarlyExit,

    /// <summary>The second box closed, or the model emitted end-of-turn.</summary>
    Stop,

    /// <summary>max_new_tokens reached.</summary>
    Length,
}

/// <summary>The engine's answer. FinalAnswer is a2 when thinking ran, else a1.</summary>
public sealed record AnswerResult(
    string RequestId,
    string ModelId,
    string? A1,
    double? A1LogConfidence,
    bool Thought,
    string? Rationale,
    string? A2,
    string? FinalAnswer,
    bool A1IsFallback,
    string Text,
    FinishReason FinishReason,
    TokenCounts Tokens,
    AnswerTimings Timings)
{
    /// <summary>exp(mean log p) of the a1 span: the number compared with τ.</summary>
    public double? A1Confidence => A1LogConfidence is { } log ? Math.Exp(log) : null;
}

/// <summary>Streaming form of a result, in order: A1Decided, RationaleDelta*, A2Decided?, Completed.</summary>
public abstract record AnswerEvent
{
    private AnswerEvent()
    {
    }

    /// <summary>The first box closed; <see cref="WillThink"/> says whether decoding continues.</summary>
    public sealed record A1Decided(string A1, double? LogConfidence, bool IsFallback, bool WillThink) : AnswerEvent;

    /// <summary>New rationale text since the previous delta.</summary>
    public sealed record RationaleDelta(string Text) : AnswerEvent;

    /// <summary>The second box closed.</summary>
    public sealed record A2Decided(string A2) : AnswerEvent;

    /// <summary>Always last, with the full result.</summary>
    public sealed record Completed(AnswerResult Result) : AnswerEvent;
}

/// <summary>Engine lifecycle as health checks see it, readable without touching the engine thread.</summary>
/// <param name="Architecture">The served checkpoint's architecture (config.json), e.g. Qwen3VLForConditionalGeneration; empty while loading.</param>
public sealed record EngineStatus(bool Ready, string ModelId, DateTimeOffset LastLoopBeat, int QueueDepth, int RunningSequences, string Architecture = "");

/// <summary>What the API layers call. Failures are <see cref="VideoQaException"/>s (Overloaded carries RetryAfter).</summary>
public interface IVideoQaEngine
{
    EngineStatus Status { get; }

    Task<AnswerResult> AnswerAsync(AnswerRequest request, CancellationToken cancellationToken);

    IAsyncEnumerable<AnswerEvent> AnswerStreamAsync(AnswerRequest request, CancellationToken cancellationToken);
}
