using VideoAutoR1.Core;
using VideoAutoR1.Core.Tokenization;
using VideoAutoR1.Engine;
using VideoAutoR1.Engine.Tests;
using VideoAutoR1.Media;
using VideoAutoR1.Model;

namespace VideoAutoR1.Service.Tests;

/// <summary>
/// A servable model directory whose decisions are known: a small model of either family trained here on the sample
/// video to answer <see cref="Confident"/> at once (early exit) and to think on <see cref="Thinks"/>, saved with the
/// shipped Qwen tokenizer. The servers that need real early exits and real think decisions are built on it.
/// </summary>
internal static class TemplateModelDirectory
{
    public static readonly QuestionSpec Confident = new("What color is the ball?", ["red", "blue", "green", "yellow"], TaskKind.MultipleChoice);

    public static readonly QuestionSpec Thinks = new("How many people enter the room?", ["one", "two", "three", "four"], TaskKind.MultipleChoice);

    /// <summary>The sample video as <paramref name="preprocessing"/> prepares it, with the test servers' frame cap.</summary>
    public static PreprocessedVideo SampleVideo(VisionPreprocessing preprocessing)
    {
        using var media = new VideoPreprocessor(Microsoft.Extensions.Options.Options.Create(new MediaOptions { MaxFrames = VideoQaServer.MediaMaxFrames }));
        return media.PreprocessAsync(new VideoSource.Bytes(File.ReadAllBytes(RepoPaths.SampleVideo)), null, preprocessing, CancellationToken.None)
            .GetAwaiter().GetResult();
    }

    /// <summary>Trains <paramref name="model"/> on both questions about <paramref name="video"/> and writes it to <paramref name="directory"/>.</summary>
    public static void TrainAndSave(IVideoLanguageModel model, PreprocessedVideo video, string directory)
    {
        TemplateTrainer.Train(
            model,
            QwenTokenizer.Load(DefaultModel.TokenizerSourceDirectory),
            [
                new TemplateExample(Confident, video, "\\boxed{B}<think>The ball is blue.</think>\\boxed{B}"),
                new TemplateExample(Thinks, video, "\\boxed{Let's analyze the problem step by step.}<think>Two people enter.</think>\\boxed{B}"),
            ],
            steps: 80,
            learningRate: 1e-2);
        SmallModel.SaveWithTokenizer(model, directory);
    }
}
