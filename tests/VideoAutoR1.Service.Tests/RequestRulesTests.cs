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
/// The service's own part of building a request (no server needed): the URL policy and its order against the field
/// rules, and the options checks. The field rules themselves are pinned once, at the resolver (Engine.Tests).
/// </summary>
public sealed class RequestRulesTests
{
    private static readonly ServiceOptions Options = new();
    private static readonly AnswerRequestFactory Factory = new(
        new RequestResolver(new EngineOptions(), new MediaOptions()), new VideoUrlPolicy(new StaticMonitor<ServiceOptions>(Options)));
    private static readonly VideoSource Video = new VideoSource.ServerPath("clip.mp4");

    private static QuestionQuery Query() => RequestResolver.Empty with { Question = "What happens?" };

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.20.0.1")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("fd00::1")]
    [InlineData("::ffff:127.0.0.1")]
    public void Non_public_addresses_are_not_public(string address) => Assert.False(VideoUrlPolicy.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("2606:4700:4700::1111")]
    public void Public_addresses_are_public(string address) => Assert.True(VideoUrlPolicy.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("http://127.0.0.1/v.mp4", "url_blocked")]
    [InlineData("http://[::1]:8080/v.mp4", "url_blocked")]
    [InlineData("ftp://example.com/v.mp4", "url_scheme_not_allowed")]
    [InlineData("file:///etc/passwd", "url_scheme_not_allowed")]
    [InlineData("not a url", "url_invalid")]
    [InlineData("http://[::7f00:1]/v.mp4", "url_blocked")]
    [InlineData("http://[::ffff:0:7f00:1]/v.mp4", "url_blocked")]
    [InlineData("http://[2002:7f00:1::]/v.mp4", "url_blocked")]
    [InlineData("http://[2002:a9fe:a9fe::]/latest/meta-data", "url_blocked")]
    [InlineData("http://[2001::1]/v.mp4", "url_blocked")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/v.mp4", "url_blocked")]
    public async Task Url_policy_refuses_before_anything_is_fetched(string url, string code)
    {
        var error = await Assert.ThrowsAsync<VideoQaException>(async () => await Factory.CreateAsync("r", Factory.Url(url), Query(), CancellationToken.None));
        Assert.Equal(code, error.Code);
    }

    [Fact]
    public async Task Fields_are_validated_before_the_url_is_resolved()
    {
        // .invalid never resolves: a lookup before validation would answer url_unresolvable.
        var error = await Assert.ThrowsAsync<VideoQaException>(() =>
            Factory.CreateAsync("r", Factory.Url("https://video.invalid/a.mp4"), Query() with { Question = "" }, CancellationToken.None));
        Assert.Equal("question_required", error.Code);
    }

    [Fact]
    public async Task Host_allow_list_is_enforced()
    {
        var options = new ServiceOptions { Urls = { AllowedHosts = ["*.videos.example"], BlockPrivateAddresses = false } };
        var policy = new VideoUrlPolicy(new StaticMonitor<ServiceOptions>(options));

        Assert.Equal("cdn.videos.example", (await policy.CheckAsync("https://cdn.videos.example/a.mp4", CancellationToken.None)).Host);
        var error = await Assert.ThrowsAsync<VideoQaException>(() => policy.CheckAsync("https://evil.example/a.mp4", CancellationToken.None));
        Assert.Equal("url_host_not_allowed", error.Code);
    }

    [Fact]
    public void Options_validation_reports_every_bad_setting()
    {
        var options = new ServiceOptions
        {
            MaxUploadBytes = 10,
            Urls = { AllowedSchemes = ["ftp"] },
            Auth = { ApiKeys = ["short"] },
        };

        var annotations = new ServiceOptionsValidator().Validate(null, options);
        var rules = new ServiceOptionsRules().Validate(null, options);

        Assert.True(annotations.Failed);
        Assert.Contains(nameof(ServiceOptions.MaxUploadBytes), annotations.FailureMessage);
        Assert.True(rules.Failed);
        Assert.Equal(2, rules.Failures!.Count());
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
