using System.Text.Json;
using System.Text.Json.Nodes;
using VideoAutoR1.Core.Tokenization;
using VideoAutoR1.Media;
using VideoAutoR1.Model;

namespace VideoAutoR1.Training;

/// <summary>
/// The shape of the shipped VideoAuto-R1 miniature: a real Qwen2.5-VL (same modules, config, checkpoint layout as a
/// 7B) with small widths, Qwen2.5-VL's patch 14 / merge 2 / temporal patch 2 vision geometry, and a video budget
/// small enough for a CPU (2 fps, at most 8 tokens per frame pair, at most 32 frames). One owner of these sizes.
/// </summary>
public sealed record MiniModelRecipe
{
    public int HiddenSize { get; init; } = 96;
    public int IntermediateSize { get; init; } = 256;
    public int Layers { get; init; } = 3;
    public int Heads { get; init; } = 4;
    public int KeyValueHeads { get; init; } = 2;
    public int VisionDepth { get; init; } = 2;
    public int VisionHiddenSize { get; init; } = 48;
    public int VisionHeads { get; init; } = 2;
    public int VisionIntermediateSize { get; init; } = 96;

    /// <summary>Frames sampled per second of video, as qwen-vl-utils' FPS.</summary>
    public double Fps { get; init; } = 2.0;

    /// <summary>Pixels per frame after smart_resize: 4 to 8 tokens of 28x28.</summary>
    public int MinPixels { get; init; } = 4 * 28 * 28;

    public int MaxPixels { get; init; } = 8 * 28 * 28;

    public int MaxFrames { get; init; } = 32;

    /// <summary>A test-sized recipe: the same layout, the smallest widths.</summary>
    public static MiniModelRecipe Tiny { get; } = new()
    {
        HiddenSize = 32,
        IntermediateSize = 64,
        Layers = 1,
        Heads = 2,
        KeyValueHeads = 1,
        VisionDepth = 1,
        VisionHiddenSize = 32,
        VisionHeads = 1,
        VisionIntermediateSize = 32,
    };

    public Qwen2_5_VLConfig CreateConfig(QwenTokenizer tokenizer)
    {
        var special = tokenizer.Special;
        return new Qwen2_5_VLConfig
        {
            Text = new Qwen2_5_VLTextConfig
            {
                // A multiple of 64, as checkpoints pad their vocabularies; the extra rows are never produced by the tokenizer.
                VocabSize = (tokenizer.VocabularySize + 63) / 64 * 64,
                HiddenSize = HiddenSize,
                IntermediateSize = IntermediateSize,
                NumHiddenLayers = Layers,
                NumAttentionHeads = Heads,
                NumKeyValueHeads = KeyValueHeads,
                HeadDim = HiddenSize / Heads,
                RmsNormEps = 1e-6,
                RopeTheta = 1_000_000,
                MropeSection = MropeSection(HiddenSize / Heads),
                MaxPositionEmbeddings = 4096,
            },
            Vision = new Qwen2_5_VLVisionConfig
            {
                Depth = VisionDepth,
                HiddenSize = VisionHiddenSize,
                NumHeads = VisionHeads,
                IntermediateSize = VisionIntermediateSize,
                OutHiddenSize = HiddenSize,
                InChannels = 3,
                PatchSize = 14,
                TemporalPatchSize = 2,
                SpatialMergeSize = 2,
                WindowSize = 112,
                FullattBlockIndexes = [VisionDepth - 1],
                TokensPerSecond = 2,
            },
            TieWordEmbeddings = true,
            ImageTokenId = special.ImagePad,
            VideoTokenId = special.VideoPad,
            VisionStartTokenId = special.VisionStart,
            VisionEndTokenId = special.VisionEnd,
            EosTokenIds = [special.ImEnd, special.EndOfText],
            BosTokenId = special.EndOfText,
            PadTokenId = special.EndOfText,
        };
    }

    /// <summary>
    /// Writes the image processor config (<c>preprocessor_config.json</c>: patch geometry, CLIP normalisation) and the
    /// video processor config (<c>video_preprocessor_config.json</c>: the same plus the video budget the engine honours).
    /// </summary>
    public void WriteProcessorConfigs(string directory)
    {
        var image = new JsonObject
        {
            ["image_processor_type"] = "Qwen2VLImageProcessor",
            ["processor_class"] = "Qwen2_5_VLProcessor",
            ["patch_size"] = 14,
            ["temporal_patch_size"] = 2,
            ["merge_size"] = 2,
            ["image_mean"] = new JsonArray([.. VisionPreprocessing.Qwen2_5_VL.Mean.Select(v => (JsonNode)v)]),
            ["image_std"] = new JsonArray([.. VisionPreprocessing.Qwen2_5_VL.Std.Select(v => (JsonNode)v)]),
            ["min_pixels"] = MinPixels,
            ["max_pixels"] = MaxPixels,
        };
        var options = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(Path.Combine(directory, VisionPreprocessing.FileName), image.ToJsonString(options) + "\n");
        var video = image.DeepClone().AsObject();
        video.Remove("image_processor_type");
        video["video_processor_type"] = "Qwen2VLVideoProcessor";
        video["fps"] = Fps;
        video["min_frames"] = 4;
        video["max_frames"] = MaxFrames;
        File.WriteAllText(Path.Combine(directory, VisionPreprocessing.VideoFileName), video.ToJsonString(options) + "\n");
    }

    /// <summary>Qwen2.5-VL's [16, 24, 24] of 128 scaled to this head_dim/2 (temporal, height, width).</summary>
    private static int[] MropeSection(int headDim)
    {
        var half = headDim / 2;
        var temporal = half / 4;
        var height = (half - temporal) / 2;
        return [temporal, height, half - temporal - height];
    }
}
