using VideoAutoR1.Model;

namespace VideoAutoR1.Model.Tests;

internal static class TestConfigs
{
    /// <summary>A small config with distinct sizes everywhere, so a swapped dimension shows up.</summary>
    public static Qwen2_5_VLConfig Small(bool tie = false) => new()
    {
        Text = new Qwen2_5_VLTextConfig
        {
            VocabSize = 50,
            HiddenSize = 24,
            IntermediateSize = 40,
            NumHiddenLayers = 1,
            NumAttentionHeads = 4,
            NumKeyValueHeads = 2,
            HeadDim = 6,
            RmsNormEps = 1e-6,
            RopeTheta = 10000,
            MropeSection = [1, 1, 1],
            MaxPositionEmbeddings = 256,
        },
        Vision = new Qwen2_5_VLVisionConfig
        {
            Depth = 1,
            HiddenSize = 16,
            NumHeads = 2,
            IntermediateSize = 20,
            OutHiddenSize = 24,
            InChannels = 3,
            PatchSize = 14,
            TemporalPatchSize = 2,
            SpatialMergeSize = 2,
            WindowSize = 56,
            FullattBlockIndexes = [0],
            TokensPerSecond = 2,
        },
        TieWordEmbeddings = tie,
        ImageTokenId = 45,
        VideoTokenId = 46,
        VisionStartTokenId = 47,
        VisionEndTokenId = 48,
        EosTokenIds = [49],
    };
}
