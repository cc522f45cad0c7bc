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

/// <summary>
/// One video question after <see cref="RequestResolver"/>: every default applied, every value inside its range and
/// under its cap. Only the resolver builds one, so the engine trusts every field and checks none of them again.
/// </summary>
public sealed class AnswerRequest
{
    internal AnswerRequest(
        string requestId,
        VideoSource video,
        QuestionSpec question,
        AnswerMode mode,
        double threshold,
        int maxNewTokens,
        double temperature,
        double topP,
        int? seed,
        VideoSampling sampling,
        TimeSpan timeout)
    {
        RequestId = requestId;
        Video = video;
        Question = question;
        Mode = mode;
        Threshold = threshold;
        MaxNewTokens = maxNewTokens;
        Temperature = temperature;
        TopP = topP;
        Seed = seed;
        Sampling = sampling;
        Timeout = timeout;
    }

    public string RequestId { get; }

    public VideoSource Video { get; }

    public QuestionSpec Question { get; }

    public AnswerMode Mode { get; }

    /// <summary>τ in (0, 1]: a1 whose confidence is below it makes the model think.</summary>
    public double Threshold { get; }

    public int MaxNewTokens { get; }

    /// <summary>0 = greedy.</summary>
    public double Temperature { get; }

    public double TopP { get; }

    /// <summary>The sampling seed; null = not reproducible (only read when <see cref="Temperature"/> is above 0).</summary>
    public int? Seed { get; }

    public VideoSampling Sampling { get; }

    /// <summary>
    /// The request's whole time limit, counted from its submission to the engine: media, queue, prefill and decode.
    /// Decided once by the resolver (caller, server default and cap, transport deadline); enforced by the engine.
    /// </summary>
    public TimeSpan Timeout { get; }

    /// <summary>The same request with another video (the resolved rules do not depend on where the video comes from).</summary>
    public AnswerRequest WithVideo(VideoSource video) =>
        new(RequestId, video, Question, Mode, Threshold, MaxNewTokens, Temperature, TopP, Seed, Sampling, Timeout);
}

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
    public double? A1Confidence => Core.Grammar.A1Confidence.Value(A1LogConfidence);
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
