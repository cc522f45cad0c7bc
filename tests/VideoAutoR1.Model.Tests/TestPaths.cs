using TorchSharp;
using VideoAutoR1.Model;

namespace VideoAutoR1.Model.Tests;

internal static class TestPaths
{
    public const string FixtureEnvironmentVariable = "VIDEOAUTOR1_PARITY_FIXTURES";

    /// <summary>The repository's own fixture sets of both families (copied to the test output directory).</summary>
    public static string RepoFixtures => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string TinyA => Path.Combine(RepoFixtures, "qwen2_5_vl", "tiny-a");

    public static string TinyQ3a => Path.Combine(RepoFixtures, "qwen3_vl", "tiny-q3a");

    public static string TinyAModel => Path.Combine(TinyA, "model");

    public static Qwen2_5_VLForConditionalGeneration LoadTinyA(torch.ScalarType dtype = torch.ScalarType.Float32) =>
        Qwen2_5_VLForConditionalGeneration.Load(TinyAModel, new ModelLoadOptions(dtype));

    /// <summary>A fresh empty directory under the temp folder, removed by the caller.</summary>
    public static string NewTempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "videoautor1-model-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}

/// <summary>Creates and removes a temporary directory.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = TestPaths.NewTempDir();

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
