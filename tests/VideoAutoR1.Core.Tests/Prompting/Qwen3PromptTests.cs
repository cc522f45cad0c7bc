using VideoAutoR1.Core.Prompting;
using VideoAutoR1.Core.Tests.Tokenization;

namespace VideoAutoR1.Core.Tests.Prompting;

/// <summary>Qwen3-VL's video layout in the prompt: one block per temporal group after its Python-formatted timestamp.</summary>
public sealed class Qwen3PromptTests
{
    private static readonly PromptBuilder Builder = new(new PromptOptions());

    private static readonly QuestionSpec Question = new("What happens first?", ["A ball falls", "A door opens"], TaskKind.MultipleChoice);

    // Expected strings printed by CPython 3.11's f"{v:.Nf}".
    [Theory]
    [InlineData(1.625, 1, "1.6")]
    [InlineData(0.25, 1, "0.2")]
    [InlineData(0.35, 1, "0.3")]
    [InlineData(0.05, 1, "0.1")]
    [InlineData(-0.04, 1, "-0.0")]
    [InlineData(10.65, 1, "10.7")]
    [InlineData(11.75, 1, "11.8")]
    [InlineData(123456.55, 1, "123456.6")]
    [InlineData(1e-7, 1, "0.0")]
    [InlineData(0.0, 1, "0.0")]
    [InlineData(2.675, 2, "2.67")]
    [InlineData(0.5, 0, "0")]
    [InlineData(1.5, 0, "2")]
    public void Fixed_point_rounds_the_exact_binary_value_half_to_even(double value, int decimals, string expected) =>
        Assert.Equal(expected, PythonFormat.Fixed(value, decimals));

    [Fact]
    public void Each_group_is_a_timestamped_vision_block_and_encoding_matches_the_rendered_text()
    {
        double[] groups = [1 / 3.0, 1.625];
        var text = Builder.Build(Question, 6, groups);
        var pads = string.Concat(Enumerable.Repeat("<|video_pad|>", 3));
        Assert.Contains(
            $"<|im_start|>user\n<0.3 seconds><|vision_start|>{pads}<|vision_end|><1.6 seconds><|vision_start|>{pads}<|vision_end|>",
            text,
            StringComparison.Ordinal);
        Assert.StartsWith("<|im_start|>system\n" + SystemPrompts.AnswerTwiceEval + "<|im_end|>", text, StringComparison.Ordinal);

        var tokenizer = TokenizerFixtures.Qwen;
        var ids = Builder.Encode(Question, 6, tokenizer, groups);
        Assert.Equal(tokenizer.Encode(text), ids);
        Assert.Equal(2, ids.Count(id => id == tokenizer.Special.VisionStart));
        Assert.Equal(6, ids.Count(id => id == tokenizer.Special.VideoPad));
    }

    [Fact]
    public void Tokens_that_do_not_split_over_the_groups_are_refused()
    {
        var error = Assert.Throws<VideoQaException>(() => Builder.Encode(Question, 5, TokenizerFixtures.Qwen, [0.3, 1.6]));
        Assert.Equal("video_tokens_invalid", error.Code);
    }
}
