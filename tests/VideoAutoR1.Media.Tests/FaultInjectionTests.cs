using System.Diagnostics;
using VideoAutoR1.Core;

namespace VideoAutoR1.Media.Tests;

/// <summary>
/// Server-side faults during preprocessing: each fails only the video it touches, with a typed error that names no
/// server path, and the same pipeline keeps serving.
/// </summary>
public sealed class FaultInjectionTests
{
    [Fact]
    public async Task Ffmpeg_killed_mid_decode_fails_that_video_only()
    {
        // 720p at 25 fps: decoding up to its last selected frame takes long enough to be caught in the act.
        var path = TestVideos.TestSrc("kill-720p-20s.mp4", 1280, 720, 25, 20);
        using var harness = new Harness(o => o.MaxFrames = 40);
        var decoding = harness.RunAsync(new VideoSource.Bytes(await File.ReadAllBytesAsync(path)));
        var killed = await KillFirstFfmpegAsync(decoding);
        Assert.True(killed, "ffmpeg finished before it could be killed");

        var error = await Assert.ThrowsAsync<VideoQaException>(() => decoding);
        Assert.Equal(ErrorKind.Unavailable, error.Kind);
        Assert.Equal("video_decoder_failed", error.Code);
        Assert.DoesNotContain(harness.Preprocessor.SpoolDirectory, error.Message);
        Assert.Contains("ffmpeg exit code 137", error.InnerException?.Message);

        var next = await harness.RunAsync(new VideoSource.Bytes(await File.ReadAllBytesAsync(TestVideos.TestSrc("after-kill.mp4", 64, 48, 4, 2))));
        Assert.True(next.GridT > 0);
        harness.AssertClean();
    }

    [Fact]
    public async Task An_unwritable_temp_directory_fails_uploads_with_a_typed_error_and_server_files_still_work()
    {
        var sample = TestVideos.TestSrc("spool-fault.mp4", 64, 48, 4, 2);
        var blocker = Path.Combine(TestVideos.Directory, "not-a-directory");
        await File.WriteAllTextAsync(blocker, "a file where the temp directory should be");
        var options = new MediaOptions { TempDirectory = blocker, ServerPathRoot = TestVideos.Directory };
        using var broken = new VideoPreprocessor(Microsoft.Extensions.Options.Options.Create(options));

        var bytes = await File.ReadAllBytesAsync(sample);
        var error = await Assert.ThrowsAsync<VideoQaException>(() => broken.PreprocessAsync(new VideoSource.Bytes(bytes), null, default));
        Assert.Equal(ErrorKind.Unavailable, error.Kind);
        Assert.Equal("video_spool_failed", error.Code);
        Assert.DoesNotContain(blocker, error.Message);
        Assert.IsAssignableFrom<IOException>(error.InnerException);

        var served = await broken.PreprocessAsync(new VideoSource.ServerPath(Path.GetFileName(sample)), null, default);
        Assert.True(served.GridT > 0);
    }

    /// <summary>Waits for this process's ffmpeg child (not ffprobe) and SIGKILLs it; false if the decode ended first.</summary>
    private static async Task<bool> KillFirstFfmpegAsync(Task decoding)
    {
        var deadline = Stopwatch.StartNew();
        while (!decoding.IsCompleted && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            foreach (var child in ChildProcesses.Media())
            {
                var fields = child.Split(' ');
                if (fields[1] == "ffmpeg" && fields[3] != "Z")
                {
                    // Let it deliver some frames first, so the kill lands mid-decode.
                    await Task.Delay(150);
                    using var process = Process.GetProcessById(int.Parse(fields[0]));
                    process.Kill();
                    return true;
                }
            }

            await Task.Delay(5);
        }

        return false;
    }
}
