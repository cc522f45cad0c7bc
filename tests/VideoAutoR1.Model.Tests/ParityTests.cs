using VideoAutoR1.Cli;
using VideoAutoR1.Model;
using Xunit.Abstractions;

namespace VideoAutoR1.Model.Tests;

/// <summary>
/// Every fixture set in the repository's Fixtures folder and under each directory of
/// VIDEOAUTOR1_PARITY_FIXTURES (colon-separated) must match its Hugging Face references.
/// </summary>
public sealed class ParityTests(ITestOutputHelper output)
{
    public static TheoryData<string> FixtureSets()
    {
        var roots = new List<string> { TestPaths.RepoFixtures };
        var extra = Environment.GetEnvironmentVariable(TestPaths.FixtureEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(extra))
        {
            roots.AddRange(extra.Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        var data = new TheoryData<string>();
        foreach (var set in roots.SelectMany(ParityRunner.DiscoverSets).Distinct())
        {
            data.Add(set);
        }

        return data;
    }

    [Fact]
    public void Repository_fixtures_and_every_extra_root_hold_at_least_one_set()
    {
        var sets = FixtureSets().Cast<object[]>().Select(row => (string)row[0]);
        Assert.Contains(sets, set => set.EndsWith("tiny-a", StringComparison.Ordinal));
        Assert.Contains(sets, set => set.EndsWith("tiny-q3a", StringComparison.Ordinal));
        var extra = Environment.GetEnvironmentVariable(TestPaths.FixtureEnvironmentVariable);
        foreach (var root in (extra ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            Assert.True(ParityRunner.DiscoverSets(root).Count > 0, $"{TestPaths.FixtureEnvironmentVariable} entry '{root}' holds no fixture set");
        }
    }

    [Theory]
    [MemberData(nameof(FixtureSets))]
    public void Float32_matches_reference(string set)
    {
        var entries = ParityRunner.Run(set);
        foreach (var entry in entries)
        {
            output.WriteLine(entry.ToString());
        }

        Assert.Empty(entries.Where(e => e.Status == ParityStatus.Fail).Select(e => e.ToString()));
        Assert.Contains(entries, e => e.Name == "prefill.logits" || e.Name == "text_only.logits");
    }
}

/// <summary>A set without text-only, bf16 or rope-case references still runs; the gaps are reported, not failed.</summary>
public sealed class PartialFixtureTests
{
    [Fact]
    public void Missing_references_are_reported_absent()
    {
        using var dir = new TempDir();
        var model = Path.Combine(dir.Path, "model");
        Directory.CreateDirectory(model);
        foreach (var file in Directory.GetFiles(TestPaths.TinyAModel))
        {
            File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        }

        CopyWithout("inputs.safetensors", dir.Path, name => name == "text_only_input_ids");
        CopyWithout("expected.safetensors", dir.Path, name => name.StartsWith("text_only.", StringComparison.Ordinal)
            || name.StartsWith("bf16.", StringComparison.Ordinal) || name == "vision.window_index");

        var entries = ParityRunner.Run(dir.Path);
        Assert.DoesNotContain(entries, e => e.Status == ParityStatus.Fail);
        Assert.Contains(entries, e => e.Name == "text_only.*" && e.Status == ParityStatus.Absent);
        Assert.Contains(entries, e => e.Name == "rope_index_cases.*" && e.Status == ParityStatus.Absent);
        Assert.Contains(entries, e => e.Name == "vision.window_index" && e.Status == ParityStatus.Absent);
        Assert.Contains(entries, e => e.Name == "prefill.logits" && e.Status == ParityStatus.Pass);
    }

    [Fact]
    public void A_wrong_reference_fails()
    {
        using var dir = new TempDir();
        foreach (var file in Directory.GetFiles(TestPaths.TinyA))
        {
            File.Copy(file, Path.Combine(dir.Path, Path.GetFileName(file)));
        }

        CopyDirectory(TestPaths.TinyAModel, Path.Combine(dir.Path, "model"));
        using (var expected = SafeTensorsFile.Open(Path.Combine(TestPaths.TinyA, "expected.safetensors")))
        {
            var tensors = expected.Entries.Keys.ToDictionary(n => n, expected.Read);
            tensors["prefill.logits"] = tensors["prefill.logits"] + 1e-3;
            SafeTensorsFile.Write(Path.Combine(dir.Path, "expected.safetensors"), tensors.Select(kv => (kv.Key, kv.Value)));
        }

        var entries = ParityRunner.Run(dir.Path);
        Assert.Equal([ParityStatus.Fail], entries.Where(e => e.Status == ParityStatus.Fail).Select(e => e.Status).Distinct());
        Assert.Equal("prefill.logits", Assert.Single(entries, e => e.Status == ParityStatus.Fail).Name);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private static void CopyWithout(string fileName, string dir, Func<string, bool> drop)
    {
        using var source = SafeTensorsFile.Open(Path.Combine(TestPaths.TinyA, fileName));
        var kept = source.Entries.Keys.Where(n => !drop(n)).Select(n => (n, source.Read(n))).ToList();
        SafeTensorsFile.Write(Path.Combine(dir, fileName), kept);
        kept.ForEach(k => k.Item2.Dispose());
    }
}
