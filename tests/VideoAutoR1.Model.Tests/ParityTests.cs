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
