using VideoAutoR1.Core;

namespace VideoAutoR1.Media.Tests;

/// <summary>Each bad input gives a typed error or a documented clamped result, with no ffmpeg child and no spooled file left.</summary>
public sealed class BadInputTests
{
    private static string Clip => TestVideos.TestSrc("testsrc-320x240-25fps-4s.mp4", 320, 240, 25, 4);

    [Fact]
    public async Task Zero_byte_file_is_video_empty()
    {
        await AssertRefusedAsync([], ErrorKind.UnsupportedMedia, "video_empty");
    }

    [Fact]
    public async Task Truncated_mp4_is_video_corrupt()
    {
        // Without faststart the index (moov) is at the end, so the first 60 % is unreadable as MP4.
        var bytes = await File.ReadAllBytesAsync(Clip);
        await AssertRefusedAsync(bytes[..(bytes.Length * 6 / 10)], ErrorKind.UnsupportedMedia, "video_corrupt");
    }

    [Fact]
    public async Task Audio_only_file_is_video_no_stream()
    {
        var audio = TestVideos.Make("sine.m4a", "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "aac");
        await AssertRefusedAsync(await File.ReadAllBytesAsync(audio), ErrorKind.UnsupportedMedia, "video_no_stream");
    }

    [Fact]
    public async Task Audio_with_cover_art_is_video_no_stream()
    {
        var audio = TestVideos.Make("sine-cover.m4a", "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-f", "lavfi", "-t", "1",
            "-i", "testsrc=size=64x64:rate=1", "-map", "0", "-map", "1", "-c:a", "aac", "-c:v", "mjpeg", "-disposition:v:0", "attached_pic");
        await AssertRefusedAsync(await File.ReadAllBytesAsync(audio), ErrorKind.UnsupportedMedia, "video_no_stream");
    }

    [Fact]
    public async Task Text_file_named_mp4_is_video_corrupt()
    {
        var text = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("this is not a video, just text.\n", 200)));
        await AssertRefusedAsync(text, ErrorKind.UnsupportedMedia, "video_corrupt", "notes.mp4");
    }

    [Fact]
    public async Task Eight_k_video_is_clamped_by_smart_resize_to_the_frame_budget()
    {
        var path = TestVideos.TestSrc("testsrc-7680x4320-2fps-1s.mp4", 7680, 4320, 2, 1);
        using var harness = new Harness();
        var video = await harness.RunAsync(new VideoSource.Bytes(await File.ReadAllBytesAsync(path)));
        // 2 frames; per-frame cap min(768·784, 16384·784 / 2 · 2) = 602112 px; beta = sqrt(7680·4320 / 602112) = 7.42,
        // floor(4320 / 7.42 / 28)·28 = 560, floor(7680 / 7.42 / 28)·28 = 1008.
        Assert.Equal((1, 560 / 14, 1008 / 14), (video.GridT, video.GridH, video.GridW));
        Assert.True(video.GridH * 14 * video.GridW * 14 <= harness.Options.MaxPixels);
        harness.AssertClean();
    }

    [Fact]
    public async Task Frames_larger_than_the_side_limit_are_video_too_large()
    {
        var path = TestVideos.TestSrc("testsrc-7680x4320-2fps-1s.mp4", 7680, 4320, 2, 1);
        using var harness = new Harness(o => o.MaxFrameSide = 3840);
        var error = await Assert.ThrowsAsync<VideoQaException>(() => harness.RunAsync(new VideoSource.Bytes(File.ReadAllBytes(path))));
        Assert.Equal(("video_too_large", ErrorKind.TooLarge), (error.Code, error.Kind));
        harness.AssertClean();
    }

    [Fact]
    public async Task Three_hour_video_is_refused_from_the_probe_alone()
    {
        // 3 h of 64×64 black at 0.1 fps: 1080 frames, cheap to make; its duration is what matters.
        var path = TestVideos.Make("black-3h.mp4", "-f", "lavfi", "-i", "color=c=black:s=64x64:r=1/10", "-t", "10800",
            "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast");
        using var harness = new Harness();
        var source = new VideoSource.Bytes(await File.ReadAllBytesAsync(path));
        // ProbeAsync runs only ffprobe and applies the same limits PreprocessAsync checks before it decodes anything.
        var probeError = await Assert.ThrowsAsync<VideoQaException>(() => harness.Preprocessor.ProbeAsync(source, default));
        Assert.Equal(("video_too_long", ErrorKind.TooLarge), (probeError.Code, probeError.Kind));
        Assert.Contains("10800 s", probeError.Message, StringComparison.Ordinal);
        var error = await Assert.ThrowsAsync<VideoQaException>(() => harness.RunAsync(source));
        Assert.Equal(("video_too_long", ErrorKind.TooLarge), (error.Code, error.Kind));
        harness.AssertClean();
    }

    [Fact]
    public async Task One_frame_video_is_video_too_short()
    {
        var path = TestVideos.TestSrc("one-frame.mp4", 320, 240, 25, 1, "-frames:v", "1");
        await AssertRefusedAsync(await File.ReadAllBytesAsync(path), ErrorKind.UnsupportedMedia, "video_too_short");
    }

    [Fact]
    public async Task Odd_dimensions_are_resized_to_the_28_pixel_grid()
    {
        // libx264 needs even sides for yuv420p; yuv444p allows 161×121.
        var path = TestVideos.Make("odd-161x121.mp4", "-f", "lavfi", "-i", "testsrc=size=161x121:rate=10", "-t", "2",
            "-pix_fmt", "yuv444p", "-c:v", "libx264", "-preset", "ultrafast");
        using var harness = new Harness();
        var video = await harness.RunAsync(new VideoSource.Bytes(await File.ReadAllBytesAsync(path)));
        // round(121/28)·28 = 112, round(161/28)·28 = 168, 18816 px is inside [12544, 602112].
        Assert.Equal((2, 112 / 14, 168 / 14), (video.GridT, video.GridH, video.GridW));
        harness.AssertClean();
    }

    [Fact]
    public async Task Aspect_ratio_beyond_200_to_1_is_video_aspect_ratio()
    {
        var path = TestVideos.Make("thin-4040x20.mp4", "-f", "lavfi", "-i", "testsrc=size=4040x20:rate=10", "-t", "1",
            "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast");
        await AssertRefusedAsync(await File.ReadAllBytesAsync(path), ErrorKind.UnsupportedMedia, "video_aspect_ratio");
    }

    [Fact]
    public async Task Corrupt_frames_in_the_middle_are_decoded_with_concealment()
    {
        // Overwrite 4 KB in the middle of the frame data (moov first, so the index survives).
        var path = TestVideos.TestSrc("testsrc-faststart.mp4", 320, 240, 25, 4, "-movflags", "+faststart", "-g", "25");
        var bytes = await File.ReadAllBytesAsync(path);
        var garbage = new Random(7).GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), 4096);
        garbage.CopyTo(bytes.AsSpan(bytes.Length / 2));
        using var harness = new Harness();
        var clean = await harness.RunAsync(new VideoSource.Bytes(await File.ReadAllBytesAsync(path)));
        var damaged = await harness.RunAsync(new VideoSource.Bytes(bytes));
        // libavcodec conceals the damage as decord/torchcodec would: same frames and grid (240×320 -> 252×308), other pixels.
        Assert.Equal((4, 18, 22), (damaged.GridT, damaged.GridH, damaged.GridW));
        Assert.Equal(clean.FrameTimestamps, damaged.FrameTimestamps);
        Assert.NotEqual(clean.PixelValues, damaged.PixelValues);
        harness.AssertClean();
    }

    private static async Task AssertRefusedAsync(byte[] bytes, ErrorKind kind, string code, string? fileName = null)
    {
        using var harness = new Harness();
        var error = await Assert.ThrowsAsync<VideoQaException>(() => harness.RunAsync(new VideoSource.Bytes(bytes, fileName)));
        Assert.Equal((code, kind), (error.Code, error.Kind));
        harness.AssertClean();
    }
}
