using System.Text.Json;
using VideoAutoR1.Engine;
using VideoAutoR1.Engine.Tests;
using VideoAutoR1.Model;

namespace VideoAutoR1.Cli.Tests;

/// <summary>A tiny random Qwen2.5-VL (the default model's geometry, real tokenizer) and a testsrc clip, made once.</summary>
public sealed class AskFixture : IDisposable
{
    private readonly TempDir _temp = new();

    public AskFixture()
    {
        ModelDirectory = _temp["tiny-model"];
        using (var model = Qwen2_5_VLForConditionalGeneration.CreateRandom(SmallModel.Config, seed: 3, new ModelLoadOptions()))
        {
            SmallModel.SaveWithTokenizer(model, ModelDirectory);
        }

        VideoPath = _temp["clip.mp4"];
        Cli.MakeTestVideo(VideoPath);
        TextFilePath = _temp["notes.txt"];
        File.WriteAllText(TextFilePath, "not a video\n");
    }

    public string ModelDirectory { get; }

    public string VideoPath { get; }

    public string TextFilePath { get; }

    public void Dispose() => _temp.Dispose();
}

/// <summary>
/// <c>videoautor1 ask</c>: bad input is one line on stderr with a non-zero exit; a real run on a tiny random model
/// prints the engine's AnswerResult as snake_case JSON. The weights are untrained, so only the shape and the internal
/// consistency of the result are checked, never the answer itself.
/// </summary>
public sealed class AskCommandTests(AskFixture fixture) : IClassFixture<AskFixture>
{
    [Fact]
    public void Happy_path_prints_the_answer_result_as_json()
    {
        var result = Cli.Run("ask", "--model", fixture.ModelDirectory, "--video", fixture.VideoPath,
            "--question", "What color is the ball?", "--options", "A. red", "--options", "B. blue",
            "--max-new-tokens", "8", "--seed", "1");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.Matches("^[0-9a-f]{32}$", root.GetProperty("request_id").GetString());
        Assert.Equal(Path.GetFileName(fixture.ModelDirectory), root.GetProperty("model_id").GetString());
        Assert.Contains(root.GetProperty("finish_reason").GetString(), new[] { "early_exit", "stop", "length" });
        Assert.Equal(JsonValueKind.String, root.GetProperty("text").ValueKind);
        Assert.Contains(root.GetProperty("thought").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });

        var tokens = root.GetProperty("tokens");
        var generated = tokens.GetProperty("generated").GetInt32();
        Assert.InRange(generated, 1, 8);
        Assert.True(tokens.GetProperty("visual").GetInt32() > 0, "the clip's video tokens are counted");
        Assert.True(tokens.GetProperty("prompt").GetInt32() > tokens.GetProperty("visual").GetInt32(), "the prompt holds the video plus text");

        var timings = root.GetProperty("timings");
        foreach (var name in new[] { "queue", "media", "vision", "prefill", "total" })
        {
            Assert.True(timings.GetProperty(name).GetDouble() >= 0, $"timings.{name}");
        }

        Assert.True(timings.GetProperty("total").GetDouble() >= timings.GetProperty("prefill").GetDouble());
        foreach (var name in new[] { "a1", "a1_log_confidence", "rationale", "a2", "final_answer", "a1_is_fallback", "timings" })
        {
            Assert.True(root.TryGetProperty(name, out _), $"field {name} missing");
        }
    }

    [Fact]
    public void Missing_video_is_one_line_error() =>
        Cli.Run("ask", "--model", fixture.ModelDirectory, "--question", "q").AssertOneLineError("--video");

    [Fact]
    public void Nonexistent_video_is_one_line_error() =>
        Cli.Run("ask", "--model", fixture.ModelDirectory, "--video", "/nonexistent/clip.mp4", "--question", "q").AssertOneLineError("/nonexistent/clip.mp4");

    [Fact]
    public void Threshold_outside_0_1_is_one_line_error() =>
        Cli.Run("ask", "--model", fixture.ModelDirectory, "--video", fixture.VideoPath, "--question", "q", "--threshold", "1.5").AssertOneLineError("threshold");

    [Fact]
    public void Unknown_mode_is_one_line_error() =>
        Cli.Run("ask", "--model", fixture.ModelDirectory, "--video", fixture.VideoPath, "--question", "q", "--mode", "bogus").AssertOneLineError("--mode");

    [Fact]
    public void Misspelled_option_is_one_line_error_not_ignored() =>
        Cli.Run("ask", "--model", fixture.ModelDirectory, "--video", fixture.VideoPath, "--question", "q", "--max-new-token", "8").AssertOneLineError("unknown option --max-new-token");

    [Fact]
    public void Missing_model_directory_is_one_line_error() =>
        Cli.Run("ask", "--model", "/nonexistent/model", "--video", fixture.VideoPath, "--question", "q").AssertOneLineError("/nonexistent/model");

    [Fact]
    public void File_that_is_not_a_video_is_one_line_error_naming_the_code() =>
        Cli.Run("ask", "--model", fixture.ModelDirectory, "--video", fixture.TextFilePath, "--question", "q", "--max-new-tokens", "4").AssertOneLineError("video_corrupt");
}
