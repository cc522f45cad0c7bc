using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Media;

namespace VideoAutoR1.Service.Requests;

/// <summary>
/// A question about a video as any API surface (REST, gRPC, OpenAI) receives it, before validation and clamping.
/// Every API maps its wire shape to this one type so that the rules live in <see cref="AnswerRequestFactory"/> only.
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
    VideoSamplingRequest? Sampling);
