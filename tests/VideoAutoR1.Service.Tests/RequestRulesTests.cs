using System.Net;
using Microsoft.Extensions.Options;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Media;
using VideoAutoR1.Service.Options;
using VideoAutoR1.Service.Requests;

namespace VideoAutoR1.Service.Tests;

/// <summary>Validation and clamping rules every API surface shares (no server needed).</summary>
public sealed class RequestRulesTests
{
    private static readonly ServiceOptions Options = new();
    private static readonly AnswerRequestFactory Factory = new(new StaticMonitor<ServiceOptions>(Options), new VideoUrlPolicy(new StaticMonitor<ServiceOptions>(Options)));
    private static readonly VideoSource Video = new VideoSource.ServerPath("clip.mp4");

    private static QuestionQuery Query(double? threshold = null, VideoSamplingRequest? sampling = null, int? maxNewTokens = null, IReadOnlyList<string>? options = null, TaskKind? task = null) =>
        new("What happens?", options, task, null, threshold, maxNewTokens, null, null, null, null, sampling);

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(1.5)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void Threshold_outside_the_open_unit_interval_is_rejected(double tau)
    {
        var error = Assert.Throws<VideoQaException>(() => Factory.Create("r", Video, Query(threshold: tau)));
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Equal("threshold_out_of_range", error.Code);
        Assert.Equal("threshold", error.Field);
    }

    [Fact]
    public void Caller_knobs_are_clamped_to_the_caps()
    {
        var caps = Options.Caps;
        var request = Factory.Create("r", Video, Query(
            sampling: new VideoSamplingRequest(Fps: 1000, MinFrames: 100_000, MaxFrames: 100_000, MinPixels: int.MaxValue, MaxPixels: int.MaxValue),
            maxNewTokens: 1_000_000));

        Assert.Equal(caps.MaxFps, request.Sampling!.Fps);
        Assert.Equal(caps.MaxFrames, request.Sampling.MaxFrames);
        Assert.Equal(caps.MaxFrames, request.Sampling.MinFrames);
        Assert.Equal(caps.MaxPixels, request.Sampling.MaxPixels);
        Assert.Equal(caps.MaxPixels, request.Sampling.MinPixels);
        Assert.Equal(caps.MaxNewTokens, request.MaxNewTokens);
        Assert.Equal(TimeSpan.FromSeconds(Options.RequestTimeoutSeconds), request.Timeout);
    }

    [Fact]
    public void Values_under_the_caps_pass_unchanged_and_the_task_follows_the_options()
    {
        var request = Factory.Create("r", Video, Query(sampling: new VideoSamplingRequest(Fps: 1, MaxFrames: 16), maxNewTokens: 32, options: ["a", "b"]));

        Assert.Equal(1, request.Sampling!.Fps);
        Assert.Equal(16, request.Sampling.MaxFrames);
        Assert.Equal(32, request.MaxNewTokens);
        Assert.Equal(TaskKind.MultipleChoice, request.Question.Kind);
        Assert.Equal(AnswerMode.Auto, request.Mode);
        Assert.Equal(TaskKind.Open, Factory.Create("r", Video, Query()).Question.Kind);
    }

    [Theory]
    [InlineData("fps_out_of_range", 0.0, null, null)]
    [InlineData("frames_out_of_range", null, 0, null)]
    [InlineData("segment_out_of_range", null, null, -1.0)]
    public void Impossible_sampling_values_are_rejected(string code, double? fps, int? maxFrames, double? start)
    {
        var error = Assert.Throws<VideoQaException>(() => Factory.Create("r", Video, Query(sampling: new VideoSamplingRequest(Fps: fps, MaxFrames: maxFrames, StartSeconds: start))));
        Assert.Equal(code, error.Code);
    }

    [Fact]
    public void Multiple_choice_without_options_and_empty_questions_are_rejected()
    {
        Assert.Equal("options_required", Assert.Throws<VideoQaException>(() => Factory.Create("r", Video, Query(task: TaskKind.MultipleChoice))).Code);
        Assert.Equal("question_required", Assert.Throws<VideoQaException>(() =>
            Factory.Create("r", Video, Query() with { Question = "  " })).Code);
    }

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
            RequestTimeoutSeconds = 100,
            MaxRequestTimeoutSeconds = 50,
            Urls = { AllowedSchemes = ["ftp"] },
            Auth = { ApiKeys = ["short"] },
        };

        var annotations = new ServiceOptionsValidator().Validate(null, options);
        var rules = new ServiceOptionsRules().Validate(null, options);

        Assert.True(annotations.Failed);
        Assert.Contains(nameof(ServiceOptions.MaxUploadBytes), annotations.FailureMessage);
        Assert.True(rules.Failed);
        Assert.Equal(3, rules.Failures!.Count());
        Assert.True(new ServiceOptionsValidator().Validate(null, new ServiceOptions()).Succeeded);
        Assert.True(new ServiceOptionsRules().Validate(null, new ServiceOptions()).Succeeded);
    }

    private sealed class StaticMonitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }
}
