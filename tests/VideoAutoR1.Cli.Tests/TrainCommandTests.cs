namespace VideoAutoR1.Cli.Tests;

/// <summary>Bad input to <c>train</c> and <c>world</c>: one clear line, a non-zero exit, before any work starts.</summary>
public sealed class TrainCommandTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void An_unknown_option_is_a_usage_error() =>
        Cli.Run("train", "--out", _temp["run"], "--warmup-step", "3").AssertOneLineError("unknown option --warmup-step");

    [Fact]
    public void An_out_of_range_option_is_a_usage_error()
    {
        var result = Cli.Run("train", "--out", _temp["run"], "--rollouts", "1");
        result.AssertOneLineError("Rollouts");
        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public void An_unwritable_output_directory_is_refused()
    {
        File.WriteAllText(_temp["file"], "");
        var result = Cli.Run("train", "--out", Path.Combine(_temp["file"], "run"));
        result.AssertOneLineError();
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public void A_missing_ffmpeg_is_named()
    {
        var result = Cli.Run("train", "--out", _temp["run"], "--ffmpeg", _temp["no-such-ffmpeg"]);
        result.AssertOneLineError("ffmpeg_missing");
        Assert.Equal(1, result.ExitCode);
        Assert.False(Directory.Exists(Path.Combine(_temp["run"], "model")));
    }

    [Fact]
    public void World_refuses_an_unknown_family_and_split()
    {
        Cli.Run("world", "--out", _temp["w"], "--families", "colour,shapes").AssertOneLineError("unknown family 'shapes'");
        Cli.Run("world", "--out", _temp["w"], "--split", "dev").AssertOneLineError("--split");
    }
}
