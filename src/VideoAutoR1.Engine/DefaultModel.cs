using VideoAutoR1.Model;

namespace VideoAutoR1.Engine;

/// <summary>
/// The model the service and the CLI use when none is configured. No real VideoAuto-R1 weights are available here,
/// so this is a small model with UNTRAINED, seeded random weights: its answers are meaningless. It exists so the whole
/// pipeline (media, prompt, vision tower, M-RoPE, batching, early-exit plumbing) runs end to end out of the box.
/// Its geometry is the real one where it matters to the pipeline: the real Qwen tokenizer and vocabulary size
/// (151936), the real special-token ids, and Qwen2.5-VL's patch 14 / merge 2 / temporal patch 2 vision layout.
/// </summary>
public static class DefaultModel
{
    public const string ModelId = "videoautor1-default-untrained";

    /// <summary>Bump when the config or seed changes, so stale caches are rebuilt.</summary>
    private const int Version = 1;
    private const long Seed = 20260109;

    private static readonly SemaphoreSlim Creating = new(1, 1);

    /// <summary>The tokenizer files shipped next to this assembly (copied from the repo's tokenizer assets).</summary>
    public static string TokenizerSourceDirectory => Path.Combine(AppContext.BaseDirectory, "qwen-tokenizer");

    /// <summary>$VIDEOAUTOR1_CACHE/default-model, else ~/.cache/videoautor1/default-model.</summary>
    public static string CacheDirectory =>
        Path.Combine(
            Environment.GetEnvironmentVariable("VIDEOAUTOR1_CACHE") is { Length: > 0 } cache
                ? cache
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "videoautor1"),
            "default-model");

    /// <summary>
    /// Returns the default model's directory, writing it first if absent (a few seconds). Torch work runs on the
    /// calling thread, so the engine calls this from its own thread.
    /// </summary>
    public static async Task<string> EnsureAsync(CancellationToken cancellationToken = default)
    {
        var directory = CacheDirectory;
        var marker = Path.Combine(directory, $".complete-v{Version}");
        if (File.Exists(marker))
        {
            return directory;
        }

        await Creating.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (File.Exists(marker))
            {
                return directory;
            }

            // Build beside the target and swap in, so a crash or a concurrent process never sees half a model.
            var staging = $"{directory}.tmp-{Environment.ProcessId}";
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            using (var model = Qwen2_5_VLForConditionalGeneration.CreateRandom(CreateConfig(), Seed, new ModelLoadOptions()))
            {
                SaveWithTokenizer(model, staging);
            }

            await File.WriteAllTextAsync(
                Path.Combine(staging, ".complete-v" + Version),
                "UNTRAINED random weights (seed " + Seed + "); answers are meaningless.\n",
                cancellationToken).ConfigureAwait(false);
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(directory)!);
            Directory.Move(staging, directory);
            return directory;
        }
        finally
        {
            Creating.Release();
        }
    }

    /// <summary>
    /// Writes a directory the engine can serve: the model's config and weights plus the Qwen tokenizer files shipped
    /// beside this assembly (every model built on the Qwen vocabulary, as <see cref="CreateConfig"/> is, shares it).
    /// </summary>
    public static void SaveWithTokenizer(IVideoLanguageModel model, string directory)
    {
        model.Save(directory);
        foreach (var file in Directory.EnumerateFiles(TokenizerSourceDirectory))
        {
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        }
    }

    /// <summary>Small dimensions, real vocabulary, real special ids, real Qwen2.5-VL patch geometry.</summary>
    public static Qwen2_5_VLConfig CreateConfig() => new()
    {
        Text = new Qwen2_5_VLTextConfig
        {
            VocabSize = 151936,
            HiddenSize = 64,
            IntermediateSize = 128,
            NumHiddenLayers = 2,
            NumAttentionHeads = 4,
            NumKeyValueHeads = 2,
            HeadDim = 16,
            RmsNormEps = 1e-6,
            RopeTheta = 1_000_000,
            MropeSection = [2, 3, 3],
            MaxPositionEmbeddings = 32768,
        },
        Vision = new Qwen2_5_VLVisionConfig
        {
            Depth = 2,
            HiddenSize = 64,
            NumHeads = 2,
            IntermediateSize = 128,
            OutHiddenSize = 64,
            InChannels = 3,
            PatchSize = 14,
            TemporalPatchSize = 2,
            SpatialMergeSize = 2,
            WindowSize = 112,
            FullattBlockIndexes = [1],
            TokensPerSecond = 2,
        },
        TieWordEmbeddings = true,
        ImageTokenId = 151655,
        VideoTokenId = 151656,
        VisionStartTokenId = 151652,
        VisionEndTokenId = 151653,
        EosTokenIds = [151645, 151643],
        BosTokenId = 151643,
        PadTokenId = 151643,
    };
}
