using VideoAutoR1.Engine.Tests;
using VideoAutoR1.Model;

namespace VideoAutoR1.Service.Tests;

/// <summary>
/// The test servers' model: <see cref="SmallModel"/> with seeded random weights and the full Qwen tokenizer, written
/// once per test process. It never closes a box, so every request decodes its whole token budget: the limits, faults,
/// cancellation and streaming tests rely on that, and on the served default model's answers not mattering.
/// </summary>
internal static class RandomModelDirectory
{
    private static readonly Lazy<string> Created = new(() =>
    {
        var directory = Path.Combine(Path.GetTempPath(), $"videoautor1-random-model-{Environment.ProcessId}");
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        using var model = Qwen2_5_VLForConditionalGeneration.CreateRandom(SmallModel.Config, seed: 20260109, new ModelLoadOptions());
        SmallModel.SaveWithTokenizer(model, directory);
        return directory;
    });

    public static string Location => Created.Value;
}
