using VideoAutoR1.Core;
using VideoAutoR1.Eval.Grading;

namespace VideoAutoR1.Eval.Tests.Grading;

public sealed class DualAnswerRewardTests
{
    private static readonly DualAnswerReward Reward = new();

    private static readonly QuestionSpec Choice = new("What is the man doing?", ["Running", "Sitting", "Dancing", "Jumping"], TaskKind.MultipleChoice);
    private static readonly QuestionSpec Locate = new("a person opens the door.", [], TaskKind.TemporalGrounding);
    private static readonly QuestionSpec WhyFall = new("Why did the boy fall?", ["he slipped", "he was pushed"], TaskKind.GroundedQa);
    private static readonly QuestionSpec Color = new("What is it?", [], TaskKind.Open);
    private static readonly QuestionSpec Half = new("What fraction?", [], TaskKind.Numeric);

    private const string Fallback = "\\boxed{Let's analyze the problem step by step.}";

    // Worked examples: R = 0.9·R(a1) + 1.1·R(a2) + 1·R_fmt + 0.3·R_fallback.
    public static TheoryData<string, QuestionSpec, string, double, double, double, double, double> Examples => new()
    {
        { "both right, well formed", Choice, "B", 1, 1, 1, 0, 3.0 },
        { "revised to right", Choice, "B", 0, 1, 1, 0, 2.1 },
        { "revised to wrong", Choice, "B", 1, 0, 1, 0, 1.9 },
        { "fallback then right", Choice, "B", 0, 1, 1, 1, 2.4 },
        { "fallback then wrong", Choice, "B", 0, 0, 1, 0, 1.0 },
        { "no think: one box is both a1 and a2", Choice, "B", 1, 1, 0, 0, 2.0 },
        { "strict letters: B. is not B, (B) is", Choice, "B", 0, 1, 1, 0, 2.1 },
        { "empty think passes the reference regex", Choice, "B", 1, 1, 1, 0, 3.0 },
        { "two boxes before think: a1 empty", Choice, "B", 0, 1, 0, 0, 1.1 },
        { "trailing text", Choice, "B", 1, 1, 0, 0, 2.0 },
        { "grounding IoU 1 then 0.5", Locate, "[10, 20]", 1, 0.5, 1, 0, 0.9 + 0.55 + 1 },
        { "grounding fallback, IoU 0.9 > 0.7", Locate, "[10, 20]", 0, 0.9, 1, 1, 1.1 * 0.9 + 1 + 0.3 },
        { "grounding fallback, IoU 0.6: no bonus", Locate, "[10, 20]", 0, 0.6, 1, 0, 1.1 * 0.6 + 1 },
        { "NExT-GQA answer + IoU", WhyFall, "B <> [10, 20]", 2, 1.8, 1, 0, 0.9 * 2 + 1.1 * 1.8 + 1 },
        { "free text", Color, "two leaves", 1, 0, 1, 0, 1.9 },
        { "nested braces, numeric", Half, "0.5", 1, 1, 1, 0, 3.0 },
    };

    private static readonly Dictionary<string, string> Completions = new()
    {
        ["both right, well formed"] = "\\boxed{B}<think>The man sits on a bench.</think>\\boxed{B}",
        ["revised to right"] = "\\boxed{A}\n<think>\nHe is not moving.\n</think>\n\\boxed{B}",
        ["revised to wrong"] = "\\boxed{B}<think>Maybe he runs.</think>\\boxed{A}",
        ["fallback then right"] = Fallback + "<think>He sits.</think>\\boxed{B}",
        ["fallback then wrong"] = Fallback + "<think>He runs.</think>\\boxed{A}",
        ["no think: one box is both a1 and a2"] = "\\boxed{B}",
        ["strict letters: B. is not B, (B) is"] = "\\boxed{B.}<think>x</think>\\boxed{(B)}",
        ["empty think passes the reference regex"] = "\\boxed{B}<think> \n </think>\\boxed{B}",
        ["two boxes before think: a1 empty"] = "\\boxed{B}\\boxed{B}<think>x</think>\\boxed{B}",
        ["trailing text"] = "\\boxed{B}<think>x</think>\\boxed{B} That is all.",
        ["grounding IoU 1 then 0.5"] = "\\boxed{[10.0, 20.0]}<think>x</think>\\boxed{[15.0, 20.0]}",
        ["grounding fallback, IoU 0.9 > 0.7"] = Fallback + "<think>x</think>\\boxed{[10.0, 19.0]}",
        ["grounding fallback, IoU 0.6: no bonus"] = Fallback + "<think>x</think>\\boxed{[10.0, 16.0]}",
        ["NExT-GQA answer + IoU"] = "\\boxed{B <> [10.0, 20.0]}<think>x</think>\\boxed{B <> [12.0, 20.0]}",
        ["free text"] = "\\boxed{Two   Leaves}<think>x</think>\\boxed{three leaves}",
        ["nested braces, numeric"] = "\\boxed{\\frac{1}{2}}<think>x</think>\\boxed{\\frac{1}{2}}",
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void Worked_examples(string name, QuestionSpec question, string truth, double r1, double r2, double format, double fallback, double total)
    {
        var reward = Reward.Compute(Completions[name], GroundTruth.Parse(question, truth));

        Assert.Equal(r1, reward.FirstAnswer, 1e-9);
        Assert.Equal(r2, reward.SecondAnswer, 1e-9);
        Assert.Equal(format, reward.Format);
        Assert.Equal(fallback, reward.Fallback);
        Assert.Equal(total, reward.Total, 1e-9);
    }

    [Fact]
    public void Weights_are_configurable_and_validated()
    {
        var reward = new DualAnswerReward(new RewardWeights { FirstAnswer = 1, SecondAnswer = 1, Format = 0, Fallback = 0 });
        Assert.Equal(2.0, reward.Compute(Completions["both right, well formed"], GroundTruth.Parse(Choice, "B")).Total, 1e-12);
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new DualAnswerReward(new RewardWeights { Format = -1 }));
    }

    [Theory]
    [InlineData("\\boxed{A}<think>r</think>\\boxed{A}", true)]
    [InlineData("  \\boxed{A} \n<think>r</think>\n\\boxed{A}\n", true)]
    [InlineData("\\boxed{\\frac{1}{2}}<think>r</think>\\boxed{x}", true)]
    [InlineData("\\boxed{\\frac{\\sqrt{2}}{2}}<think>r</think>\\boxed{x}", false)]
    [InlineData("\\boxed{A}<think>r</think>\\boxed{A}<think>", false)]
    [InlineData("\\boxed{A}<think>r</think></think>\\boxed{A}", false)]
    [InlineData("x\\boxed{A}<think>r</think>\\boxed{A}", false)]
    // The reference's "non-empty think" look-ahead also sees the characters of "</think>", so it never rejects.
    [InlineData("\\boxed{A}<think></think>\\boxed{A}", true)]
    [InlineData("\\boxed{A}<think>r</think>", false)]
    public void Format_term_is_the_reference_template_regex(string completion, bool matches)
    {
        Assert.Equal(matches, DualAnswerReward.FollowsTemplate(completion));
    }
}
