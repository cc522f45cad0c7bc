namespace VideoAutoR1.Cli.Tests;

/// <summary><c>videoautor1 video</c> on a real ffmpeg-encoded clip and on a file that only pretends to be one.</summary>
public sealed class VideoCommandTests
{
    [Fact]
    public void Probe_prints_codec_size_and_frame_count()
    {
        using var temp = new TempDir();
        Cli.MakeTestVideo(temp["clip.mp4"], "testsrc=size=160x120:rate=10", seconds: 2);

        var result = Cli.Run("video", temp["clip.mp4"], "--probe");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("h264 160x120 rotation 0 10 fps 20 frames 2 s", Assert.Single(result.StdoutLines));
    }

    [Fact]
    public void Preprocess_prints_the_grid_the_model_would_see()
    {
        using var temp = new TempDir();
        Cli.MakeTestVideo(temp["clip.mp4"], "testsrc=size=112x112:rate=10", seconds: 2);

        var result = Cli.Run("video", temp["clip.mp4"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("grid ", result.StdoutLines[0]);
        Assert.Contains(result.StdoutLines, line => line.StartsWith("frame times (s): ", StringComparison.Ordinal));
    }

    [Fact]
    public void Text_file_named_mp4_is_one_line_error_naming_the_code()
    {
        using var temp = new TempDir();
        File.WriteAllText(temp["fake.mp4"], "this is not a video\n");

        Cli.Run("video", temp["fake.mp4"], "--probe").AssertOneLineError("video_corrupt");
        Cli.Run("video", temp["fake.mp4"]).AssertOneLineError("video_corrupt");
    }

    [Fact]
    public void Missing_file_is_one_line_error() =>
        Cli.Run("video", "/nonexistent/clip.mp4", "--probe").AssertOneLineError("video_path_not_found");
}
