using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using VideoAutoR1.Core;
using VideoAutoR1.Core.Grammar;

namespace VideoAutoR1.Eval.Grading;

/// <summary>Weights of R = w1·R_task(a1) + w2·R_task(a2) + λ·R_fmt + α·R_fallback (training script defaults).</summary>
public sealed class RewardWeights
{
    [Range(0, 100)]
    public double FirstAnswer { get; set; } = 0.9;

    [Range(0, 100)]
    public double SecondAnswer { get; set; } = 1.1;

    [Range(0, 100)]
    public double Format { get; set; } = 1.0;

    [Range(0, 100)]
    public double Fallback { get; set; } = 0.3;
}

/// <summary>The reward and its terms.</summary>
/// <param name="FirstAnswer">R_task(a1); a1 is the single box before the first <c>&lt;think&gt;</c>, else empty (scores 0).</param>
/// <param name="SecondAnswer">R_task(a2); a2 is the single box after the last <c>&lt;/think&gt;</c>, else empty.</param>
/// <param name="Format">R_fmt: 1 when the whole completion matches the answer-think-answer template.</param>
/// <param name="Fallback">R_fallback: 1 when a1 is the fallback string and R_task(a2) &gt; 0.7.</param>
public sealed record RewardBreakdown(double Total, double FirstAnswer, double SecondAnswer, double Format, double Fallback);

/// <summary>
/// The VideoAuto-R1 training reward (docs/specs/videoauto-r1.md §4, <c>reward.py</c>). R_task follows the reference per task:
/// strict normalised exact match for multiple choice and free text, IoU for grounding, exact match + IoU for NExT-GQA.
/// Numeric answers are compared within the <see cref="GradingOptions"/> tolerance, where the reference uses
/// math-verify (symbolic equivalence), which has no .NET counterpart.
/// </summary>
public sealed partial class DualAnswerReward
{
    private const string Ws = PythonText.SpaceClass;
    private const string NotWs = PythonText.NonSpaceClass;

    private readonly RewardWeights _weights;
    private readonly GradingOptions _grading;

    public DualAnswerReward(RewardWeights? weights = null, GradingOptions? grading = null)
    {
        _weights = weights ?? new RewardWeights();
        _grading = grading ?? new GradingOptions();
        Validator.ValidateObject(_weights, new ValidationContext(_weights), validateAllProperties: true);
        Validator.ValidateObject(_grading, new ValidationContext(_grading), validateAllProperties: true);
    }

    public RewardBreakdown Compute(string completion, GroundTruth truth)
    {
        ArgumentNullException.ThrowIfNull(completion);
        ArgumentNullException.ThrowIfNull(truth);
        var a1 = SingleBox(completion.Split(AnswerTemplate.ThinkOpen)[0]);
        var a2 = SingleBox(completion.Split(AnswerTemplate.ThinkClose)[^1]);
        var r1 = Task(a1, truth);
        var r2 = Task(a2, truth);
        var fallback = r2 > 0.7 && AnswerTemplate.IsFallback(a1) ? 1.0 : 0.0;
        var format = FollowsTemplate(completion) ? 1.0 : 0.0;
        var total = _weights.FirstAnswer * r1 + _weights.SecondAnswer * r2 + _weights.Format * format + _weights.Fallback * fallback;
        return new RewardBreakdown(total, r1, r2, format, fallback);
    }

    /// <summary>R_task of one extracted answer (already stripped).</summary>
    public double Task(string answer, GroundTruth truth) => truth.Kind switch
    {
        TaskKind.MultipleChoice or TaskKind.Open => MatchNormalizer.Equal(truth.AnswerText, answer) ? 1 : 0,
        TaskKind.Numeric => NumericAnswer.TryParse(answer, out var value)
            && NumericAnswer.WithinTolerance(value, truth.Number!.Value, _grading.NumericAbsoluteTolerance, _grading.NumericRelativeTolerance) ? 1 : 0,
        TaskKind.TemporalGrounding => Iou(answer, truth),
        TaskKind.GroundedQa => (MatchNormalizer.Equal(PythonText.Strip(answer.Split("<>")[0]), truth.AnswerText) ? 1 : 0)
            + Iou(PythonText.Strip(answer.Split("<>")[^1]), truth),
        _ => 0,
    };

    /// <summary>R_fmt: the reference's template regex over the whole completion (a timeout counts as a miss, as any error does there).</summary>
    public static bool FollowsTemplate(string completion)
    {
        try
        {
            return Template().IsMatch(completion);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private static double Iou(string answer, GroundTruth truth) =>
        TimestampParser.TryParse(answer, out var segment) ? segment.BestIou(truth.Segments) : 0;

    // extract_twice_boxed_content: exactly one box (one nesting level) in the piece, else "".
    private static string SingleBox(string piece)
    {
        var boxes = Box().Matches(piece);
        return boxes.Count == 1 ? PythonText.Strip(boxes[0].Groups[1].Value) : "";
    }

    [GeneratedRegex(@"\\boxed\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")]
    private static partial Regex Box();

    [GeneratedRegex(
        $@"\A(?!.*<think>.*<think>)(?!.*</think>.*</think>){Ws}*\\boxed\{{(?:[^{{}}]|\{{[^{{}}]*\}})*\}}{Ws}*<think>(?=[\s\S]*?{NotWs})[\s\S]*?</think>{Ws}*\\boxed\{{(?:[^{{}}]|\{{[^{{}}]*\}})*\}}{Ws}*$",
        RegexOptions.Singleline,
        matchTimeoutMilliseconds: 2000)]
    private static partial Regex Template();
}
