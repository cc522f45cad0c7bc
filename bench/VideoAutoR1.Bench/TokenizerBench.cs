using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using VideoAutoR1.Core.Tokenization;

namespace VideoAutoR1.Bench;

/// <summary>
/// <c>tokenizer</c>: encode throughput (MB of UTF-8 per second, one thread) of <see cref="QwenTokenizer"/> on a mixed
/// corpus, next to Hugging Face's Rust tokenizer (npm <c>tokenizers</c>, run by bench/hf-tokenizers/hf_tokenizers.js)
/// on the same documents in the same run. Needs <c>npm install --prefix bench/hf-tokenizers</c> once.
/// </summary>
public static class TokenizerBench
{
    public const string Help = "encode MB/s vs Hugging Face tokenizers (npm): [--tokenizer DIR] [--corpus FILE]... [--seconds 3]";

    public static async Task<int> RunAsync(string[] args)
    {
        var options = ParseOptions(args);
        var repo = FindUp(Environment.CurrentDirectory, "VideoAutoR1.Service.sln")
            ?? throw new InvalidOperationException("run from inside the repository (VideoAutoR1.Service.sln not found)");
        var tokenizerDir = options.GetValueOrDefault("tokenizer") ?? Path.Combine(repo, "tests", "assets", "qwen-tokenizer");
        var seconds = double.Parse(options.GetValueOrDefault("seconds") ?? "3", CultureInfo.InvariantCulture);
        var (documents, composition) = Corpus(repo, options.GetValueOrDefault("corpus"));
        var bytes = documents.Sum(d => (long)Encoding.UTF8.GetByteCount(d));

        var loading = Stopwatch.StartNew();
        var tokenizer = QwenTokenizer.Load(tokenizerDir);
        var loadSeconds = loading.Elapsed.TotalSeconds;
        var tokens = documents.Sum(d => (long)tokenizer.Encode(d).Length);
        void Pass()
        {
            foreach (var document in documents)
            {
                tokenizer.Encode(document);
            }
        }

        // Ours is measured before and after the baseline, so a change in machine load shows up as a spread.
        var before = Measure(bytes, seconds, Pass);
        var baseline = await HuggingFaceAsync(repo, Path.Combine(tokenizerDir, "tokenizer.json"), documents, seconds);
        var after = Measure(bytes, seconds, Pass);
        var ours = (before + after) / 2;

        Console.WriteLine($"corpus: {documents.Count} documents, {bytes / 1e6:F3} MB UTF-8, {tokens} tokens ({composition})");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine($"QwenTokenizer.Load: {loadSeconds:F2} s");
        Console.WriteLine($"QwenTokenizer (Microsoft.ML.Tokenizers 2.0.1, .NET {Environment.Version}, 1 thread): {ours:F2} MB/s (before {before:F2}, after {after:F2})");
        Console.WriteLine($"HF tokenizers {baseline.Version} encodeBatch (Rust, TOKENIZERS_PARALLELISM=false): {baseline.Batch:F2} MB/s");
        Console.WriteLine($"HF tokenizers {baseline.Version} encode() per document (Rust via N-API, awaited one by one): {baseline.Each:F2} MB/s");
        Console.WriteLine($"ratio QwenTokenizer / HF encodeBatch: {ours / baseline.Batch:F2}; / HF encode per document: {ours / baseline.Each:F2}");
        Console.WriteLine(baseline.Tokens == tokens
            ? $"token counts agree ({tokens})"
            : $"TOKEN COUNTS DIFFER: ours {tokens}, Hugging Face {baseline.Tokens}");
        return baseline.Tokens == tokens ? 0 : 1;
    }

    /// <summary>Repeats whole passes over the corpus for at least <paramref name="seconds"/>; MB/s over all of them.</summary>
    private static double Measure(long bytes, double seconds, Action pass)
    {
        pass(); // warm-up: JIT, regex compilation, BPE cache
        var passes = 0;
        var clock = Stopwatch.StartNew();
        do
        {
            pass();
            passes++;
        }
        while (clock.Elapsed.TotalSeconds < seconds);

        return bytes * passes / 1e6 / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// The documents: paragraphs of the given file, or by default of the reference notes in shared/ (English prose,
    /// tables, code), the C# sources of VideoAutoR1.Core (code) and the tokenizer fixture texts (many scripts, emoji, digits).
    /// </summary>
    private static (List<string> Documents, string Composition) Corpus(string repo, string? corpusFile)
    {
        var sources = new List<(string Name, IEnumerable<string> Files)>();
        if (corpusFile is not null)
        {
            sources.Add((Path.GetFileName(corpusFile), [corpusFile]));
        }
        else
        {
            sources.Add(("C# sources of VideoAutoR1.Core", Directory.EnumerateFiles(Path.Combine(repo, "src", "VideoAutoR1.Core"), "*.cs", SearchOption.AllDirectories).Order()));
            if (FindUp(repo, Path.Combine("shared", "fixtures")) is { } parent)
            {
                var shared = Path.Combine(parent, "shared");
                sources.Add(("shared/*.md", Directory.EnumerateFiles(shared, "*.md").Order()));
                sources.Add(("tokenizer fixture texts", [Path.Combine(shared, "fixtures", "tokenizer", "qwen-public.jsonl")]));
            }
        }

        var documents = new List<string>();
        var parts = new List<string>();
        foreach (var (name, files) in sources)
        {
            var before = documents.Count;
            var size = 0L;
            foreach (var file in files)
            {
                var found = file.EndsWith(".jsonl", StringComparison.Ordinal) ? JsonlTexts(file) : Paragraphs(File.ReadAllText(file));
                documents.AddRange(found);
                size += found.Sum(d => (long)Encoding.UTF8.GetByteCount(d));
            }

            parts.Add($"{name}: {documents.Count - before} documents, {size / 1e3:F0} kB");
        }

        return (documents, string.Join("; ", parts));
    }

    private static List<string> Paragraphs(string text) =>
        [.. text.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n").Where(p => p.Trim().Length > 0)];

    private static List<string> JsonlTexts(string file) =>
        [.. File.ReadLines(file).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).Where(t => t.Length > 0)];

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            options[args[i].TrimStart('-')] = args[i + 1];
        }

        return options;
    }

    private static string? FindUp(string start, string relative)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (Path.Exists(Path.Combine(dir.FullName, relative)))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    private sealed record Baseline(string Version, double Batch, double Each, long Tokens);

    private static async Task<Baseline> HuggingFaceAsync(string repo, string tokenizerJson, List<string> documents, double seconds)
    {
        var scriptDir = Path.Combine(repo, "bench", "hf-tokenizers");
        var package = Path.Combine(scriptDir, "node_modules", "tokenizers", "package.json");
        if (!File.Exists(package))
        {
            throw new InvalidOperationException($"Hugging Face baseline not installed: run `npm install --prefix {scriptDir}`");
        }

        var docsFile = Path.Combine(Path.GetTempPath(), $"videoautor1-tokenizer-bench-{Environment.ProcessId}.json");
        await File.WriteAllTextAsync(docsFile, JsonSerializer.Serialize(documents));
        try
        {
            var start = new ProcessStartInfo("node", [Path.Combine(scriptDir, "hf_tokenizers.js"), "bench", tokenizerJson, docsFile, seconds.ToString(CultureInfo.InvariantCulture)])
            {
                RedirectStandardOutput = true,
                Environment = { ["TOKENIZERS_PARALLELISM"] = "false" },
            };
            using var node = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
            var output = await node.StandardOutput.ReadToEndAsync();
            await node.WaitForExitAsync();
            if (node.ExitCode != 0)
            {
                throw new InvalidOperationException($"hf_tokenizers.js failed with exit code {node.ExitCode}");
            }

            var result = JsonDocument.Parse(output).RootElement;
            var version = JsonDocument.Parse(await File.ReadAllTextAsync(package)).RootElement.GetProperty("version").GetString()!;
            return new Baseline(
                version,
                result.GetProperty("encodeBatch").GetProperty("mbPerSecond").GetDouble(),
                result.GetProperty("encodeEach").GetProperty("mbPerSecond").GetDouble(),
                result.GetProperty("tokens").GetInt64());
        }
        finally
        {
            File.Delete(docsFile);
        }
    }
}
