using VideoAutoR1.Core.Grammar;

namespace VideoAutoR1.Core.Tests.Grammar;

public sealed class AnswerParserTests
{
    public static TheoryData<string, string?, string?, string?, AnswerFormat> Outputs => new()
    {
        { "\\boxed{B}<think>The man waves.</think>\\boxed{B}", "B", "The man waves.", "B", AnswerFormat.WellFormed },
        { "  \\boxed{B} \n<think>\nr\n</think>\n \\boxed{C}\n", "B", "\nr\n", "C", AnswerFormat.WellFormed },
        { "\\boxed{\\frac{1}{2}}<think>half</think>\\boxed{\\frac{\\sqrt{2}}{2}}", "\\frac{1}{2}", "half", "\\frac{\\sqrt{2}}{2}", AnswerFormat.WellFormed },
        { "\\boxed{A}", "A", null, null, AnswerFormat.MissingThink },
        { "\\boxed{A}<|im_end|>", "A", null, null, AnswerFormat.MissingThink },
        { "", null, null, null, AnswerFormat.NoAnswer },
        { "The answer is B.", null, null, null, AnswerFormat.NoAnswer },
        { "\\boxed{unclosed {nested}", null, null, null, AnswerFormat.NoAnswer },
        { "Answer: \\boxed{B}<think>x</think>\\boxed{B}", "B", "x", "B", AnswerFormat.TextBeforeFirstBox },
        { "\\boxed{B} so <think>x</think>\\boxed{B}", "B", "x", "B", AnswerFormat.TextBetweenParts },
        { "\\boxed{B}<think>x</think>final: \\boxed{B}", "B", "x", "B", AnswerFormat.TextBetweenParts },
        { "\\boxed{B}<think>still thinking", "B", "still thinking", null, AnswerFormat.UnclosedThink },
        { "\\boxed{B}<think> \n </think>\\boxed{B}", "B", " \n ", "B", AnswerFormat.EmptyThink },
        { "\\boxed{B}<think>x</think>", "B", "x", null, AnswerFormat.MissingSecondBox },
        { "\\boxed{B}<think>x</think>\\boxed{C", "B", "x", null, AnswerFormat.MissingSecondBox },
        { "\\boxed{B}<think>x</think>\\boxed{C}\\boxed{D}", "B", "x", "C", AnswerFormat.TextAfterSecondBox },
        { "\\boxed{B}<think>x</think>\\boxed{C} Done.", "B", "x", "C", AnswerFormat.TextAfterSecondBox },
        { "\\boxed{B}<think>a < b, </thin k></think>\\boxed{B}", "B", "a < b, </thin k>", "B", AnswerFormat.WellFormed },
        { "\\boxed{}<think>x</think>\\boxed{}", "", "x", "", AnswerFormat.WellFormed },
    };

    [Theory]
    [MemberData(nameof(Outputs))]
    public void Parses_parts_and_format(string text, string? a1, string? rationale, string? a2, AnswerFormat format)
    {
        var parsed = AnswerParser.Parse(text);

        Assert.Equal(a1, parsed.A1);
        Assert.Equal(rationale, parsed.Rationale);
        Assert.Equal(a2, parsed.A2);
        Assert.Equal(format, parsed.Format);
    }

    [Theory]
    [InlineData("\\boxed{Let's analyze the problem step by step.}<think>r</think>\\boxed{A}", true)]
    [InlineData("\\boxed{  Let's analyze this}<think>r</think>\\boxed{A}", true)]
    [InlineData("\\boxed{let's analyze the problem step by step.}", false)]
    [InlineData("\\boxed{Let\u2019s analyze the problem step by step.}", false)]
    [InlineData("\\boxed{A}<think>Let's analyze</think>\\boxed{A}", false)]
    public void Detects_the_fallback_answer_like_the_reference(string text, bool fallback)
    {
        Assert.Equal(fallback, AnswerParser.Parse(text).IsFallback);
    }

    [Fact]
    public void Final_answer_is_the_revised_one_when_present()
    {
        Assert.Equal("C", AnswerParser.Parse("\\boxed{B}<think>x</think>\\boxed{C}").FinalAnswer);
        Assert.Equal("B", AnswerParser.Parse("\\boxed{B}").FinalAnswer);
        Assert.Null(AnswerParser.Parse("no box").FinalAnswer);
    }
}
