using VideoAutoR1.Core;
using VideoAutoR1.Core.Prompting;

namespace VideoAutoR1.Eval.Grading;

/// <summary>
/// A reference answer in the form its task kind accepts; build it with <see cref="Parse"/>, which rejects any other
/// form with <c>answer_format_invalid</c>.
/// </summary>
public sealed record GroundTruth
{
    private GroundTruth(TaskKind kind, string text)
    {
        Kind = kind;
        Text = text;
    }

    public TaskKind Kind { get; }

    /// <summary>The answer as given.</summary>
    public string Text { get; }

    /// <summary>Multiple choice and NExT-GQA: index of the correct option.</summary>
    public int? OptionIndex { get; private init; }

    public double? Number { get; private init; }

    /// <summary>Temporal grounding and NExT-GQA: the correct segment(s); a prediction scores its best IoU.</summary>
    public IReadOnlyList<TimeSegment> Segments { get; private init; } = [];

    /// <summary>The option letter, or the answer text for kinds without options (what the reward's exact match compares).</summary>
    public string AnswerText => OptionIndex is { } index ? UserPrompts.Letter(index).ToString() : Text;

    /// <summary>
    /// Multiple choice: a letter or an option's text. Numeric: a number. Open: any non-empty text. Temporal
    /// grounding: <c>[start, end]</c> seconds. NExT-GQA: <c>A &lt;&gt; [start, end]</c>.
    /// </summary>
    public static GroundTruth Parse(QuestionSpec question, string answer)
    {
        ArgumentNullException.ThrowIfNull(question);
        if (string.IsNullOrWhiteSpace(answer))
        {
            throw NotAnAnswer(question.Kind, answer ?? "", "it is empty");
        }

        if (!UnicodeText.IsWellFormed(answer))
        {
            throw new VideoQaException(ErrorKind.InvalidArgument, "invalid_text_encoding", "the answer is not valid Unicode (unpaired surrogate)") { Field = "answer" };
        }

        var truth = new GroundTruth(question.Kind, answer);
        switch (question.Kind)
        {
            case TaskKind.MultipleChoice:
                return truth with { OptionIndex = ChoiceAnswer.Resolve(answer, question.Options ?? []) ?? throw NotAnAnswer(question.Kind, answer, "it names no option") };
            case TaskKind.Numeric:
                return NumericAnswer.TryParse(answer, out var number) && double.IsFinite(number)
                    ? truth with { Number = number }
                    : throw NotAnAnswer(question.Kind, answer, "it is not a number");
            case TaskKind.Open:
                return truth;
            case TaskKind.TemporalGrounding:
                return truth with { Segments = [Segment(question.Kind, answer)] };
            case TaskKind.GroundedQa:
                var parts = answer.Split("<>");
                if (parts.Length != 2)
                {
                    throw NotAnAnswer(question.Kind, answer, "it is not 'letter <> [start, end]'");
                }

                return truth with
                {
                    OptionIndex = ChoiceAnswer.Resolve(parts[0].Trim(), question.Options ?? []) ?? throw NotAnAnswer(question.Kind, answer, "it names no option"),
                    Segments = [Segment(question.Kind, parts[1])],
                };
            default:
                throw NotAnAnswer(question.Kind, answer, "the task kind is unknown");
        }
    }

    private static TimeSegment Segment(TaskKind kind, string text) =>
        TimestampParser.TryParse(text, out var segment) && segment.End > segment.Start
            ? segment
            : throw NotAnAnswer(kind, text, "it is not a non-empty '[start, end]' in seconds");

    private static VideoQaException NotAnAnswer(TaskKind kind, string answer, string why) =>
        VideoQaException.InvalidArgument("answer_format_invalid", "answer", $"'{answer}' is not a {kind} answer: {why}");
}
