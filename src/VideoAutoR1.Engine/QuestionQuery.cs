using VideoAutoR1.Core;
using VideoAutoR1.Media;

namespace VideoAutoR1.Engine;

/// <summary>
/// A question about a video as a caller sends it (REST, gRPC, OpenAI, the CLI, evaluation), before defaults, ranges
/// and caps: null means "the server's default". Every surface maps its wire shape to this one type and hands it to
/// <see cref="RequestResolver"/>, the only place the rules live.
/// </summary>
public sealed record QuestionQuery(
    string? Question,
    IReadOnlyList<string>? Options,
    TaskKind? Task,
    AnswerMode? Mode,
    double? Threshold,
    int? MaxNewTokens,
    double? Temperature,
    double? TopP,
    int? Seed,
    double? TimeoutSeconds,
    VideoSamplingRequest? Sampling,
    PromptStyle Style = PromptStyle.Default);
