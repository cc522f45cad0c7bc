using VideoAutoR1.Core;
using VideoAutoR1.Eval.Grading;

namespace VideoAutoR1.Eval.Tests.Grading;

public sealed class AnswerGraderTests
{
    private static readonly AnswerGrader Grader = new();
    private static readonly QuestionSpec Choice = new("What is the man doing?", ["Running", "Sitting", "Dancing"], TaskKind.MultipleChoice);
    private static readonly QuestionSpec Count = new("How many cups?", [], TaskKind.Numeric);
    private static readonly QuestionSpec Color = new("What is it?", [], TaskKind.Open);
    private static readonly QuestionSpec Locate = new("a person opens the door.", [], TaskKind.TemporalGrounding);
    private static readonly QuestionSpec WhyFall = new("Why did the boy fall?", ["he slipped", "he was pushed"], TaskKind.GroundedQa);

    [Theory]
    [InlineData("B", 1, true)]
    [InlineData("b", 1, true)]
    [InlineData("B.", 1, true)]
    [InlineData("(B)", 1, true)]
    [InlineData("[B]", 1, true)]
    [InlineData(" B) ", 1, true)]
    [InlineData("B. Sitting", 1, true)]
    [InlineData("Sitting", 1, true)]
    [InlineData("  sitting. ", 1, true)]
    [InlineData("A", 0, true)]
    [InlineData("Dancing", 0, true)]
    [InlineData("D", 0, false)]
    [InlineData("Standing", 0, false)]
    [InlineData("", 0, false)]
    [InlineData(null, 0, false)]
    public void Multiple_choice_accepts_letter_forms_and_option_text(string? predicted, double score, bool understood)
    {
        var grade = Grader.Grade(Choice, GroundTruth.Parse(Choice, "B"), predicted);
        Assert.Equal((score, understood), (grade.Score, grade.Understood));
    }

    [Fact]
    public void Multiple_choice_truth_may_be_the_option_text()
    {
        Assert.Equal(1, Grader.Grade(Choice, GroundTruth.Parse(Choice, "Sitting"), "(b)").Score);
    }

    [Theory]
    [InlineData("12", "12", 1)]
    [InlineData("12", "12.0", 1)]
    [InlineData("12", "12 cups", 1)]
    [InlineData("1024", "1,024", 1)]
    [InlineData("0.5", "\\frac{1}{2}", 1)]
    [InlineData("0.5", "\\dfrac{1}{2}", 1)]
    [InlineData("3.14159", "3.1416", 1)]
    [InlineData("3.14159", "3.15", 0)]
    [InlineData("-2", "-2", 1)]
    [InlineData("-2", "2", 0)]
    [InlineData("12", "11", 0)]
    [InlineData("12", "twelve", 0)]
    public void Numeric_compares_within_tolerance(string truth, string predicted, double score)
    {
        Assert.Equal(score, Grader.Grade(Count, GroundTruth.Parse(Count, truth), predicted).Score);
    }

    [Theory]
    [InlineData("Red car", "red   CAR", 1)]
    [InlineData("Red car", " Red car ", 1)]
    [InlineData("Red car", "red car.", 0)]
    [InlineData("Red car", "blue car", 0)]
    [InlineData("yes", "True", 1)]
    [InlineData("no", "No.", 1)]
    [InlineData("ﬁve", "five", 1)]
    public void Free_text_is_a_normalised_exact_match(string truth, string predicted, double score)
    {
        Assert.Equal(score, Grader.Grade(Color, GroundTruth.Parse(Color, truth), predicted).Score);
    }

    [Theory]
    [InlineData("[10.0, 20.0]", 1.0)]
    [InlineData("[15, 25]", 5.0 / 15)]
    [InlineData("15 to 25", 5.0 / 15)]
    [InlineData("(20 - 10)", 1.0)]
    [InlineData("from 12.5 and 17.5 s", 0.5)]
    [InlineData("[10, 10]", 0.0)]
    [InlineData("[30, 40]", 0.0)]
    public void Temporal_grounding_scores_iou(string predicted, double iou)
    {
        var grade = Grader.Grade(Locate, GroundTruth.Parse(Locate, "[10, 20]"), predicted);
        Assert.Equal(iou, grade.Score, 1e-12);
        Assert.Equal(iou, grade.Iou!.Value, 1e-12);
    }

    [Fact]
    public void Temporal_grounding_without_an_interval_is_not_understood()
    {
        var grade = Grader.Grade(Locate, GroundTruth.Parse(Locate, "[10, 20]"), "at the start");
        Assert.Equal((0.0, false), (grade.Score, grade.Understood));
    }

    [Theory]
    [InlineData("B <> [10.0, 20.0]", 2.0, true, 1.0)]
    [InlineData("(B) <> [12, 20]", 1.8, true, 0.8)]
    [InlineData("A <> [10, 20]", 1.0, false, 1.0)]
    [InlineData("he was pushed <> [0, 5]", 1.0, true, 0.0)]
    [InlineData("B", 1.0, true, 0.0)]
    public void Grounded_qa_adds_answer_and_segment(string predicted, double score, bool correct, double iou)
    {
        var grade = Grader.Grade(WhyFall, GroundTruth.Parse(WhyFall, "B <> [10, 20]"), predicted);
        Assert.Equal(score, grade.Score, 1e-12);
        Assert.Equal(correct, grade.Correct);
        Assert.Equal(iou, grade.Iou!.Value, 1e-12);
    }

    public static TheoryData<QuestionSpec, string> BadTruths => new()
    {
        { Choice, "E" },
        { Choice, "Standing" },
        { Choice, " " },
        { Count, "many" },
        { Locate, "near the end" },
        { Locate, "[5, 5]" },
        { WhyFall, "B [10, 20]" },
        { WhyFall, "Z <> [1, 2]" },
        { WhyFall, "A <> soon" },
    };

    [Theory]
    [MemberData(nameof(BadTruths))]
    public void Answer_in_a_form_the_kind_does_not_accept_is_invalid_argument(QuestionSpec question, string answer)
    {
        var error = Assert.Throws<VideoQaException>(() => GroundTruth.Parse(question, answer));
        Assert.Equal((ErrorKind.InvalidArgument, "answer_format_invalid"), (error.Kind, error.Code));
    }

    [Fact]
    public void Truth_for_another_kind_is_invalid_argument()
    {
        var error = Assert.Throws<VideoQaException>(() => Grader.Grade(Color, GroundTruth.Parse(Count, "3"), "3"));
        Assert.Equal("answer_format_invalid", error.Code);
    }

    [Theory]
    [InlineData("[1.5, 2.5]", 1.5, 2.5)]
    [InlineData("[2.5 — 1.5]", 1.5, 2.5)]
    [InlineData("12.3 – 20.1 seconds", 12.3, 20.1)]
    [InlineData("(3 TO 7)", 3, 7)]
    [InlineData("v1.2, 5 and 6", 1.2, 5)]
    [InlineData("[١٢, ٢٠]", 12, 20)]
    public void Timestamps_are_read_like_the_reference(string text, double start, double end)
    {
        Assert.True(TimestampParser.TryParse(text, out var segment));
        Assert.Equal(new TimeSegment(start, end), segment);
    }
}
