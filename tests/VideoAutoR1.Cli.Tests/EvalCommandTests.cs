using System.Text.Json;
using VideoAutoR1.Engine;
using VideoAutoR1.Engine.Tests;
using VideoAutoR1.Model;

namespace VideoAutoR1.Cli.Tests;

/// <summary>A tiny random model, a testsrc clip, a file that is not a video and a benchmark file with good and bad lines.</summary>
public sealed class EvalFixture : IDisposable
{
    public EvalFixture()
    {
        ModelDirectory = Temp["tiny-model"];
        using (var model = Qwen2_5_VLForConditionalGeneration.CreateRandom(SmallModel.Config, seed: 3, new ModelLoadOptions()))
        {
            SmallModel.SaveWithTokenizer(model, ModelDirectory);
        }

        Cli.MakeTestVideo(Temp["clip.mp4"]);
        File.WriteAllText(Temp["notes.mp4"], "not a video\n");
        DataPath = Temp["bench.jsonl"];
        File.WriteAllLines(DataPath,
        [
            """{"id": "mc", "video": "clip.mp4", "question": "What is shown?", "options": ["Colour bars", "A cat"], "task": "multiple_choice", "answer": "A", "benchmark": "demo", "category": "colors", "rationale": "ignored"}""",
            """{"id": "tg", "video": "clip.mp4", "question": "the bars scroll", "task": "temporal_grounding", "answer": [0.5, 1.5], "benchmark": "demo"}""",
            """{"id": "mc", "video": "clip.mp4", "question": "Again?", "task": "open", "answer": "x"}""",
            """{"id": "broken", "video": "notes.mp4", "question": "How many?", "task": "numeric", "answer": 2, "benchmark": "demo"}""",
            "this line is not JSON",
            """{"id": "num", "video": "clip.mp4", "question": "How many bars?", "task": "numeric", "answer": 7, "benchmark": "demo"}""",
        ]);
    }

    public TempDir Temp { get; } = new();

    public string ModelDirectory { get; }

    public string DataPath { get; }

    public string[] Eval(string outPath, params string[] extra) =>
        ["eval", "--model", ModelDirectory, "--data", DataPath, "--out", outPath, "--max-new-tokens", "4", "--max-frames", "4", .. extra];

    public void Dispose() => Temp.Dispose();
}

/// <summary>
/// <c>videoautor1 eval</c> and <c>calibrate</c> end to end on a tiny random model: bad lines reported with their line
/// numbers and counted, a run resumed from its results file, other runs' results refused.
/// </summary>
public sealed class EvalCommandTests(EvalFixture fixture) : IClassFixture<EvalFixture>
{
    [Fact]
    public void A_run_resumes_from_its_results_file_and_the_summary_counts_every_skipped_line()
    {
        var outPath = fixture.Temp["think/results.jsonl"];
        var first = Cli.Run(fixture.Eval(outPath, "--mode", "think", "--limit", "2"));
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(["mc", "tg"], ResultIds(outPath).Order(StringComparer.Ordinal));

        var second = Cli.Run(fixture.Eval(outPath, "--mode", "think"));
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("2 results already in", second.Stderr);
        Assert.Equal(["mc", "num", "tg"], ResultIds(outPath).Order(StringComparer.Ordinal));

        // Bad lines: reported on stderr with their line numbers, every run.
        Assert.Contains("bench.jsonl: line 3 (id mc): duplicate_id", second.Stderr);
        Assert.Contains("bench.jsonl: line 5: malformed_line", second.Stderr);
        Assert.Contains("bench.jsonl: line 4 (id broken): video_corrupt", second.Stderr);

        var line = JsonDocument.Parse(File.ReadLines(outPath).First()).RootElement;
        foreach (var field in new[]
        {
            "id", "mode", "a1", "a1_confidence", "thought", "a2", "final_answer", "correct_a1", "correct_a2", "correct_final", "iou",
            "generated_tokens", "tokens_to_a1", "latency_s", "model",
        })
        {
            Assert.True(line.TryGetProperty(field, out _), $"results line lacks {field}");
        }

        Assert.Equal(("think", Path.GetFileName(fixture.ModelDirectory)), (line.GetProperty("mode").GetString(), line.GetProperty("model").GetString()));

        using var summary = JsonDocument.Parse(File.ReadAllText(fixture.Temp["think/summary.json"]));
        var root = summary.RootElement;
        Assert.Equal(3, root.GetProperty("overall").GetProperty("items").GetInt32());
        Assert.Equal(2, root.GetProperty("input_problem_count").GetInt32());
        Assert.Equal(1, root.GetProperty("failed_item_count").GetInt32());
        Assert.Equal([3, 5], root.GetProperty("input_problems").EnumerateArray().Select(p => p.GetProperty("line").GetInt32()));
        var demo = root.GetProperty("benchmarks").EnumerateArray().Single(b => b.GetProperty("name").GetString() == "demo").GetProperty("metrics");
        Assert.Equal(3, demo.GetProperty("items").GetInt32());
        Assert.Equal(1, demo.GetProperty("segment_items").GetInt32());
        Assert.Contains("acc final", second.Stdout);

        // Another mode must not be appended to this run's file.
        var other = Cli.Run(fixture.Eval(outPath, "--mode", "auto"));
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("results_from_another_run", other.Stderr.TrimEnd().Split('\n')[^1]);
        Assert.Contains("in mode think", other.Stderr);
        Assert.Equal(3, ResultIds(outPath).Length);

        var calibration = Cli.Run("calibrate", outPath, "--out", fixture.Temp["calibration"], "--target", "think-rate:1");
        Assert.True(calibration.ExitCode == 0, calibration.ToString());
        Assert.Contains("recommended τ =", calibration.Stdout);
        Assert.Equal("tau,accuracy,think_rate,mean_tokens", File.ReadLines(fixture.Temp["calibration/calibration.csv"]).First());
        Assert.True(new FileInfo(fixture.Temp["calibration/calibration.png"]).Length > 0);

        Cli.Run("calibrate", outPath, "--out", fixture.Temp["calibration"], "--model", "another-model").AssertOneLineError("calibration_model_mismatch");
        var autoCopy = fixture.Temp["auto.jsonl"];
        File.WriteAllLines(autoCopy, File.ReadLines(outPath).Select(l => l.Replace("\"mode\":\"think\"", "\"mode\":\"auto\"", StringComparison.Ordinal)));
        Cli.Run("calibrate", autoCopy, "--out", fixture.Temp["calibration"]).AssertOneLineError("calibration_needs_think_mode");
    }

    [Fact]
    public void Strict_makes_a_bad_input_line_fatal_before_any_model_runs()
    {
        var result = Cli.Run(fixture.Eval(fixture.Temp["strict/results.jsonl"], "--strict"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("line 5: malformed_line", result.Stderr);
        Assert.Contains("input_invalid: 2 bad input line(s) and --strict", result.Stderr);
        Assert.False(File.Exists(fixture.Temp["strict/results.jsonl"]));
    }

    [Fact]
    public void Unknown_format_and_missing_data_are_one_line_errors()
    {
        Cli.Run("eval", "--data", fixture.DataPath, "--out", fixture.Temp["x.jsonl"], "--format", "bogus").AssertOneLineError("format_unknown");
        Cli.Run("eval", "--data", "/nonexistent/bench.jsonl", "--out", fixture.Temp["x.jsonl"]).AssertOneLineError("/nonexistent/bench.jsonl");
        Cli.Run("calibrate", "--out", fixture.Temp["c"]).AssertOneLineError("eval --mode think");
    }

    private static string[] ResultIds(string path) =>
        [.. File.ReadLines(path).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!)];
}
