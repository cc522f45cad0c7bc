namespace VideoAutoR1.Cli.Tests;

/// <summary>Every subcommand documents itself, and a wrong command line is one line and exit 2 at every level.</summary>
public sealed class HelpTests
{
    public static TheoryData<string> Commands => ["ask", "parity", "tokenize", "video", "eval", "calibrate", "device-check"];

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_subcommand_has_help_listing_its_options(string command)
    {
        var result = Cli.Run(command, "--help");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"videoautor1 {command}", result.Stdout);
        Assert.Contains("--help", result.Stdout);
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public void No_command_or_an_unknown_one_lists_the_commands_with_exit_2()
    {
        foreach (var args in new[] { Array.Empty<string>(), ["bogus"] })
        {
            var result = Cli.Run(args);
            Assert.True(result.ExitCode == 2, result.ToString());
            foreach (var command in Commands)
            {
                Assert.Contains(command, result.Stderr);
            }
        }
    }

    [Theory]
    [InlineData("--fps must be a number, got 'fast'", "video", "clip.mp4", "--fps", "fast")]
    [InlineData("--tokens must be an integer, got '1.5'", "device-check", "--tokens", "1.5")]
    [InlineData("--mode must be auto, think or direct, got 'sometimes'", "eval", "--data", "d.jsonl", "--out", "r.jsonl", "--mode", "sometimes")]
    [InlineData("--kernel must be float or uint8, got 'lanczos'", "video", "clip.mp4", "--kernel", "lanczos")]
    [InlineData("unknown option --frames", "video", "clip.mp4", "--frames", "8")]
    [InlineData("unexpected argument 'extra'", "device-check", "extra")]
    public void A_bad_command_line_is_a_one_line_usage_error_before_any_work(string message, params string[] args)
    {
        var result = Cli.Run(args);
        result.AssertOneLineError($"videoautor1 {args[0]}: ", message);
        Assert.Equal(2, result.ExitCode);
    }
}
