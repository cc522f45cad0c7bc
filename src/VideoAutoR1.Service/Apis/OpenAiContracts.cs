using System.Text.Json;
using System.Text.Json.Serialization;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Media;

namespace VideoAutoR1.Service.Apis;

// OpenAI chat-completions wire shapes (snake_case through the HTTP JSON options), limited to what this server does.

/// <summary>A chat completion request; the last user message must carry exactly one video_url part and some text.</summary>
public sealed record ChatCompletionRequest(
    string? Model,
    IReadOnlyList<ChatMessage>? Messages,
    bool Stream = false,
    int? MaxTokens = null,
    int? MaxCompletionTokens = null,
    double? Temperature = null,
    double? TopP = null,
    int? Seed = null,
    VideoAutoR1Options? Videoautor1 = null);

/// <summary>Content is a string or an array of parts ({type: text, text} / {type: video_url, video_url: {url}}).</summary>
public sealed record ChatMessage(string Role, JsonElement Content);

public sealed record ContentPart(string Type, string? Text = null, VideoUrl? VideoUrl = null);

public sealed record VideoUrl(string Url);

/// <summary>Request extension: the knobs the OpenAI shape cannot express.</summary>
public sealed record VideoAutoR1Options(
    TaskKind? Task = null,
    IReadOnlyList<string>? Options = null,
    AnswerMode? Mode = null,
    double? Threshold = null,
    double? TimeoutSeconds = null,
    VideoSamplingRequest? Sampling = null);

/// <summary>Response extension: the two answers and the early-exit decision.</summary>
public sealed record VideoAutoR1Answer(
    string RequestId,
    string? A1,
    double? Confidence,
    bool Thought,
    string? Rationale,
    string? A2,
    string? FinalAnswer,
    bool A1IsFallback,
    FinishReason FinishReason)
{
    public static VideoAutoR1Answer From(AnswerResult r) =>
        new(r.RequestId, r.A1, r.A1Confidence, r.Thought, r.Rationale, r.A2, r.FinalAnswer, r.A1IsFallback, r.FinishReason);
}

public sealed record ChatCompletion(
    string Id, string Object, long Created, string Model, IReadOnlyList<ChatChoice> Choices, ChatUsage Usage, VideoAutoR1Answer Videoautor1);

public sealed record ChatChoice(int Index, ChatResponseMessage Message, string FinishReason);

public sealed record ChatResponseMessage(string Role, string Content);

public sealed record ChatUsage(int PromptTokens, int CompletionTokens, int TotalTokens)
{
    public static ChatUsage From(TokenCounts t) => new(t.Prompt, t.Generated, t.Prompt + t.Generated);
}

/// <summary>A stream chunk; usage and videoautor1 appear on the last chunk only.</summary>
public sealed record ChatCompletionChunk(
    string Id,
    string Object,
    long Created,
    string Model,
    IReadOnlyList<ChunkChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ChatUsage? Usage = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] VideoAutoR1Answer? Videoautor1 = null);

public sealed record ChunkChoice(int Index, ChunkDelta Delta, string? FinishReason);

public sealed record ChunkDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content = null);
