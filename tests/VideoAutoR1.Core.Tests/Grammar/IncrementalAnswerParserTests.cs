using VideoAutoR1.Core.Grammar;
using VideoAutoR1.Core.Tests.Tokenization;

namespace VideoAutoR1.Core.Tests.Grammar;

public sealed class IncrementalAnswerParserTests
{
    private static readonly Core.Tokenization.QwenTokenizer Tokenizer = TokenizerFixtures.Qwen;

    private static List<(int Index, GrammarEvent Event)> Feed(IncrementalAnswerParser parser, IEnumerable<int> ids)
    {
        var events = new List<(int, GrammarEvent)>();
        var index = 0;
        foreach (var id in ids)
        {
            events.AddRange(parser.Append(id).Select(e => (index, e)));
            index++;
        }

        return events;
    }

    [Fact]
    public void Reports_each_part_at_the_token_that_completes_it()
    {
        // 59 79075 90 | 33 13 2518 1803 | 92 | 151667 | 198 | 151668 | 59 79075 90 33 92 | <|im_end|>
        int[] ids = [59, 79075, 90, 33, 13, 2518, 1803, 92, 151667, 198, 151668, 59, 79075, 90, 33, 92, 151645];
        Assert.Equal("\\boxed{B. red car}<think>\n</think>\\boxed{B}", Tokenizer.Decode(ids[..^1]));
        var parser = new IncrementalAnswerParser(Tokenizer);

        var events = Feed(parser, ids);

        Assert.Equal(
            [
                (7, new FirstBoxClosed("B. red car", false, 3, 1)),
                (9, new RationaleDelta("\n")),
                (15, new SecondBoxClosed("B")),
                (16, new Completed(new ParsedAnswer("B. red car", false, "\n", "B", AnswerFormat.EmptyThink))),
            ],
            events);
        Assert.True(parser.IsCompleted);
        Assert.Empty(parser.Append(33));
    }

    [Fact]
    public void Fallback_first_answer_is_flagged_without_a_span()
    {
        var parser = new IncrementalAnswerParser(Tokenizer);
        var events = Feed(parser, Tokenizer.Encode("\\boxed{Let's analyze the problem step by step.}<think>"));

        var first = Assert.IsType<FirstBoxClosed>(Assert.Single(events).Event);
        Assert.Equal(new FirstBoxClosed(AnswerTemplate.FallbackAnswer, true, 0, 0), first);
    }

    [Fact]
    public void Character_split_across_byte_tokens_is_held_until_complete()
    {
        // "🦜" is two byte-level tokens (123918, 250); the first holds three of its four UTF-8 bytes.
        var parser = new IncrementalAnswerParser(Tokenizer);
        Feed(parser, [59, 79075, 90, 123918]);
        Assert.Equal("\\boxed{", parser.DecodedText);

        var events = Feed(parser, [250, 92]);
        Assert.Equal("\\boxed{🦜}", parser.DecodedText);
        Assert.Equal(new FirstBoxClosed("🦜", false, 3, 2), Assert.Single(events).Event);
    }

    [Fact]
    public void Rationale_arrives_in_deltas_and_a_split_closing_tag_is_not_leaked()
    {
        var parser = new IncrementalAnswerParser(Tokenizer);
        var ids = new[] { "\\boxed{A}<think>The man", " waves </", "thi", "nk>", "\\boxed{A}" }.SelectMany(Tokenizer.Encode);

        var deltas = Feed(parser, ids).Select(e => e.Event).OfType<RationaleDelta>().Select(d => d.Text).ToList();

        Assert.True(deltas.Count > 1);
        Assert.Equal("The man waves ", string.Concat(deltas));
        Assert.DoesNotContain(deltas, d => d.Contains('<'));
        Assert.Equal(new ParsedAnswer("A", false, "The man waves ", "A", AnswerFormat.WellFormed), parser.Current);
    }

    [Fact]
    public void Span_that_depends_on_later_tokens_is_reported_when_think_completes()
    {
        // "\boxed{[12.3, 20.1]}<think>": the content ends in the merged "]}" (13989), so its own ids never occur and the
        // reference estimates the span over the stage-1 tokens, which end with <think> (151667, index 15).
        var parser = new IncrementalAnswerParser(Tokenizer);
        int[] ids = [59, 79075, 90, 58, 16, 17, 13, 18, 11, 220, 17, 15, 13, 16, 13989, 151667];
        Assert.Equal("\\boxed{[12.3, 20.1]}<think>", Tokenizer.Decode(ids));

        var events = Feed(parser, ids);

        Assert.Equal([(15, new FirstBoxClosed("[12.3, 20.1]", false, 3, 12))], events);
    }

    [Fact]
    public void Unsettled_span_is_reported_before_completion_when_no_think_follows()
    {
        var parser = new IncrementalAnswerParser(Tokenizer);
        var events = Feed(parser, [.. Tokenizer.Encode("\\boxed{ B }"), Tokenizer.Special.ImEnd]);

        Assert.Equal(2, events.Count);
        Assert.Equal(new FirstBoxClosed(" B ", false, 3, 1), events[0].Event);
        Assert.IsType<Completed>(events[1].Event);
    }

    [Fact]
    public void Truncated_output_is_completed_explicitly()
    {
        var parser = new IncrementalAnswerParser(Tokenizer);
        var fed = Feed(parser, Tokenizer.Encode("\\boxed{A}<think>because </th"));
        Assert.Equal("because ", string.Concat(fed.Select(e => e.Event).OfType<RationaleDelta>().Select(d => d.Text)));

        var events = parser.Complete();

        Assert.Equal([new RationaleDelta("</th"), new Completed(new ParsedAnswer("A", false, "because </th", null, AnswerFormat.UnclosedThink))], events);
    }
}
