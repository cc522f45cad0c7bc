using System.Text.Json;
using System.Text.Json.Serialization;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Eval.Grading;

namespace VideoAutoR1.Eval;

/// <summary>
/// One line of results.jsonl: the input's id (with its benchmark, category and task, so a results file is summarised
/// on its own), the model and mode that produced it, both answers, their grades and the cost. Grounding items carry
/// IoUs and no correctness; <c>iou</c> and <c>correct_final</c> are those of the final answer.
/// </summary>
public sealed record ResultLine
{
    public required string Id { get; init; }

    public string? Benchmark { get; init; }

    public string? Category { get; init; }

    public required string Task { get; init; }

    public required string Model { get; init; }

    public required string Mode { get; init; }

    /// <summary>τ the run compared a1's confidence with (auto mode); null in think and direct mode.</summary>
    public double? Threshold { get; init; }

    public string? A1 { get; init; }

    public double? A1Confidence { get; init; }

    /// <summary>mean log p of a1's span, the number the engine compares with ln τ (kept exact for calibration).</summary>
    public double? A1LogConfidence { get; init; }

    public bool A1IsFallback { get; init; }

    public bool Thought { get; init; }

    public string? Rationale { get; init; }

    public string? A2 { get; init; }

    public string? FinalAnswer { get; init; }

    public bool? CorrectA1 { get; init; }

    public bool? CorrectA2 { get; init; }

    public bool? CorrectFinal { get; init; }

    public double? Iou { get; init; }

    public double? IouA1 { get; init; }

    public double? IouA2 { get; init; }

    public int GeneratedTokens { get; init; }

    public int? TokensToA1 { get; init; }

    public double LatencyS { get; init; }

    public string? FinishReason { get; init; }

    /// <summary>The item's score in [0, 1]: correctness, or IoU for temporal grounding (what accuracy curves average).</summary>
    [JsonIgnore]
    public double Score => IsGrounding ? Iou ?? 0 : CorrectFinal == true ? 1 : 0;

    /// <summary><see cref="Score"/> of a1 alone (what an early exit would have answered).</summary>
    [JsonIgnore]
    public double ScoreA1 => IsGrounding ? IouA1 ?? 0 : CorrectA1 == true ? 1 : 0;

    private bool IsGrounding => Task == EvalTasks.Name(TaskKind.TemporalGrounding);

    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Grades an engine result against the item's ground truth.</summary>
    public static ResultLine Grade(EvalItem item, AnswerResult result, AnswerMode mode, double threshold, AnswerGrader grader)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(grader);
        var a1 = grader.Grade(item.Question, item.Truth, result.A1);
        var a2 = result.Thought ? grader.Grade(item.Question, item.Truth, result.A2) : null;
        var final = result.Thought ? a2! : a1;
        return new ResultLine
        {
            Id = item.Id,
            Benchmark = item.Benchmark,
            Category = item.Category,
            Task = EvalTasks.Name(item.Question.Kind),
            Model = result.ModelId,
            Mode = ModeName(mode),
            Threshold = mode == AnswerMode.Auto ? threshold : null,
            A1 = result.A1,
            A1Confidence = result.A1Confidence,
            A1LogConfidence = result.A1LogConfidence,
            A1IsFallback = result.A1IsFallback,
            Thought = result.Thought,
            Rationale = result.Rationale,
            A2 = result.A2,
            FinalAnswer = result.FinalAnswer,
            CorrectA1 = a1.Correct,
            CorrectA2 = a2?.Correct,
            CorrectFinal = final.Correct,
            Iou = final.Iou,
            IouA1 = a1.Iou,
            IouA2 = a2?.Iou,
            GeneratedTokens = result.Tokens.Generated,
            TokensToA1 = result.Tokens.GeneratedToA1,
            LatencyS = result.Timings.Total,
            FinishReason = JsonNamingPolicy.SnakeCaseLower.ConvertName(result.FinishReason.ToString()),
        };
    }

    public static string ModeName(AnswerMode mode) => mode.ToString().ToLowerInvariant();
}
