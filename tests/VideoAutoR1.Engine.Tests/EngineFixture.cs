using System.Diagnostics;
using Microsoft.Extensions.Options;
using VideoAutoR1.Core;
using VideoAutoR1.Core.Tokenization;
using VideoAutoR1.Media;
using VideoAutoR1.Model;

namespace VideoAutoR1.Engine.Tests;

/// <summary>
/// Run alone, after the parallel collections: <see cref="LeakTests"/> bounds the process's RSS, which any test running
/// beside it grows too (seen once: +77 MiB with flat tensor counts while another class ran in parallel).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EngineCollection : ICollectionFixture<EngineFixture>
{
    public const string Name = "engine";
}

/// <summary>
/// Shared by every engine test (trained once per run): two real mp4s made by ffmpeg and preprocessed by the real media
/// pipeline, a tiny Qwen2.5-VL trained on the engine's own prompts to emit the answer-think-answer template, and an
/// untrained random model of the same shape for tests that only need long, deterministic greedy output.
/// </summary>
public sealed class EngineFixture : IDisposable
{
    public static readonly string[] Colors = ["red", "blue", "green", "yellow"];

    /// <summary>Trained: confident <c>\boxed{B}</c>, early exit under τ = 0.97.</summary>
    public static readonly QuestionSpec Confident = new("What color is the ball?", Colors, TaskKind.MultipleChoice);

    /// <summary>Trained: the fallback first answer, then a rationale and <c>\boxed{C}</c>.</summary>
    public static readonly QuestionSpec Fallback = new("How many people enter the room?", ["one", "two", "three", "four"], TaskKind.MultipleChoice);

    /// <summary>Trained on two first answers (A and D) equally often: confidence about one half, then <c>\boxed{D}</c>.</summary>
    public static readonly QuestionSpec Unsure = new("Which shape appears last?", ["circle", "square", "star", "triangle"], TaskKind.MultipleChoice);

    public const string ConfidentRationale = "The ball is blue.";
    public const string FallbackRationale = "Two people enter, then one more.";

    private readonly string _root = Directory.CreateTempSubdirectory("videoautor1-engine-tests-").FullName;

    public EngineFixture()
    {
        TokenizerDirectory = DefaultModel.TokenizerSourceDirectory;
        Tokenizer = QwenTokenizer.Load(TokenizerDirectory);
        SmallVideoPath = MakeVideo("small.mp4", "testsrc=size=112x112:rate=10", seconds: 2);
        WideVideoPath = MakeVideo("wide.mp4", "testsrc2=size=168x112:rate=10", seconds: 3);
        using (var media = new VideoPreprocessor(Options.Create(new MediaOptions())))
        {
            SmallVideo = media.PreprocessAsync(Source(SmallVideoPath), null, CancellationToken.None).GetAwaiter().GetResult();
            WideVideo = media.PreprocessAsync(Source(WideVideoPath), null, CancellationToken.None).GetAwaiter().GetResult();
        }

        var clock = Stopwatch.StartNew();
        TrainedModelDirectory = Path.Combine(_root, "trained");
        using (var model = Qwen2_5_VLForConditionalGeneration.CreateRandom(Config, seed: 11, new ModelLoadOptions()))
        {
            var examples = new[]
            {
                new TemplateExample(Confident, SmallVideo, $"\\boxed{{B}}<think>{ConfidentRationale}</think>\\boxed{{B}}"),
                new TemplateExample(Fallback, SmallVideo, $"\\boxed{{Let's analyze the problem step by step.}}<think>{FallbackRationale}</think>\\boxed{{C}}"),
                new TemplateExample(Unsure, SmallVideo, "\\boxed{A}<think>Unsure.</think>\\boxed{D}"),
                new TemplateExample(Unsure, SmallVideo, "\\boxed{D}<think>Unsure.</think>\\boxed{D}"),
            };
            FinalTrainingLoss = TemplateTrainer.Train(model, Tokenizer, examples, steps: 80, learningRate: 1e-2);
            SmallModel.SaveWithTokenizer(model, TrainedModelDirectory);
        }

        TrainingSeconds = clock.Elapsed.TotalSeconds;
        RandomModelDirectory = Path.Combine(_root, "random");
        using (var model = Qwen2_5_VLForConditionalGeneration.CreateRandom(Config, seed: 5, new ModelLoadOptions()))
        {
            SmallModel.SaveWithTokenizer(model, RandomModelDirectory);
        }
    }

    /// <summary>Tiny decoder, the real vocabulary and Qwen2.5-VL's patch geometry (the default model's config).</summary>
    public static Qwen2_5_VLConfig Config => SmallModel.Config;

    public string TokenizerDirectory { get; }

    public QwenTokenizer Tokenizer { get; }

    public string SmallVideoPath { get; }

    public string WideVideoPath { get; }

    public PreprocessedVideo SmallVideo { get; }

    public PreprocessedVideo WideVideo { get; }

    public string TrainedModelDirectory { get; }

    public string RandomModelDirectory { get; }

    public double FinalTrainingLoss { get; }

    public double TrainingSeconds { get; }

    public static VideoSource Source(string path) => new VideoSource.Bytes(File.ReadAllBytes(path), Path.GetFileName(path));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string MakeVideo(string name, string source, int seconds)
    {
        var path = Path.Combine(_root, name);
        using var ffmpeg = Process.Start(new ProcessStartInfo(
            "ffmpeg",
            ["-v", "error", "-f", "lavfi", "-i", source, "-t", seconds.ToString(), "-pix_fmt", "yuv420p", "-c:v", "libx264", path])
        {
            RedirectStandardError = true,
        })!;
        var errors = ffmpeg.StandardError.ReadToEnd();
        ffmpeg.WaitForExit();
        Assert.True(ffmpeg.ExitCode == 0, $"ffmpeg failed: {errors}");
        return path;
    }
}
