using System.Text.Json.Nodes;

namespace VideoAutoR1.Cli.Tests;

/// <summary>
/// <c>videoautor1 tokenize</c> over every corpus in tests/assets/tokenizer-corpora plus every file in
/// VIDEOAUTOR1_TOKENIZER_CORPORA (colon-separated): same lines in the same order, other fields kept, ids and decoded
/// equal to the reference's.
/// </summary>
public sealed class TokenizeCommandTests
{
    public const string CorporaEnvironmentVariable = "VIDEOAUTOR1_TOKENIZER_CORPORA";

    public static TheoryData<string> Corpora() => [.. CorpusFiles()];

    private static List<string> CorpusFiles()
    {
        var files = Directory.EnumerateFiles(Cli.TokenizerCorpora, "*.jsonl").Order(StringComparer.Ordinal).ToList();
        if (Environment.GetEnvironmentVariable(CorporaEnvironmentVariable) is { Length: > 0 } extra)
        {
            files.AddRange(extra.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(Path.GetFullPath));
        }

        return files;
    }

    [Fact]
    public void The_repository_corpus_is_present() =>
        Assert.Contains(CorpusFiles(), file => Path.GetFileName(file) == "qwen-public.jsonl");

    [Theory]
    [MemberData(nameof(Corpora))]
    public void Ids_and_decoded_match_the_reference(string corpus)
    {
        Assert.True(File.Exists(corpus), $"corpus not found: {corpus}");
        var expected = File.ReadAllLines(corpus).Where(line => !string.IsNullOrWhiteSpace(line)).ToArray();
        Assert.NotEmpty(expected);

        var result = Cli.Run("tokenize", "--tokenizer", Cli.TokenizerDirectory, "--jsonl", corpus);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stderr);
        var actual = result.StdoutLines;
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var reference = JsonNode.Parse(expected[i])!.AsObject();
            var output = JsonNode.Parse(actual[i])!.AsObject();
            var where = $"{Path.GetFileName(corpus)} line {i + 1}: {reference["text"]?.ToJsonString()}";
            // Every input field is kept in its place (ids/decoded recomputed where they stood); new ones come after.
            Assert.True(reference.Select(p => p.Key).SequenceEqual(output.Select(p => p.Key).Take(reference.Count)),
                $"{where}: fields lost or reordered, got {actual[i]}");
            foreach (var (name, value) in reference)
            {
                if (name is not ("ids" or "decoded"))
                {
                    Assert.True(JsonNode.DeepEquals(value, output[name]), $"{where}: field '{name}' changed, got {actual[i]}");
                }
            }

            if (reference["ids"] is { } ids)
            {
                Assert.True(JsonNode.DeepEquals(ids, output["ids"]), $"{where}: ids {output["ids"]?.ToJsonString()}, expected {ids.ToJsonString()}");
            }

            if (reference["decoded"] is { } decoded)
            {
                Assert.Equal(decoded.GetValue<string>(), output["decoded"]?.GetValue<string>());
            }
        }
    }

    [Fact]
    public void Invalid_utf8_line_is_one_line_error_naming_the_line() =>
        TokenizeCorpus([.. "{\"text\":\"ok\"}\n{\"text\":\"a"u8, 0xFF, 0xFE, .. "\"}\n"u8]).AssertOneLineError("invalid_utf8", "line 2");

    [Fact]
    public void Malformed_json_line_is_one_line_error_naming_the_line() =>
        TokenizeCorpus("{\"text\":\"ok\"}\n{\"text\": \"unterminated\n"u8.ToArray()).AssertOneLineError("invalid_jsonl", "line 2");

    [Fact]
    public void Line_without_a_string_text_is_rejected() =>
        TokenizeCorpus("{\"text\": 5}\n"u8.ToArray()).AssertOneLineError("invalid_jsonl", "line 1");

    [Fact]
    public void Missing_corpus_file_is_one_line_error() =>
        Cli.Run("tokenize", "--tokenizer", Cli.TokenizerDirectory, "--jsonl", "/nonexistent/corpus.jsonl").AssertOneLineError("corpus.jsonl");

    [Fact]
    public void Directory_without_tokenizer_is_one_line_error() =>
        Cli.Run("tokenize", "--tokenizer", Cli.TokenizerCorpora, "--jsonl", Path.Combine(Cli.TokenizerCorpora, "qwen-public.jsonl")).AssertOneLineError("tokenizer_not_found");

    private static CliResult TokenizeCorpus(byte[] corpus)
    {
        using var temp = new TempDir();
        File.WriteAllBytes(temp["corpus.jsonl"], corpus);
        return Cli.Run("tokenize", "--tokenizer", Cli.TokenizerDirectory, "--jsonl", temp["corpus.jsonl"]);
    }
}
