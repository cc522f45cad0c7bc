using System.ComponentModel.DataAnnotations;
using VideoAutoR1.Core;

namespace VideoAutoR1.Eval.Grading;

/// <summary>Score of one predicted answer.</summary>
/// <param name="Score">Correctness in [0, 1]; IoU for grounding; correct + IoU in [0, 2] for NExT-GQA (as the reference reward).</param>
/// <param name="Correct">Whether the answer (letter, number, text) is right; null for pure grounding.</param>
/// <param name="Iou">Best IoU of the predicted segment; null for kinds without segments.</param>
/// <param name="Understood">False when the prediction could not be read in the kind's form (it then scores 0).</param>
public sealed record Grade(double Score, bool? Correct, double? Iou, bool Understood);

public sealed class GradingOptions
{
    /// <summary>Numeric answers within this absolute difference are correct.</summary>
    [Range(0, double.MaxValue)]
    public double NumericAbsoluteTolerance { get; set; } = 1e-6;

    /// <summary>… or within this fraction of the true value.</summary>
    [Range(0, 1)]
    public double NumericRelativeTolerance { get; set; } = 1e-4;
}

/// <summary>
/// Scores a predicted answer (the content of a box) against the ground truth, per task kind, with lenient reading of
/// the prediction: any letter form or the option's text for multiple choice, the first number for numeric,
/// normalised exact match for free text, first interval for grounding.
/// </summary>
public sealed class AnswerGrader
{
    private readonly GradingOptions _options;

    public AnswerGrader(GradingOptions? options = null)
    {
        _options = options ?? new GradingOptions();
        Validator.ValidateObject(_options, new ValidationContext(_options), validateAllProperties: true);
    }

    public Grade Grade(QuestionSpec question, GroundTruth truth, string? predicted)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(truth);
        if (truth.Kind != question.Kind)
        {
            throw new VideoQaException(ErrorKind.InvalidArgument, "answer_format_invalid", $"the ground truth is for {truth.Kind}, the question is {question.Kind}");
        }

        return question.Kind switch
        {
            TaskKind.MultipleChoice => Choice(ChoiceAnswer.Resolve(predicted, question.Options ?? []), truth),
            TaskKind.Numeric => Numeric(predicted, truth),
            TaskKind.Open => Binary(MatchNormalizer.Equal(truth.Text, predicted), understood: !string.IsNullOrWhiteSpace(predicted)),
            TaskKind.TemporalGrounding => Grounding(predicted, truth),
            TaskKind.GroundedQa => GroundedQa(question, predicted, truth),
            _ => throw new VideoQaException(ErrorKind.InvalidArgument, "task_kind_invalid", $"unknown task kind {question.Kind}"),
        };
    }

    private static Grade Binary(bool correct, bool understood) => new(correct ? 1 : 0, correct, null, understood);

    private static Grade Choice(int? chosen, GroundTruth truth) => Binary(chosen == truth.OptionIndex, chosen is not null);

    private Grade Numeric(string? predicted, GroundTruth truth) =>
        NumericAnswer.TryParse(predicted, out var value)
            ? Binary(NumericAnswer.WithinTolerance(value, truth.Number!.Value, _options.NumericAbsoluteTolerance, _options.NumericRelativeTolerance), true)
            : Binary(false, false);

    private static Grade Grounding(string? predicted, GroundTruth truth) =>
        TimestampParser.TryParse(predicted, out var segment)
            ? new Grade(segment.BestIou(truth.Segments), null, segment.BestIou(truth.Segments), true)
            : new Grade(0, null, 0, false);

    // NExT-GQA "A <> [s, e]": as the reference, the part before the first "<>" is the answer, after the last the segment.
    private static Grade GroundedQa(QuestionSpec question, string? predicted, GroundTruth truth)
    {
        var parts = (predicted ?? "").Split("<>");
        var chosen = ChoiceAnswer.Resolve(parts[0].Trim(), question.Options ?? []);
        var understood = TimestampParser.TryParse(parts[^1], out var segment);
        var iou = understood ? segment.BestIou(truth.Segments) : 0;
        var correct = chosen == truth.OptionIndex;
        return new Grade((correct ? 1 : 0) + iou, correct, iou, understood && chosen is not null);
    }
}
