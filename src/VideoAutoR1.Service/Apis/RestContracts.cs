using System.ComponentModel;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Media;
using VideoAutoR1.Service.Requests;

namespace VideoAutoR1.Service.Apis;

/// <summary>Where the video is, for JSON requests. Exactly one of <see cref="Url"/> and <see cref="Path"/>.</summary>
public sealed record VideoReference(
    [property: Description("http(s) URL of the video, fetched under the server's URL policy.")] string? Url = null,
    [property: Description("Path of the video under the server's media root.")] string? Path = null);

/// <summary>A question about a video. With multipart uploads this is the "request" part and <see cref="Video"/> is omitted.</summary>
public sealed record AskRequest(
    [property: Description("The question, or for temporal grounding the description of the segment.")] string? Question,
    [property: Description("Option texts without letters (letters are added by the prompt builder).")] IReadOnlyList<string>? Options = null,
    [property: Description("Task kind; default multiple_choice when options are given, else open.")] TaskKind? Task = null,
    [property: Description("auto = early exit on confidence (default), think = always reason, direct = stop after a1.")] AnswerMode? Mode = null,
    [property: Description("Early-exit threshold tau: a1 less confident than tau makes the model think.")] double? Threshold = null,
    int? MaxNewTokens = null,
    double? Temperature = null,
    double? TopP = null,
    int? Seed = null,
    [property: Description("Time limit for this request in seconds, from arrival (media, queue and decoding).")] double? TimeoutSeconds = null,
    VideoReference? Video = null,
    [property: Description("Frame sampling knobs; unset = server default; values above the server's caps are lowered to them.")] VideoSamplingRequest? Sampling = null)
{
    public QuestionQuery ToQuery() =>
        new(Question, Options, Task, Mode, Threshold, MaxNewTokens, Temperature, TopP, Seed, TimeoutSeconds, Sampling);
}

public sealed record TokenUsage(int Prompt, int Visual, int Generated);

public sealed record StageTimings(double Queue, double Media, double Vision, double Prefill, double? TimeToA1, double Total);

/// <summary>The answer. <see cref="FinalAnswer"/> is a2 when the model thought, else a1.</summary>
public sealed record AskResponse(
    string RequestId,
    string ModelId,
    string? A1,
    [property: Description("exp(mean log p) of the tokens inside the first box, compared with the threshold.")] double? Confidence,
    bool Thought,
    string? Rationale,
    string? A2,
    string? FinalAnswer,
    bool A1IsFallback,
    [property: Description("The model's output text (the kept part).")] string Text,
    FinishReason FinishReason,
    TokenUsage Tokens,
    StageTimings Timings)
{
    public static AskResponse From(AnswerResult r) => new(
        r.RequestId,
        r.ModelId,
        r.A1,
        r.A1Confidence,
        r.Thought,
        r.Rationale,
        r.A2,
        r.FinalAnswer,
        r.A1IsFallback,
        r.Text,
        r.FinishReason,
        new TokenUsage(r.Tokens.Prompt, r.Tokens.Visual, r.Tokens.Generated),
        new StageTimings(r.Timings.Queue, r.Timings.Media, r.Timings.Vision, r.Timings.Prefill, r.Timings.TimeToA1, r.Timings.Total));
}

/// <summary>SSE "a1" event: the first box closed.</summary>
public sealed record A1Event(string A1, double? Confidence, bool IsFallback, bool WillThink);

/// <summary>SSE "rationale" event: new rationale text.</summary>
public sealed record RationaleEvent(string Text);

/// <summary>SSE "a2" event: the second box closed.</summary>
public sealed record A2Event(string A2);

/// <param name="Architecture">The checkpoint's architecture (Qwen2_5_VLForConditionalGeneration or Qwen3VLForConditionalGeneration).</param>
public sealed record ModelCard(string Id, string Object, string OwnedBy, bool Ready, string Architecture);

public sealed record ModelList(string Object, IReadOnlyList<ModelCard> Data);
