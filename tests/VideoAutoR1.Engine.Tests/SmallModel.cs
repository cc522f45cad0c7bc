using VideoAutoR1.Model;

namespace VideoAutoR1.Engine.Tests;

/// <summary>
/// A test-sized Qwen2.5-VL: tiny decoder, the real Qwen vocabulary and special ids, Qwen2.5-VL's patch 14 / merge 2 /
/// temporal patch 2 vision layout. Tests build random or briefly trained models of it and serve them with the full
/// shipped tokenizer.
/// </summary>
public static class SmallModel
{
    public static Qwen2_5_VLConfig Config => new()
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

    /// <summary>Writes a directory the engine can serve: the model's config and weights plus the full Qwen tokenizer files.</summary>
    public static void SaveWithTokenizer(IVideoLanguageModel model, string directory)
    {
        model.Save(directory);
        foreach (var file in Directory.EnumerateFiles(DefaultModel.TokenizerSourceDirectory))
        {
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        }
    }
}
