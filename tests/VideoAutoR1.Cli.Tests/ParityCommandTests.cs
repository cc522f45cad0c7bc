using TorchSharp;
using VideoAutoR1.Model;

namespace VideoAutoR1.Cli.Tests;

/// <summary>
/// <c>videoautor1 parity</c> on the repository's tiny-a (Qwen2.5-VL) and tiny-q3a (Qwen3-VL) sets and on every set under VIDEOAUTOR1_PARITY_FIXTURES
/// (colon-separated, as the Model tests read it), on a tampered copy, and on directories that are not fixtures.
/// </summary>
public sealed class ParityCommandTests
{
    public const string FixtureEnvironmentVariable = "VIDEOAUTOR1_PARITY_FIXTURES";

    public static TheoryData<string> FixtureRoots()
    {
        var roots = new List<string> { Cli.TinyAFixture, Cli.TinyQ3aFixture };
        if (Environment.GetEnvironmentVariable(FixtureEnvironmentVariable) is { Length: > 0 } extra)
        {
            roots.AddRange(extra.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(Path.GetFullPath));
        }

        return [.. roots];
    }

    [Theory]
    [MemberData(nameof(FixtureRoots))]
    public void Float32_prints_per_tensor_lines_and_passes(string fixture)
    {
        var result = Cli.Run("parity", fixture);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("parity: PASS", result.StdoutLines[^1]);
        Assert.Contains(result.StdoutLines, line => line.StartsWith("prefill.logits ", StringComparison.Ordinal) && line.Contains("max_abs_diff"));
        Assert.DoesNotContain(result.StdoutLines, line => line.Contains(" FAIL", StringComparison.Ordinal));
    }

    [Fact]
    public void A_directory_of_sets_runs_each_set()
    {
        var result = Cli.Run("parity", Path.GetDirectoryName(Cli.TinyAFixture)!);

        Assert.True(result.ExitCode == 0, result.ToString());
        var header = Assert.Single(result.StdoutLines, line => line.StartsWith("# ", StringComparison.Ordinal));
        Assert.Contains("tiny-a", header);
        Assert.Equal("parity: PASS", result.StdoutLines[^1]);
    }

    [Theory]
    [InlineData("qwen2_5_vl/tiny-a")]
    [InlineData("qwen3_vl/tiny-q3a")]
    public void Bf16_runs_and_reports_the_bf16_deviation(string set)
    {
        var result = Cli.Run("parity", Path.Combine(AppContext.BaseDirectory, "Fixtures", set), "--dtype", "bf16");

        // In bf16 every float tensor is report-only (fp32 tolerances do not apply), so the run passes on exact checks.
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("BFloat16", result.StdoutLines[0]);
        var deviation = Assert.Single(result.StdoutLines, line => line.StartsWith("bf16.prefill.logits ", StringComparison.Ordinal));
        var value = deviation.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];
        Assert.True(double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var diff) && double.IsFinite(diff), deviation);
        Assert.Equal("parity: PASS", result.StdoutLines[^1]);
    }

    [Fact]
    public void Tampered_prefill_logits_fail_with_exit_1()
    {
        using var temp = new TempDir();
        var copy = Path.Combine(temp.Path, "tiny-a");
        CopyDirectory(Cli.TinyAFixture, copy);
        TamperPrefillLogits(Path.Combine(copy, "expected.safetensors"));

        var result = Cli.Run("parity", copy);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("parity: FAIL", result.StdoutLines[^1]);
        var logits = Assert.Single(result.StdoutLines, line => line.StartsWith("prefill.logits ", StringComparison.Ordinal));
        Assert.Contains("FAIL", logits, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Directory_that_is_not_a_fixture_is_one_line_error()
    {
        using var temp = new TempDir();
        File.WriteAllText(temp["notes.txt"], "not a fixture");

        Cli.Run("parity", temp.Path).AssertOneLineError("no fixture set");
        Cli.Run("parity", temp["missing"]).AssertOneLineError();
    }

    [Fact]
    public void Unreadable_fixture_files_are_one_line_errors()
    {
        using var temp = new TempDir();
        var copy = Path.Combine(temp.Path, "tiny-a");
        CopyDirectory(Cli.TinyAFixture, copy);
        File.WriteAllText(Path.Combine(copy, "meta.json"), "{");
        Cli.Run("parity", copy).AssertOneLineError("fixture_invalid");

        File.Delete(Path.Combine(copy, "meta.json"));
        File.WriteAllBytes(Path.Combine(copy, "expected.safetensors"), [1, 2, 3]);
        Cli.Run("parity", copy).AssertOneLineError("checkpoint_corrupt");
    }

    [Fact]
    public void Unknown_dtype_is_one_line_error() =>
        Cli.Run("parity", Cli.TinyAFixture, "--dtype", "int3").AssertOneLineError("--dtype");

    /// <summary>Rewrites the file with the Model library's own safetensors writer, prefill logits shifted by 0.5.</summary>
    private static void TamperPrefillLogits(string path)
    {
        using var scope = torch.NewDisposeScope();
        List<(string Name, torch.Tensor Tensor)> tensors;
        using (var file = SafeTensorsFile.Open(path))
        {
            tensors = [.. file.Entries.Keys.Select(name => (name, file.Read(name)))];
        }

        tensors = [.. tensors.Select(t => t.Name == "prefill.logits" ? (t.Name, t.Tensor + 0.5f) : t)];
        Assert.Contains(tensors, t => t.Name == "prefill.logits");
        SafeTensorsFile.Write(path, tensors);
    }

    private static void CopyDirectory(string source, string target)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }
}
