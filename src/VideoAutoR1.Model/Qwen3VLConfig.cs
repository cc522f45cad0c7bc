using System.Text.Json;
using System.Text.Json.Nodes;

namespace VideoAutoR1.Model;

/// <summary>Qwen3-VL vision tower hyper-parameters (<c>vision_config</c>).</summary>
public sealed record Qwen3VLVisionConfig
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

    /// <summary>Rows of the learned position table, a square grid (48 x 48 = 2304 on the Hub checkpoints).</summary>
    public required int NumPositionEmbeddings { get; init; }

    /// <summary>Vision blocks whose outputs feed the DeepStack mergers; merger j is added after text layer j.</summary>
    public required int[] DeepstackVisualIndexes { get; init; }

    public int HeadDim => HiddenSize / NumHeads;

    public int PatchDim => InChannels * TemporalPatchSize * PatchSize * PatchSize;

    public int SpatialMergeUnit => SpatialMergeSize * SpatialMergeSize;

    /// <summary>Side of the learned position grid.</summary>
    public int NumGridPerSide => (int)Math.Round(Math.Sqrt(NumPositionEmbeddings));
}

/// <summary>
/// <c>config.json</c> of a Qwen3-VL checkpoint (<c>model_type</c> <c>qwen3_vl</c>). The text decoder has the
/// hyper-parameters of Qwen2.5-VL's (read by the same code, both rope layouts) plus q/k RMSNorm; its M-RoPE frequencies
/// are interleaved T H W T H W ... rather than chunked.
/// </summary>
public sealed record Qwen3VLConfig
{
    public const string ModelType = "qwen3_vl";
    public const string Architecture = "Qwen3VLForConditionalGeneration";

    public required Qwen2_5_VLTextConfig Text { get; init; }
    public required Qwen3VLVisionConfig Vision { get; init; }

    /// <summary><c>text_config.attention_bias</c>: biases on q/k/v/o (false on every released checkpoint).</summary>
    public required bool AttentionBias { get; init; }

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

    public static Qwen3VLConfig Load(string modelDir)
    {
        var (json, path) = ConfigJson.ReadModelConfig(modelDir);
        var config = Parse(json, path);
        return config with { EosTokenIds = ConfigJson.WithGenerationEos(modelDir, config.EosTokenIds) };
    }

    public static Qwen3VLConfig Parse(string json, string source = Qwen2_5_VLConfig.FileName)
    {
        var root = ConfigJson.ParseObject(json, source);
        var reader = new ConfigReader(source);
        var text = root["text_config"] as JsonObject ?? throw reader.Invalid("text_config", "is missing or not an object");
        var vision = root["vision_config"] as JsonObject ?? throw reader.Invalid("vision_config", "is missing or not an object");
        const string t = "text_config.";
        var textConfig = Qwen2_5_VLConfig.ReadText(reader, text, t);
        var ids = ConfigJson.ReadSpecialIds(reader, root, text, t, source);
        var visionConfig = ReadVision(reader, vision);
        if (visionConfig.DeepstackVisualIndexes.Length > textConfig.NumHiddenLayers)
        {
            throw reader.Invalid("vision_config.deepstack_visual_indexes",
                $"has {visionConfig.DeepstackVisualIndexes.Length} entries but the decoder has only {textConfig.NumHiddenLayers} layers to add them after");
        }

        if (visionConfig.OutHiddenSize != textConfig.HiddenSize)
        {
            throw reader.Invalid("vision_config.out_hidden_size", $"{visionConfig.OutHiddenSize} differs from text_config.hidden_size {textConfig.HiddenSize}");
        }

        return new Qwen3VLConfig
        {
            Text = textConfig,
            Vision = visionConfig,
            AttentionBias = text["attention_bias"] is not null && reader.Bool(text, t + "attention_bias"),
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

    /// <summary>Writes the layout of the Hub checkpoints (transformers 4.57), which <see cref="Parse"/> reads back identically.</summary>
    public string ToJson()
    {
        static JsonArray Ints(IEnumerable<int> values) => new(values.Select(v => (JsonNode)v).ToArray());
        var text = new JsonObject
        {
            ["model_type"] = "qwen3_vl_text",
            ["vocab_size"] = Text.VocabSize,
            ["hidden_size"] = Text.HiddenSize,
            ["intermediate_size"] = Text.IntermediateSize,
            ["num_hidden_layers"] = Text.NumHiddenLayers,
            ["num_attention_heads"] = Text.NumAttentionHeads,
            ["num_key_value_heads"] = Text.NumKeyValueHeads,
            ["head_dim"] = Text.HeadDim,
            ["hidden_act"] = "silu",
            ["attention_bias"] = AttentionBias,
            ["rms_norm_eps"] = Text.RmsNormEps,
            ["max_position_embeddings"] = Text.MaxPositionEmbeddings,
            ["rope_theta"] = Text.RopeTheta,
            ["rope_scaling"] = new JsonObject
            {
                ["rope_type"] = "default",
                ["mrope_section"] = Ints(Text.MropeSection),
                ["mrope_interleaved"] = true,
            },
        };
        var vision = new JsonObject
        {
            ["model_type"] = ModelType,
            ["depth"] = Vision.Depth,
            ["hidden_size"] = Vision.HiddenSize,
            ["num_heads"] = Vision.NumHeads,
            ["intermediate_size"] = Vision.IntermediateSize,
            ["out_hidden_size"] = Vision.OutHiddenSize,
            ["in_channels"] = Vision.InChannels,
            ["hidden_act"] = "gelu_pytorch_tanh",
            ["patch_size"] = Vision.PatchSize,
            ["temporal_patch_size"] = Vision.TemporalPatchSize,
            ["spatial_merge_size"] = Vision.SpatialMergeSize,
            ["num_position_embeddings"] = Vision.NumPositionEmbeddings,
            ["deepstack_visual_indexes"] = Ints(Vision.DeepstackVisualIndexes),
        };
        var ids = new SpecialIds(TieWordEmbeddings, ImageTokenId, VideoTokenId, VisionStartTokenId, VisionEndTokenId, EosTokenIds, BosTokenId, PadTokenId);
        return ConfigJson.WriteRoot(Architecture, ModelType, text, vision, ids);
    }

    private static Qwen3VLVisionConfig ReadVision(ConfigReader reader, JsonObject vision)
    {
        const string p = "vision_config.";
        var hidden = reader.PositiveInt(vision, p + "hidden_size");
        var heads = reader.PositiveInt(vision, p + "num_heads");
        if (hidden % heads != 0 || hidden / heads % 4 != 0)
        {
            throw reader.Invalid(p + "num_heads", $"{heads} must divide hidden_size {hidden} into heads whose size is a multiple of 4");
        }

        var act = reader.OptionalString(vision, p + "hidden_act") ?? "gelu_pytorch_tanh";
        if (act != "gelu_pytorch_tanh")
        {
            throw reader.Invalid(p + "hidden_act", $"'{act}' is not supported (Qwen3-VL uses gelu_pytorch_tanh)");
        }

        var depth = reader.PositiveInt(vision, p + "depth");
        var positions = reader.PositiveInt(vision, p + "num_position_embeddings");
        var side = (int)Math.Round(Math.Sqrt(positions));
        if (side * side != positions)
        {
            throw reader.Invalid(p + "num_position_embeddings", $"{positions} is not a square grid");
        }

        var deepstack = reader.IntArray(vision, p + "deepstack_visual_indexes");
        if (deepstack.Any(i => i < 0 || i >= depth) || deepstack.Distinct().Count() != deepstack.Length)
        {
            throw reader.Invalid(p + "deepstack_visual_indexes", $"[{string.Join(", ", deepstack)}] must be distinct indexes in 0..{depth - 1}");
        }

        return new Qwen3VLVisionConfig
        {
            Depth = depth,
            HiddenSize = hidden,
            NumHeads = heads,
            IntermediateSize = reader.PositiveInt(vision, p + "intermediate_size"),
            OutHiddenSize = reader.PositiveInt(vision, p + "out_hidden_size"),
            InChannels = reader.OptionalPositiveInt(vision, p + "in_channels") ?? 3,
            PatchSize = reader.PositiveInt(vision, p + "patch_size"),
            TemporalPatchSize = reader.PositiveInt(vision, p + "temporal_patch_size"),
            SpatialMergeSize = reader.PositiveInt(vision, p + "spatial_merge_size"),
            NumPositionEmbeddings = positions,
            DeepstackVisualIndexes = deepstack,
        };
    }
}
