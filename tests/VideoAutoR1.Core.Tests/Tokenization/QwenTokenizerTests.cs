using System.Text.Json.Nodes;
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

    [Fact]
    public void Stress_texts_match_hugging_face_ids_and_decoded_text()
    {
        var mismatches = TokenizerFixtures.HuggingFaceStress()
            .Where(row => !((int[])row[2]).SequenceEqual(Tokenizer.Encode((string)row[1])) || Tokenizer.Decode((int[])row[2]) != (string)row[3])
            .Select(row => $"line {row[0]}")
            .ToList();

        Assert.True(TokenizerFixtures.HuggingFaceStress().Count() > 800);
        Assert.Empty(mismatches);
    }

    [Fact]
    public void Random_id_lists_decode_like_hugging_face_with_and_without_special_tokens()
    {
        var mismatches = TokenizerFixtures.HuggingFaceDecode()
            .Where(row => Tokenizer.Decode((int[])row[1]) != (string)row[2] || Tokenizer.Decode((int[])row[1], skipSpecialTokens: true) != (string)row[3])
            .Select(row => $"line {row[0]}")
            .ToList();

        Assert.Empty(mismatches);
    }

    [Fact]
    public void Special_token_ids_and_vocabulary_size_come_from_the_file()
    {
        Assert.Equal(new QwenSpecialTokens(151644, 151645, 151643, 151652, 151653, 151656, 151655, 151667, 151668), Tokenizer.Special);
        Assert.Equal(151669, Tokenizer.VocabularySize);
        Assert.Equal(151645, Tokenizer.EndOfSequence);
        Assert.Equal(131072, Tokenizer.ModelMaxLength);
        Assert.Equal(9707, Tokenizer.TokenToId("Hello"));
        Assert.Equal(151667, Tokenizer.TokenToId("<think>"));
        Assert.Null(Tokenizer.TokenToId("no such token"));
    }

    [Fact]
    public void Added_tokens_are_single_ids_special_or_not()
    {
        Assert.Equal([151644, 872, 198, 151652, 151656, 151656, 151653, 151667, 151668, 151645], Tokenizer.Encode("<|im_start|>user\n<|vision_start|><|video_pad|><|video_pad|><|vision_end|><think></think><|im_end|>"));
    }

    [Fact]
    public void Skipping_special_tokens_keeps_non_special_added_tokens()
    {
        int[] ids = [151644, 9707, 151667, 151668, 151645];
        Assert.Equal("<|im_start|>Hello<think></think><|im_end|>", Tokenizer.Decode(ids));
        Assert.Equal("Hello<think></think>", Tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.True(Tokenizer.IsSpecial(151645));
        Assert.False(Tokenizer.IsSpecial(151667));
    }

    [Fact]
    public void Unknown_ids_are_skipped_when_decoding_as_hugging_face_does()
    {
        Assert.Equal("Hello", Tokenizer.Decode([-1, 9707, 151669, 152063, int.MaxValue]));
    }

    [Fact]
    public void Text_with_an_unpaired_surrogate_is_invalid_argument()
    {
        var error = Assert.Throws<VideoQaException>(() => Tokenizer.Encode("bad \uD83E text"));
        Assert.Equal((ErrorKind.InvalidArgument, "invalid_text_encoding"), (error.Kind, error.Code));
    }

    [Fact]
    public void Merges_written_as_strings_load_to_the_same_tokenizer()
    {
        using var dir = new TemporaryDirectory();
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.QwenTokenizer, "tokenizer.json")))!;
        var merges = json["model"]!["merges"]!.AsArray();
        Assert.IsType<JsonArray>(merges[0]);
        json["model"]!["merges"] = new JsonArray([.. merges.Select(m => JsonValue.Create($"{m![0]} {m[1]}"))]);
        File.WriteAllText(Path.Combine(dir.Path, "tokenizer.json"), json.ToJsonString());

        var fromStrings = QwenTokenizer.Load(dir.Path);

        foreach (var row in TokenizerFixtures.PublicCorpus().Concat(TokenizerFixtures.HuggingFaceStress().Take(200)))
        {
            Assert.Equal((int[])row[2], fromStrings.Encode((string)row[1]));
        }
    }

    [Fact]
    public void Missing_directory_is_tokenizer_not_found()
    {
        using var dir = new TemporaryDirectory();
        Assert.Equal("tokenizer_not_found", Assert.Throws<VideoQaException>(() => QwenTokenizer.Load(dir.Path)).Code);
    }

    [Theory]
    [InlineData("{ not json", "tokenizer_invalid")]
    [InlineData("""{"model": {"type": "BPE"}}""", "tokenizer_invalid")]
    [InlineData("""{"model": {"type": "Unigram"}, "decoder": {"type": "ByteLevel"}}""", "tokenizer_unsupported")]
    public void Unusable_files_are_refused_by_name(string content, string code)
    {
        using var dir = new TemporaryDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "tokenizer.json"), content);
        Assert.Equal(code, Assert.Throws<VideoQaException>(() => QwenTokenizer.Load(dir.Path)).Code);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Inconsistent_merges_or_a_broken_regex_are_tokenizer_invalid(bool badMerge, bool badRegex)
    {
        using var dir = new TemporaryDirectory();
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.QwenTokenizer, "tokenizer.json")))!;
        if (badMerge)
        {
            json["model"]!["merges"]!.AsArray().Add(new JsonArray("not-in-vocab", "either"));
        }

        if (badRegex)
        {
            json["pre_tokenizer"]!["pretokenizers"]![0]!["pattern"]!["Regex"] = "(unclosed";
        }

        File.WriteAllText(Path.Combine(dir.Path, "tokenizer.json"), json.ToJsonString());

        Assert.Equal("tokenizer_invalid", Assert.Throws<VideoQaException>(() => QwenTokenizer.Load(dir.Path)).Code);
    }

    [Theory]
    [InlineData("normalizer", """{"type": "Lowercase"}""")]
    [InlineData("pre_tokenizer", """{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}""")]
    [InlineData("decoder", """{"type": "WordPiece"}""")]
    public void Pipelines_other_than_byte_level_bpe_are_unsupported(string step, string replacement)
    {
        using var dir = new TemporaryDirectory();
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.QwenTokenizer, "tokenizer.json")))!;
        json[step] = JsonNode.Parse(replacement);
        File.WriteAllText(Path.Combine(dir.Path, "tokenizer.json"), json.ToJsonString());

        Assert.Equal("tokenizer_unsupported", Assert.Throws<VideoQaException>(() => QwenTokenizer.Load(dir.Path)).Code);
    }

    [Fact]
    public void Stand_in_characters_have_the_category_they_stand_for()
    {
        foreach (var category in Enum.GetValues<System.Globalization.UnicodeCategory>().Where(c => c != System.Globalization.UnicodeCategory.Surrogate))
        {
            Assert.Equal(category, char.GetUnicodeCategory(IsolatedRegexPreTokenizer.Representative(category)));
        }
    }

    private sealed class TemporaryDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("videoautor1-tokenizer-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
