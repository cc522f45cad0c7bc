using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VideoAutoR1.Core;

namespace VideoAutoR1.Media.Tests;

/// <summary>Timeouts, cancellation and the bounded queue: ffmpeg is killed and reaped, no spooled file stays.</summary>
public sealed class WorkerPoolTests
{
    // 60 s of 640×360 at 30 fps sampled at 8 fps: 480 frames, several seconds of work, so ffmpeg is mid-run when stopped.
    private static string LongClip => TestVideos.TestSrc("testsrc-640x360-30fps-60s.mp4", 640, 360, 30, 60);

    private static readonly VideoSamplingRequest ManyFrames = new(Fps: 8, MaxFrames: 512);

    private static void Slow(MediaOptions o) => (o.MaxFps, o.MaxFrames) = (8, 512);

    [Fact]
    public async Task Video_over_its_time_limit_is_video_timeout_and_ffmpeg_is_reaped()
    {
        using var harness = new Harness(o =>
        {
            Slow(o);
            o.VideoTimeout = TimeSpan.FromSeconds(1);
        });
        var error = await Assert.ThrowsAsync<VideoQaException>(() =>
            harness.RunAsync(new VideoSource.Bytes(File.ReadAllBytes(LongClip)), ManyFrames));
        Assert.Equal(("video_timeout", ErrorKind.DeadlineExceeded), (error.Code, error.Kind));
        harness.AssertClean();
    }

    [Fact]
    public async Task Caller_cancellation_stops_the_work_and_ffmpeg_is_reaped()
    {
        using var harness = new Harness(Slow);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(1500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            harness.RunAsync(new VideoSource.Bytes(File.ReadAllBytes(LongClip)), ManyFrames, cts.Token));
        harness.AssertClean();
    }

    [Fact]
    public async Task Full_queue_answers_media_overloaded_with_retry_after()
    {
        using var harness = new Harness(o =>
        {
            Slow(o);
            (o.MaxConcurrency, o.MaxQueue) = (1, 0);
        });
        using var cts = new CancellationTokenSource();
        var running = harness.RunAsync(new VideoSource.Bytes(File.ReadAllBytes(LongClip)), ManyFrames, cts.Token);
        var error = await Assert.ThrowsAsync<VideoQaException>(() => harness.RunAsync(new VideoSource.Bytes(File.ReadAllBytes(LongClip))));
        Assert.Equal(("media_overloaded", ErrorKind.Overloaded), (error.Code, error.Kind));
        Assert.NotNull(error.RetryAfter);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        harness.AssertClean();
    }

    [Fact]
    public void AddVideoMedia_binds_the_section_and_rejects_invalid_values()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Media:MaxFrames"] = "64",
            ["Media:ResizeKernel"] = "Uint8",
            ["Media:VideoTimeout"] = "00:00:30",
        }).Build();
        using var provider = new ServiceCollection().AddVideoMedia(configuration.GetSection(MediaOptions.SectionName)).BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<MediaOptions>>().Value;
        Assert.Equal((64, ResizeKernel.Uint8, TimeSpan.FromSeconds(30)), (options.MaxFrames, options.ResizeKernel, options.VideoTimeout));
        Assert.NotNull(provider.GetRequiredService<VideoPreprocessor>());

        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Media:MaxFrames"] = "1",
            ["Media:MinPixels"] = "700000",
            ["Media:ServerPathRoot"] = "relative/dir",
        }).Build();
        using var badProvider = new ServiceCollection().AddVideoMedia(bad.GetSection(MediaOptions.SectionName)).BuildServiceProvider();
        var failure = Assert.Throws<OptionsValidationException>(() => badProvider.GetRequiredService<IOptions<MediaOptions>>().Value);
        Assert.Contains(failure.Failures, f => f.Contains("MaxFrames", StringComparison.Ordinal));
    }

    [Fact]
    public void Validator_reports_cross_field_conflicts()
    {
        var result = new MediaOptionsValidator().Validate(null, new MediaOptions { MinPixels = 700_000, ServerPathRoot = "relative", Fps = 9 });
        Assert.True(result.Failed);
        Assert.Equal(3, result.Failures!.Count());
    }

    [Fact]
    public async Task Sampling_outside_its_ranges_is_refused_before_any_work()
    {
        // One byte is no video: any work on it would fail as unsupported media, not with the range's code.
        using var harness = new Harness();
        var cases = new (VideoSamplingRequest Request, string Code)[]
        {
            (new(Fps: 0), "fps_out_of_range"), (new(MaxFrames: 1), "frames_out_of_range"), (new(MinFrames: 0), "frames_out_of_range"),
            (new(MinPixels: 10), "pixels_out_of_range"), (new(StartSeconds: 5, EndSeconds: 2), "segment_out_of_range"),
        };
        foreach (var (request, code) in cases)
        {
            var error = await Assert.ThrowsAsync<VideoQaException>(() => harness.RunAsync(new VideoSource.Bytes(new byte[] { 1 }), request));
            Assert.Equal((code, ErrorKind.InvalidArgument), (error.Code, error.Kind));
        }
    }

    [Fact]
    public async Task Requested_trim_and_frame_cap_are_applied()
    {
        using var harness = new Harness();
        var clip = TestVideos.TestSrc("testsrc-320x240-25fps-4s.mp4", 320, 240, 25, 4);
        var video = await harness.RunAsync(new VideoSource.Bytes(File.ReadAllBytes(clip)), new VideoSamplingRequest(StartSeconds: 1, EndSeconds: 3, MaxFrames: 4));
        // frames 25..75 (51 frames, 2.04 s -> 4.08 -> 4 frames): linspace(25, 75, 4) rounded = 25, 42, 58, 75.
        Assert.Equal(new[] { 25 / 25.0, 42 / 25.0, 58 / 25.0, 75 / 25.0 }, video.FrameTimestamps);
        Assert.Equal(2, video.GridT);
        harness.AssertClean();
    }
}
