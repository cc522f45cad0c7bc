using System.Text.Json;
using VideoAutoR1.Core.Tokenization;

namespace VideoAutoR1.Core.Tests.Tokenization;

/// <summary>The real Qwen tokenizer, loaded once for all tests (loading parses an 11 MB file).</summary>
public static class TokenizerFixtures
{
    private static readonly Lazy<QwenTokenizer> Shared = new(() => QwenTokenizer.Load(TestPaths.QwenTokenizer));

    public static QwenTokenizer Qwen => Shared.Value;

    /// <summary>
    /// Lines of every reference corpus (text, reference ids, reference decoded text): the *.jsonl files in
    /// tests/assets/tokenizer-corpora (qwen-public.jsonl from the shared fixtures) and every file named in
    /// VIDEOAUTOR1_TOKENIZER_CORPORA (colon-separated).
    /// </summary>
    public static IEnumerable<object[]> PublicCorpus() =>
        Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, "tests", "assets", "tokenizer-corpora"), "*.jsonl")
            .Order(StringComparer.Ordinal)
            .Concat((Environment.GetEnvironmentVariable("VIDEOAUTOR1_TOKENIZER_CORPORA") ?? string.Empty)
                .Split(':', StringSplitOptions.RemoveEmptyEntries))
            .SelectMany(EncodeReference);

    /// <summary>tests/assets/hf-tokenizer-reference/encode-reference.jsonl (Hugging Face tokenizers output, see its README).</summary>
    public static IEnumerable<object[]> HuggingFaceStress() =>
        EncodeReference(Path.Combine(TestPaths.RepoRoot, "tests", "assets", "hf-tokenizer-reference", "encode-reference.jsonl"));

    /// <summary>tests/assets/hf-tokenizer-reference/decode-reference.jsonl: ids, decoded keeping and skipping special tokens.</summary>
    public static IEnumerable<object[]> HuggingFaceDecode() =>
        File.ReadLines(Path.Combine(TestPaths.RepoRoot, "tests", "assets", "hf-tokenizer-reference", "decode-reference.jsonl"))
            .Select((line, index) =>
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                return new object[]
                {
                    index + 1,
                    root.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                    root.GetProperty("keep").GetString()!,
                    root.GetProperty("skip").GetString()!,
                };
            });

    private static IEnumerable<object[]> EncodeReference(string path) =>
        File.ReadLines(path)
            .Select((line, index) => (line, index))
            .Where(x => x.line.Length > 0)
            .Select(x =>
            {
                using var doc = JsonDocument.Parse(x.line);
                var root = doc.RootElement;
                return new object[]
                {
                    x.index + 1,
                    root.GetProperty("text").GetString()!,
                    root.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                    root.GetProperty("decoded").GetString()!,
                };
            });
}
