using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Media;
using VideoAutoR1.Service.Options;
using VideoAutoR1.Service.Requests;

namespace VideoAutoR1.Service.Tests;

/// <summary>
/// The service's own part of building a request (no server needed): the URL check's place after the field rules,
/// and the options checks. The field rules are pinned once at the resolver (Engine.Tests), the URL rules at the
/// media layer's policy (Media.Tests).
/// </summary>
public sealed class RequestRulesTests
{
    private static readonly ServiceOptions Options = new();
    private static readonly AnswerRequestFactory Factory = new(
        new RequestResolver(new EngineOptions(), new MediaOptions()), new VideoUrlPolicy(new MediaOptions()), Microsoft.Extensions.Options.Options.Create(new MediaOptions()));
    private static readonly VideoSource Video = new VideoSource.ServerPath("clip.mp4");

    private static QuestionQuery Query() => RequestResolver.Empty with { Question = "What happens?" };

    [Fact]
    public async Task Fields_are_validated_before_the_url_is_resolved()
    {
        // .invalid never resolves: a lookup before validation would answer url_unresolvable.
        var error = await Assert.ThrowsAsync<VideoQaException>(() =>
            Factory.CreateAsync("r", Factory.Url("https://video.invalid/a.mp4"), Query() with { Question = "" }, CancellationToken.None));
        Assert.Equal("question_required", error.Code);
    }

    [Fact]
    public void Options_validation_reports_every_bad_setting()
    {
        var options = new ServiceOptions
        {
            MaxJsonBytes = 10,
            Auth = { ApiKeys = ["short"] },
        };

        var annotations = new ServiceOptionsValidator().Validate(null, options);
        var rules = new ServiceOptionsRules().Validate(null, options);

        Assert.True(annotations.Failed);
        Assert.Contains(nameof(ServiceOptions.MaxJsonBytes), annotations.FailureMessage);
        Assert.True(rules.Failed);
        Assert.Single(rules.Failures!);
        Assert.True(new ServiceOptionsValidator().Validate(null, new ServiceOptions()).Succeeded);
        Assert.True(new ServiceOptionsRules().Validate(null, new ServiceOptions()).Succeeded);
    }

    [Fact]
    public void The_readme_documents_every_row_of_the_ranges_table()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        foreach (var row in RequestResolver.Ranges)
        {
            Assert.Contains($"| `{row.Field}` | {row.Interval} | {Setting(row.Default)} | {(row.Cap is { } cap ? Setting(cap) : "—")} | `{row.Code}` |", readme, StringComparison.Ordinal);
        }

        static string Setting(string text) => text.Contains(':', StringComparison.Ordinal) ? $"`{text}`" : text;
    }

    [Fact]
    public void A_setting_that_moved_to_its_owner_stops_the_start_naming_the_new_key()
    {
        var moved = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Service:Caps:MaxFps"] = "4",
            ["Service:RequestTimeoutSeconds"] = "300",
        }).Build();
        var result = new MovedSettingsRule(moved).Validate(null, new ServiceOptions());
        Assert.Equal(
            ["Service:Caps:MaxFps has moved to Media:MaxFps.", "Service:RequestTimeoutSeconds has moved to Engine:RequestTimeout (a TimeSpan, e.g. 00:05:00)."],
            result.Failures!);
        Assert.True(new MovedSettingsRule(new ConfigurationBuilder().Build()).Validate(null, new ServiceOptions()).Succeeded);
    }

    private sealed class StaticMonitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }
}
