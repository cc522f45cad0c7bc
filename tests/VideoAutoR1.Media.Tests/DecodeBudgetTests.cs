using VideoAutoR1.Core;

namespace VideoAutoR1.Media.Tests;

/// <summary>
/// One request's memory is bounded by what the model will see: huge frames are refused from the probe or decoded
/// small, and the media workers share one byte budget.
/// </summary>
public sealed class DecodeBudgetTests
{
    /// <summary>The clip shape (8192x8192 H.264 of one colour), with 2 frames instead of 16 to keep the test fast.</summary>
    private static string HugeClip() => TestVideos.Make("huge-8192.mp4",
        "-f", "lavfi", "-i", "color=c=blue:s=8192x8192:r=2", "-frames:v", "2", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast");

    [Fact]
    public async Task A_clip_over_the_decoded_pixel_budget_is_refused_from_the_probe()
    {
        var budget = new MediaDecodeOptions { MaxDecodedPixels = 8192L * 8192 };
        using var harness = new Harness(decode: budget);
        var bytes = await File.ReadAllBytesAsync(HugeClip());
        var error = await Assert.ThrowsAsync<VideoQaException>(() => harness.RunAsync(new VideoSource.Bytes(bytes)));
        Assert.Equal(ErrorKind.TooLarge, error.Kind);
        Assert.Equal("video_too_large", error.Code);
        Assert.Contains("2 frames of 8192x8192", error.Message);
        Assert.Equal(0, harness.Preprocessor.ReservedDecodeBytes);
        harness.AssertClean();
    }

    [Fact]
    public async Task Huge_frames_are_decoded_at_twice_the_target_at_most_and_the_budget_is_given_back()
    {
        using var harness = new Harness();
        var video = await harness.RunAsync(new VideoSource.Bytes(await File.ReadAllBytesAsync(HugeClip())));

        // smart_resize of 8192x8192 within 768 tokens per frame pair is 756x756 (27x27 merged patches).
        Assert.Equal((1, 54, 54), (video.GridT, video.GridH, video.GridW));
        var plan = DecodePlan.Create(8192, 8192, 756, 756, 2);
        Assert.True(plan.Scales);
        Assert.Equal((1512, 1512), (plan.DecodeWidth, plan.DecodeHeight));
        // What this process holds for the video: 3 frame buffers at 1512x1512 plus the small frames and patches,
        // against the 600 MB of just three 8192x8192 rgb24 frame buffers.
        Assert.True(plan.MemoryBytes < 64L << 20, $"{plan.MemoryBytes} bytes");
        Assert.Equal(0, harness.Preprocessor.ReservedDecodeBytes);

        // One blue frame stays blue through ffmpeg's area scale and the bicubic kernel (CLIP-normalised blue channel > 1).
        Assert.InRange(video.PixelValues[VideoPatchifier.PatchDim - 1], 1.5f, 2.5f);
        harness.AssertClean();
    }

    [Theory]
    [InlineData(640, 360, 644, 364)] // upscale target: decoded as is
    [InlineData(1280, 720, 644, 364)] // within 2x per side: decoded as is (bit-exact kernel path)
    [InlineData(1920, 1080, 644, 364)] // beyond 2x: ffmpeg scales to 2x the target first
    public void Frames_within_twice_the_target_are_decoded_at_their_own_size(int width, int height, int outWidth, int outHeight)
    {
        var plan = DecodePlan.Create(width, height, outWidth, outHeight, 8);
        var fits = width <= 2 * outWidth && height <= 2 * outHeight;
        Assert.Equal(!fits, plan.Scales);
        Assert.Equal(fits ? (width, height) : (2 * outWidth, 2 * outHeight), (plan.DecodeWidth, plan.DecodeHeight));
        Assert.Equal(8L * width * height, plan.DecodedPixels);
    }

    [Fact]
    public async Task Videos_wait_for_their_share_of_the_memory_budget_in_arrival_order()
    {
        var plan = DecodePlan.Create(280, 280, 280, 280, 4);
        var budget = new DecodeBudget(new MediaDecodeOptions { MemoryBudgetBytes = plan.MemoryBytes * 2 });
        var first = await budget.ReserveAsync(plan, default);
        var second = await budget.ReserveAsync(plan, default);
        var third = budget.ReserveAsync(plan, default);
        using var cancel = new CancellationTokenSource();
        var cancelled = budget.ReserveAsync(plan, cancel.Token);
        var fourth = budget.ReserveAsync(plan, default);
        await Task.Delay(50);
        Assert.False(third.IsCompleted);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        first.Dispose();
        (await third).Dispose();
        second.Dispose();
        (await fourth).Dispose();
        Assert.Equal(0, budget.Reserved);
    }

    [Fact]
    public async Task A_video_that_alone_needs_more_than_the_whole_budget_is_refused()
    {
        var plan = DecodePlan.Create(280, 280, 280, 280, 4);
        var budget = new DecodeBudget(new MediaDecodeOptions { MemoryBudgetBytes = plan.MemoryBytes - 1 });
        var error = await Assert.ThrowsAsync<VideoQaException>(() => budget.ReserveAsync(plan, default));
        Assert.Equal(ErrorKind.TooLarge, error.Kind);
        Assert.Equal(0, budget.Reserved);
    }
}
