using VideoAutoR1.Core.Tokenization;

namespace VideoAutoR1.Core.Tests.Tokenization;

public sealed class QwenTokenizerTests
{
    private static readonly QwenTokenizer Tokenizer = TokenizerFixtures.Qwen;

    [Theory]
    [MemberData(nameof(TokenizerFixtures.PublicCorpus), MemberType = typeof(TokenizerFixtures))]
    public void Public_corpus_line_matches_reference_ids_and_decoded_text(int line, string text, int[] ids, string decoded)
    {
        var actual = Tokenizer.Encode(text);
        Assert.True(ids.SequenceEqual(actual), $"line {line}: expected [{string.Join(",", ids)}] got [{string.Join(",", actual)}]");
        Assert.Equal(decoded, Tokenizer.Decode(actual));
    }
}
