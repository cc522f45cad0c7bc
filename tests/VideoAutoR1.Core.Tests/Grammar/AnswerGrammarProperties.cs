using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using VideoAutoR1.Core.Grammar;
using VideoAutoR1.Core.Tests.Tokenization;

namespace VideoAutoR1.Core.Tests.Grammar;

/// <summary>Model outputs built from the grammar's own pieces, cut and mangled, plus arbitrary text.</summary>
public static class OutputGenerators
{
    private static readonly string[] Pieces =
    [
        "\\boxed{", "\\boxed{", "}", "}", "{", "<think>", "</think>", "<think", "</th", "ink>", "\\box", "\\",
        "Let's analyze the problem step by step.", " Let's analyze", "A", "B.", "(C)", "[12.3, 20.1]", "A <> [1.0, 2.5]",
        "\\frac{1}{2}", " ", "\n", "\t", "the man", "é", "e\u0301", "🦜", "鹦鹉", "<|im_start|>", "\u00A0",
    ];

    public static Gen<string> Output { get; } =
        Gen.OneOf(Gen.Elements(Pieces), ArbMap.Default.GeneratorFor<char>().Select(c => char.IsSurrogate(c) ? "?" : c.ToString()))
            .ListOf()
            .Select(string.Concat);

    /// <summary>Text and the cut points at which it is fed.</summary>
    public static Arbitrary<(string Text, int[] Cuts)> Chunked { get; } =
        Gen.Zip(Output, Gen.Choose(0, 400).ArrayOf()).ToArbitrary();

    public static Arbitrary<string> Text { get; } = Output.ToArbitrary();

    /// <summary>Any id, including negative, out-of-vocabulary, special and half-character byte tokens.</summary>
    public static Arbitrary<int[]> Ids { get; } =
        Gen.Frequency(
                (6, Gen.Choose(0, 151_700)),
                (2, Gen.Elements(59, 79075, 90, 92, 151667, 151668, 123918, 250, 35702, 13989, 33, 220, 198)),
                (1, Gen.Choose(-3, 3)),
                (1, Gen.Elements(151643, 151644, 151645, 151656, int.MaxValue, int.MinValue)))
            .ArrayOf()
            .ToArbitrary();
}

public sealed class AnswerGrammarProperties
{
    private static readonly Core.Tokenization.QwenTokenizer Tokenizer = TokenizerFixtures.Qwen;

    [Property(MaxTest = 500)]
    public Property Whole_text_parse_never_throws_on_arbitrary_strings() =>
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), text => AnswerParser.Parse(text ?? "") is not null);

    [Property(MaxTest = 500)]
    public Property Feeding_text_in_pieces_equals_parsing_it_whole() =>
        Prop.ForAll(OutputGenerators.Chunked, input =>
        {
            var (text, cuts) = input;
            var scanner = new AnswerScanner();
            var events = new List<GrammarEvent>();
            foreach (var cut in cuts.Select(c => Math.Min(c, text.Length)).Order())
            {
                scanner.Advance(text.AsSpan(0, cut), events);
            }

            scanner.Finish(text, events);
            var whole = AnswerParser.Parse(text);
            return scanner.Snapshot(text) == whole
                && string.Concat(events.OfType<RationaleDelta>().Select(d => d.Text)) == (whole.Rationale ?? "")
                && events.OfType<FirstBoxClosed>().Select(e => e.A1).SequenceEqual(whole.A1 is null ? [] : [whole.A1])
                && events.OfType<SecondBoxClosed>().Select(e => e.A2).SequenceEqual(whole.A2 is null ? [] : [whole.A2]);
        });

    [Property(MaxTest = 200)]
    public Property Token_by_token_equals_parsing_the_decoded_text() =>
        Prop.ForAll(OutputGenerators.Text, text =>
        {
            var ids = Tokenizer.Encode(text);
            var parser = new IncrementalAnswerParser(Tokenizer);
            var events = ids.SelectMany(parser.Append).ToList();
            events.AddRange(parser.Complete());

            var whole = AnswerParser.Parse(Tokenizer.Decode(ids, skipSpecialTokens: true));
            var first = events.OfType<FirstBoxClosed>().SingleOrDefault();
            return parser.Current == whole
                && events.Last() == new Completed(whole)
                && first?.A1 == whole.A1
                && (first is null || (first.SpanStart >= 0 && first.SpanLength >= 0 && first.SpanStart + first.SpanLength <= ids.Length));
        });

    [Property(MaxTest = 300)]
    public Property Arbitrary_token_ids_never_throw_and_agree_with_whole_text() =>
        Prop.ForAll(OutputGenerators.Ids, ids =>
        {
            var parser = new IncrementalAnswerParser(Tokenizer);
            foreach (var id in ids)
            {
                parser.Append(id);
            }

            parser.Complete();
            var special = Tokenizer.Special;
            var consumed = ids.TakeWhile(id => id != special.ImEnd && id != special.EndOfText);
            return parser.Current == AnswerParser.Parse(Tokenizer.Decode(consumed, skipSpecialTokens: true));
        });
}
