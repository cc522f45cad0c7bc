using System.Diagnostics;
using Microsoft.Extensions.Options;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Engine.Tests;
using VideoAutoR1.Media;
using VideoAutoR1.Model;

namespace VideoAutoR1.Eval.Tests;

/// <summary>
/// Two clips rendered by the real ffmpeg and a tiny Qwen2.5-VL trained (once per run) on the engine's own prompts to
/// answer with the template at three confidence levels: sure (about 1), unsure (two first answers seen equally
/// often, about one half) and the fallback first answer (no confidence, always thinks).
/// </summary>
public sealed class TrainedModelFixture : IDisposable
{
    public const string ModelId = "eval-test-model";

    public static readonly QuestionSpec Sure = new("What color is the ball?", ["red", "blue", "green", "yellow"], TaskKind.MultipleChoice);
    public static readonly QuestionSpec Fallback = new("How many people enter the room?", ["one", "two", "three", "four"], TaskKind.MultipleChoice);
    public static readonly QuestionSpec Unsure = new("Which shape appears last?", ["circle", "square", "star", "triangle"], TaskKind.MultipleChoice);

    private readonly TempDir _dir = new();

    public TrainedModelFixture()
    {
        SmallVideoPath = Render("small.mp4", "testsrc=size=112x112:rate=10", seconds: 2);
        WideVideoPath = Render("wide.mp4", "testsrc2=size=168x112:rate=10", seconds: 3);
        PreprocessedVideo video;
        using (var media = new VideoPreprocessor(Options.Create(new MediaOptions())))
        {
            video = media.PreprocessAsync(new VideoSource.Bytes(File.ReadAllBytes(SmallVideoPath)), null, CancellationToken.None).GetAwaiter().GetResult();
        }

        ModelDirectory = _dir["model"];
        var tokenizer = Core.Tokenization.QwenTokenizer.Load(DefaultModel.TokenizerSourceDirectory);
        using var model = Qwen2_5_VLForConditionalGeneration.CreateRandom(SmallModel.Config, seed: 11, new ModelLoadOptions());
        TemplateTrainer.Train(
            model,
            tokenizer,
            [
                new TemplateExample(Sure, video, "\\boxed{B}<think>The ball is blue.</think>\\boxed{B}"),
                new TemplateExample(Fallback, video, "\\boxed{Let's analyze the problem step by step.}<think>Two enter, then one more.</think>\\boxed{C}"),
                new TemplateExample(Unsure, video, "\\boxed{A}<think>Unsure.</think>\\boxed{D}"),
                new TemplateExample(Unsure, video, "\\boxed{D}<think>Unsure.</think>\\boxed{D}"),
            ],
            steps: 80,
            learningRate: 1e-2);
        SmallModel.SaveWithTokenizer(model, ModelDirectory);
    }

    public string ModelDirectory { get; }

    public string SmallVideoPath { get; }

    public string WideVideoPath { get; }

    /// <summary>The engine as eval starts it, on the trained model, with test-sized limits.</summary>
    public Task<EvalEngine> StartEngineAsync() =>
        EvalEngine.StartAsync(
            new Dictionary<string, string?>
            {
                ["Engine:ModelDirectory"] = ModelDirectory,
                ["Engine:ModelId"] = ModelId,
                ["Engine:MaxBatchSize"] = "4",
                ["Engine:MaxTokensPerSequence"] = "1024",
                ["Engine:MaxPrefillTokensPerStep"] = "4096",
                ["Engine:DefaultMaxNewTokens"] = "48",
            },
            CancellationToken.None);

    public void Dispose() => _dir.Dispose();

    private string Render(string name, string source, int seconds)
    {
        var path = _dir[name];
        using var ffmpeg = Process.Start(new ProcessStartInfo(
            "ffmpeg",
            ["-v", "error", "-f", "lavfi", "-i", source, "-t", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "-pix_fmt", "yuv420p", "-c:v", "libx264", path])
        {
            RedirectStandardError = true,
        })!;
        var errors = ffmpeg.StandardError.ReadToEnd();
        ffmpeg.WaitForExit();
        Assert.True(ffmpeg.ExitCode == 0, $"ffmpeg failed: {errors}");
        return path;
    }
}
