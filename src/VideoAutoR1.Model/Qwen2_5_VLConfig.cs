using System.Text.Json;
using System.Text.Json.Nodes;

namespace VideoAutoR1.Model;

/// <summary>Qwen2 decoder hyper-parameters (<c>text_config</c>, or the top level of the flat Hub layout).</summary>
public sealed record Qwen2_5_VLTextConfig
{
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int NumKeyValueHeads { get; init; }
    public required int HeadDim { get; init; }
    public required double RmsNormEps { get; init; }
    public required double RopeTheta { get; init; }

    /// <summary>Frequencies per (t, h, w) position row; sums to <see cref="HeadDim"/>/2.</summary>
    public required int[] MropeSection { get; init; }

    public required int MaxPositionEmbeddings { get; init; }
}

/// <summary>Vision tower hyper-parameters (<c>vision_config</c>).</summary>
public sealed record Qwen2_5_VLVisionConfig
{
    public required int Depth { get; init; }
    public required int HiddenSize { get; init; }
    public required int NumHeads { get; init; }
    public required int IntermediateSize { get; init; }
    public required int OutHiddenSize { get; init; }
    public required int InChannels { get; init; }
    public required int PatchSize { get; init; }
    public required int TemporalPatchSize { get; init; }
    public required int SpatialMergeSize { get; init; }

    /// <summary>Attention window side in pixels (112 = 4x4 merged tokens for patch 14, merge 2).</summary>
    public required int WindowSize { get; init; }

    public required int[] FullattBlockIndexes { get; init; }
    public required double TokensPerSecond { get; init; }

    public int HeadDim => HiddenSize / NumHeads;

    /// <summary>Values in one flattened patch row: C x T x P x P.</summary>
    public int PatchDim => InChannels * TemporalPatchSize * PatchSize * PatchSize;

    /// <summary>Patches merged into one LLM token.</summary>
    public int SpatialMergeUnit => SpatialMergeSize * SpatialMergeSize;

    /// <summary>Window side in merged tokens.</summary>
    public int MergerWindowSize => WindowSize / SpatialMergeSize / PatchSize;
}

/// <summary>
/// <c>config.json</c> of a Qwen2.5-VL checkpoint. Reads both on-disk layouts: the nested transformers-5 layout
/// (<c>text_config</c> + <c>rope_parameters</c>) and the flat Hub layout (<c>rope_theta</c> +
/// <c>rope_scaling {type: mrope}</c>). Every invalid value is reported with its JSON path.
/// </summary>
public sealed record Qwen2_5_VLConfig
{
    public const string FileName = "config.json";
    public const string GenerationConfigFileName = "generation_config.json";

    public required Qwen2_5_VLTextConfig Text { get; init; }
    public required Qwen2_5_VLVisionConfig Vision { get; init; }
    public required bool TieWordEmbeddings { get; init; }
    public required long ImageTokenId { get; init; }
    public required long VideoTokenId { get; init; }
    public required long VisionStartTokenId { get; init; }
    public required long VisionEndTokenId { get; init; }

    /// <summary>End-of-sequence ids from config.json and generation_config.json (union, config first).</summary>
    public required IReadOnlyList<long> EosTokenIds { get; init; }

    public long? BosTokenId { get; init; }
    public long? PadTokenId { get; init; }

    public int VocabSize => Text.VocabSize;
    public int SpatialMergeSize => Vision.SpatialMergeSize;
    public double TokensPerSecond => Vision.TokensPerSecond;

    public static Qwen2_5_VLConfig Load(string modelDir)
    {
        var (json, path) = ConfigJson.ReadModelConfig(modelDir);
        var config = Parse(json, path);
        return config with { EosTokenIds = ConfigJson.WithGenerationEos(modelDir, config.EosTokenIds) };
    }

    /// <summary>Parses the text of a config.json; <paramref name="source"/> names the file in errors.</summary>
    public static Qwen2_5_VLConfig Parse(string json, string source = FileName)
    {
        var root = ConfigJson.ParseObject(json, source);
        var reader = new ConfigReader(source);
        var nested = root["text_config"] is JsonObject;
        var text = nested ? (JsonObject)root["text_config"]! : root;
        var textPath = nested ? "text_config." : "";
        var vision = root["vision_config"] as JsonObject
            ?? throw reader.Invalid("vision_config", "is missing or not an object");

        var textConfig = ReadText(reader, text, textPath);
        var visionConfig = ReadVision(reader, vision);

        var ids = ConfigJson.ReadSpecialIds(reader, root, text, textPath, source);
        return new Qwen2_5_VLConfig
        {
            Text = textConfig,
            Vision = visionConfig,
            TieWordEmbeddings = ids.TieWordEmbeddings,
            ImageTokenId = ids.Image,
            VideoTokenId = ids.Video,
            VisionStartTokenId = ids.VisionStart,
            VisionEndTokenId = ids.VisionEnd,
            EosTokenIds = ids.Eos,
            BosTokenId = ids.Bos,
            PadTokenId = ids.Pad,
        };
    }

    /// <summary>Writes the nested (transformers 5) layout that <see cref="Parse"/> reads back identically.</summary>
    public string ToJson()
    {
        var text = new JsonObject
        {
            ["model_type"] = "qwen2_5_vl_text",
            ["vocab_size"] = Text.VocabSize,
            ["hidden_size"] = Text.HiddenSize,
            ["intermediate_size"] = Text.IntermediateSize,
            ["num_hidden_layers"] = Text.NumHiddenLayers,
            ["num_attention_heads"] = Text.NumAttentionHeads,
            ["num_key_value_heads"] = Text.NumKeyValueHeads,
            ["head_dim"] = Text.HeadDim,
            ["hidden_act"] = "silu",
            ["rms_norm_eps"] = Text.RmsNormEps,
            ["max_position_embeddings"] = Text.MaxPositionEmbeddings,
            ["rope_parameters"] = new JsonObject
            {
                ["rope_type"] = "default",
                ["rope_theta"] = Text.RopeTheta,
                ["mrope_section"] = new JsonArray(Text.MropeSection.Select(v => (JsonNode)v).ToArray()),
            },
            ["tie_word_embeddings"] = TieWordEmbeddings,
        };
        var vision = new JsonObject
        {
            ["model_type"] = "qwen2_5_vl_vision",
            ["depth"] = Vision.Depth,
            ["hidden_size"] = Vision.HiddenSize,
            ["num_heads"] = Vision.NumHeads,
            ["intermediate_size"] = Vision.IntermediateSize,
            ["out_hidden_size"] = Vision.OutHiddenSize,
            ["in_channels"] = Vision.InChannels,
            ["hidden_act"] = "silu",
            ["patch_size"] = Vision.PatchSize,
            ["temporal_patch_size"] = Vision.TemporalPatchSize,
            ["spatial_merge_size"] = Vision.SpatialMergeSize,
            ["window_size"] = Vision.WindowSize,
            ["fullatt_block_indexes"] = new JsonArray(Vision.FullattBlockIndexes.Select(v => (JsonNode)v).ToArray()),
            ["tokens_per_second"] = Vision.TokensPerSecond,
        };
        var ids = new SpecialIds(TieWordEmbeddings, ImageTokenId, VideoTokenId, VisionStartTokenId, VisionEndTokenId, EosTokenIds, BosTokenId, PadTokenId);
        return ConfigJson.WriteRoot(nameof(Qwen2_5_VLForConditionalGeneration), "qwen2_5_vl", text, vision, ids);
    }

    internal static Qwen2_5_VLTextConfig ReadText(ConfigReader reader, JsonObject text, string path)
    {
        var hidden = reader.PositiveInt(text, path + "hidden_size");
        var heads = reader.PositiveInt(text, path + "num_attention_heads");
        var kvHeads = reader.OptionalPositiveInt(text, path + "num_key_value_heads") ?? heads;
        var act = reader.OptionalString(text, path + "hidden_act") ?? "silu";
        if (act != "silu")
        {
            throw reader.Invalid(path + "hidden_act", $"'{act}' is not supported (Qwen2.5-VL uses silu)");
        }

        var headDim = reader.OptionalPositiveInt(text, path + "head_dim") ?? (hidden % heads == 0
            ? hidden / heads
            : throw reader.Invalid(path + "hidden_size", $"{hidden} is not divisible by num_attention_heads {heads}"));
        if (heads % kvHeads != 0)
        {
            throw reader.Invalid(path + "num_key_value_heads", $"{kvHeads} does not divide num_attention_heads {heads}");
        }

        // Nested layout: rope_parameters {rope_theta, mrope_section}; flat Hub layout: rope_theta + rope_scaling.
        double theta;
        int[] section;
        string ropePath;
        if (text["rope_parameters"] is JsonObject parameters)
        {
            ropePath = path + "rope_parameters.";
            theta = reader.PositiveDouble(parameters, ropePath + "rope_theta");
            section = reader.IntArray(parameters, ropePath + "mrope_section");
            CheckRopeType(reader, parameters, ropePath);
        }
        else if (text["rope_scaling"] is JsonObject scaling)
        {
            ropePath = path + "rope_scaling.";
            theta = reader.PositiveDouble(text, path + "rope_theta");
            section = reader.IntArray(scaling, ropePath + "mrope_section");
            CheckRopeType(reader, scaling, ropePath);
        }
        else
        {
            throw reader.Invalid(path + "rope_parameters", "is missing (nor is there a rope_scaling with mrope_section)");
        }

        if (section.Length != 3 || section.Any(s => s <= 0) || section.Sum() * 2 != headDim)
        {
            throw reader.Invalid(ropePath + "mrope_section",
                $"[{string.Join(", ", section)}] must be 3 positive values summing to head_dim/2 = {headDim / 2}");
        }

        return new Qwen2_5_VLTextConfig
        {
            VocabSize = reader.PositiveInt(text, path + "vocab_size"),
            HiddenSize = hidden,
            IntermediateSize = reader.PositiveInt(text, path + "intermediate_size"),
            NumHiddenLayers = reader.PositiveInt(text, path + "num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            RmsNormEps = reader.PositiveDouble(text, path + "rms_norm_eps"),
            RopeTheta = theta,
            MropeSection = section,
            MaxPositionEmbeddings = reader.OptionalPositiveInt(text, path + "max_position_embeddings") ?? 128000,
        };
    }

    private static void CheckRopeType(ConfigReader reader, JsonObject rope, string path)
    {
        var type = reader.OptionalString(rope, path + "rope_type") ?? reader.OptionalString(rope, path + "type") ?? "default";
        if (type is not ("default" or "mrope"))
        {
            throw reader.Invalid(path + "rope_type", $"'{type}' is not supported (only default/mrope rotary embeddings)");
        }
    }

    private static Qwen2_5_VLVisionConfig ReadVision(ConfigReader reader, JsonObject vision)
    {
        const string p = "vision_config.";
        var hidden = reader.PositiveInt(vision, p + "hidden_size");
        var heads = reader.PositiveInt(vision, p + "num_heads");
        if (hidden % heads != 0 || hidden / heads % 4 != 0)
        {
            throw reader.Invalid(p + "num_heads", $"{heads} must divide hidden_size {hidden} into heads whose size is a multiple of 4");
        }

        var act = reader.OptionalString(vision, p + "hidden_act") ?? "silu";
        if (act != "silu")
        {
            throw reader.Invalid(p + "hidden_act", $"'{act}' is not supported (Qwen2.5-VL uses silu)");
        }

        var depth = reader.PositiveInt(vision, p + "depth");
        var patch = reader.PositiveInt(vision, p + "patch_size");
        var merge = reader.PositiveInt(vision, p + "spatial_merge_size");
        var window = reader.PositiveInt(vision, p + "window_size");
        if (window % (patch * merge) != 0)
        {
            throw reader.Invalid(p + "window_size", $"{window} is not a multiple of patch_size x spatial_merge_size = {patch * merge}");
        }

        var fullatt = reader.IntArray(vision, p + "fullatt_block_indexes");
        if (fullatt.Any(i => i < 0 || i >= depth))
        {
            throw reader.Invalid(p + "fullatt_block_indexes", $"[{string.Join(", ", fullatt)}] has an index outside 0..{depth - 1}");
        }

        var inChannels = vision["in_channels"] is not null
            ? reader.PositiveInt(vision, p + "in_channels")
            : reader.OptionalPositiveInt(vision, p + "in_chans") ?? 3;
        return new Qwen2_5_VLVisionConfig
        {
            Depth = depth,
            HiddenSize = hidden,
            NumHeads = heads,
            IntermediateSize = reader.PositiveInt(vision, p + "intermediate_size"),
            OutHiddenSize = reader.PositiveInt(vision, p + "out_hidden_size"),
            InChannels = inChannels,
            PatchSize = patch,
            TemporalPatchSize = reader.PositiveInt(vision, p + "temporal_patch_size"),
            SpatialMergeSize = merge,
            WindowSize = window,
            FullattBlockIndexes = fullatt,
            TokensPerSecond = reader.PositiveDouble(vision, p + "tokens_per_second"),
        };
    }
}
