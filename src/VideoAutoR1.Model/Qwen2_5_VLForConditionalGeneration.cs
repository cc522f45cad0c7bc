using TorchSharp;
using static TorchSharp.torch;

namespace VideoAutoR1.Model;

/// <summary>
/// Qwen2.5-VL (vision tower + Qwen2 decoder with M-RoPE) with a slot-based KV cache. Field names mirror the
/// checkpoint (<c>model.*</c>, <c>visual.*</c>, <c>lm_head</c>), so loading is a name-to-name copy.
/// All methods must be called from one thread (TorchSharp dispose scopes and grad mode are per thread).
/// </summary>
public sealed class Qwen2_5_VLForConditionalGeneration : nn.Module, IVideoLanguageModel, IParityProbe
{
    private readonly Qwen2_5_VLTextModel model;
    private readonly Qwen2_5_VisionTransformer visual;
    private readonly QwenLinear? lm_head;
    private readonly Device _device;

    private Qwen2_5_VLForConditionalGeneration(Qwen2_5_VLConfig config, ModelLoadOptions options, ParameterFactory factory)
        : base(nameof(Qwen2_5_VLForConditionalGeneration))
    {
        Config = config;
        Options = options;
        _device = factory.Device;
        model = new Qwen2_5_VLTextModel(config.Text, factory);
        visual = new Qwen2_5_VisionTransformer(config.Vision, factory);
        lm_head = config.TieWordEmbeddings ? null : new QwenLinear(config.Text.HiddenSize, config.Text.VocabSize, false, factory);
        RegisterComponents();
    }

    public Qwen2_5_VLConfig Config { get; }

    public ModelLoadOptions Options { get; }

    public ScalarType DType => Options.DType;

    public string Architecture => nameof(Qwen2_5_VLForConditionalGeneration);

    public Qwen2_5_VLTextConfig Text => Config.Text;

    public IReadOnlyList<long> EosTokenIds => Config.EosTokenIds;

    public long VideoTokenId => Config.VideoTokenId;

    long IParityProbe.ImageTokenId => Config.ImageTokenId;

    public int SpatialMergeSize => Config.SpatialMergeSize;

    public (int PatchSize, int TemporalPatchSize, int InChannels) PatchGeometry =>
        (Config.Vision.PatchSize, Config.Vision.TemporalPatchSize, Config.Vision.InChannels);

    /// <summary>Loads config.json and the safetensors weights. Every mismatch is reported before memory is allocated.</summary>
    public static Qwen2_5_VLForConditionalGeneration Load(string modelDir, ModelLoadOptions options)
    {
        options.Validate();
        var config = Qwen2_5_VLConfig.Load(modelDir);
        using var checkpoint = CheckpointIndex.Open(modelDir);
        var shapes = ParameterShapes(config);
        checkpoint.Validate(shapes, config.TieWordEmbeddings);

        return ModelPlumbing.Materialise(
            new Qwen2_5_VLForConditionalGeneration(config, options, new ParameterFactory(options.DType, new Device(options.Device))),
            model => ModelPlumbing.LoadWeights(model, checkpoint, shapes, name => name, config.TieWordEmbeddings));
    }

    /// <summary>
    /// Random weights (seeded): weights N(0, 0.02), biases 0, norm weights 1. For tests, benchmarks and the default
    /// development model; the same seed gives the same weights.
    /// </summary>
    public static Qwen2_5_VLForConditionalGeneration CreateRandom(Qwen2_5_VLConfig config, long seed, ModelLoadOptions options)
    {
        options.Validate();
        return ModelPlumbing.Materialise(
            new Qwen2_5_VLForConditionalGeneration(config, options, new ParameterFactory(options.DType, new Device(options.Device))),
            model => ModelPlumbing.InitRandom(model, seed));
    }

    /// <summary>Expected parameter names (Hub names) and shapes for a config, computed on the meta device.</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> ParameterShapes(Qwen2_5_VLConfig config)
    {
        using var meta = new Qwen2_5_VLForConditionalGeneration(config, new ModelLoadOptions(), new ParameterFactory(ScalarType.Float32, new Device("meta")));
        return meta.named_parameters().Select(p => (p.name, p.parameter.shape)).ToList();
    }

    /// <summary>Writes config.json and model.safetensors (Hub names; no lm_head when embeddings are tied).</summary>
    public void Save(string modelDir)
    {
        Directory.CreateDirectory(modelDir);
        File.WriteAllText(Path.Combine(modelDir, Qwen2_5_VLConfig.FileName), Config.ToJson());
        SafeTensorsFile.Write(Path.Combine(modelDir, CheckpointIndex.SingleFile),
            named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
    }

    /// <summary>
    /// Vision tower: pixel rows [N, C·T·P·P] in processor order + grids → video embeddings [Σ t·h·w/4, text hidden]
    /// in the model dtype.
    /// </summary>
    public Tensor GetVideoFeatures(Tensor pixelValuesVideos, IReadOnlyList<GridThw> grids) =>
        GetVideoFeatures(pixelValuesVideos, grids, observe: null);

    Tensor IParityProbe.GetVideoFeatures(Tensor pixelValuesVideos, IReadOnlyList<GridThw> grids, Action<string, Tensor> observe) =>
        GetVideoFeatures(pixelValuesVideos, grids, observe);

    /// <summary>The vision tower as <see cref="GetVideoFeatures(Tensor, IReadOnlyList{GridThw})"/>, but with autograd, for training.</summary>
    public Tensor GetTrainableVideoFeatures(Tensor pixelValuesVideos, IReadOnlyList<GridThw> grids)
    {
        CheckPixels(pixelValuesVideos, grids);
        return visual.Forward(pixelValuesVideos.to(_device), grids, null);
    }

    private Tensor GetVideoFeatures(Tensor pixelValuesVideos, IReadOnlyList<GridThw> grids, Action<string, Tensor>? observe)
    {
        CheckPixels(pixelValuesVideos, grids);
        using var noGrad = no_grad();
        using var onDevice = pixelValuesVideos.to(_device);
        return visual.Forward(onDevice, grids, observe);
    }

    private void CheckPixels(Tensor pixelValuesVideos, IReadOnlyList<GridThw> grids)
    {
        var patchDim = Config.Vision.PatchDim;
        var expectedRows = grids.Sum(g => g.Patches);
        if (pixelValuesVideos.dim() != 2 || pixelValuesVideos.shape[1] != patchDim || pixelValuesVideos.shape[0] != expectedRows)
        {
            throw ModelErrors.Input(ModelErrors.VideoGridMismatch,
                $"pixel_values_videos has shape [{string.Join(", ", pixelValuesVideos.shape)}] but the grids " +
                $"{string.Join(" ", grids.Select(g => $"({g.T}, {g.H}, {g.W})"))} need [{expectedRows}, {patchDim}]");
        }
    }

    public RopeIndex GetRopeIndex(long[] inputIds, IReadOnlyList<GridThw> videoGrids, IReadOnlyList<double> secondPerGridTs) =>
        RopeIndexBuilder.Build(inputIds, Config, Options.RopeRule, videoGrids, secondPerGridTs);

    RopeIndex IParityProbe.GetRopeIndex(long[] inputIds, IReadOnlyList<GridThw> videoGrids, IReadOnlyList<double> secondPerGridTs,
        IReadOnlyList<GridThw> imageGrids, RopeIndexRule rule) =>
        RopeIndexBuilder.Build(inputIds, Config, rule, videoGrids, secondPerGridTs, imageGrids);

    IReadOnlyList<(string Name, long[] Values)> IParityProbe.VisionLayoutIndexes(IReadOnlyList<GridThw> grids)
    {
        var layout = VisionLayout.Build(Config.Vision, grids);
        return
        [
            ("vision.rotary_position_ids", layout.RotaryPositionIds),
            ("vision.window_index", layout.WindowIndex),
            ("vision.cu_window_seqlens", layout.CuWindowSeqlens),
            ("vision.cu_seqlens", layout.CuSeqlens),
        ];
    }

    /// <summary>
    /// Batched prefill: appends each sequence to its slot (right-padded to the longest, masked per row) and returns
    /// the last-position logits [B, V] float32.
    /// </summary>
    public Tensor Prefill(IReadOnlyList<PrefillInput> batch, KvCachePool cache) =>
        ModelPlumbing.Prefill(batch, cache, DType, _device,
            ids =>
            {
                var embeds = model.EmbedTokens.forward(ids);
                for (var b = 0; b < batch.Count; b++)
                {
                    ModelPlumbing.ScatterRows(embeds[b], ids[b], Config.VideoTokenId, batch[b].VideoEmbeds, $" (prefill row {b})");
                }

                return (embeds, 0);
            },
            (embeds, positions, mask, step, _) => model.Forward(embeds, positions, mask, step),
            LmHead);

    /// <summary>One token per slot, each at position Length(slot) + RopeDelta(slot) on all three rows; logits [B, V] float32.</summary>
    public Tensor DecodeStep(long[] tokenIds, int[] slots, KvCachePool cache) =>
        ModelPlumbing.DecodeStep(tokenIds, slots, cache, DType, _device, model.EmbedTokens.forward,
            (embeds, positions, mask, step) => model.Forward(embeds, positions, mask, step), LmHead);

    /// <summary>
    /// Full forward without a cache (autograd-capable): inputIds [B, L], positionIds [3, B, L], attentionMask [B, L]
    /// (1 = token, 0 = padding), videoEmbeds for the video pad tokens in row-major order. Returns logits [B, L, V] float32.
    /// </summary>
    public Tensor ForwardLogits(Tensor inputIds, Tensor positionIds, Tensor? attentionMask = null, Tensor? videoEmbeds = null) =>
        ForwardLogits(inputIds, positionIds, attentionMask, videoEmbeds, observe: null);

    Tensor IParityProbe.ForwardLogits(Tensor inputIds, Tensor positionIds, Tensor? videoEmbeds, Action<string, Tensor> observe) =>
        ForwardLogits(inputIds, positionIds, null, videoEmbeds, observe);

    void IParityProbe.RotaryCosSin(Tensor positionIds, Action<string, Tensor> observe)
    {
        using var scope = NewDisposeScope();
        model.RotaryCosSin(positionIds.to(_device), DType, observe);
    }

    private Tensor ForwardLogits(Tensor inputIds, Tensor positionIds, Tensor? attentionMask, Tensor? videoEmbeds, Action<string, Tensor>? observe)
    {
        using var scope = NewDisposeScope();
        long b = inputIds.shape[0], l = inputIds.shape[1];
        var ids = inputIds.to(ScalarType.Int64).to(_device);
        var embeds = model.EmbedTokens.forward(ids);
        if (videoEmbeds is not null || ids.eq(Config.VideoTokenId).any().item<bool>())
        {
            embeds = ModelPlumbing.ScatterRows(embeds.clone(), ids, Config.VideoTokenId, videoEmbeds, "");
        }

        observe?.Invoke("inputs_embeds", embeds);
        var mask = ModelPlumbing.CausalMask(b, l, attentionMask, DType, _device);
        var hidden = model.Forward(embeds, positionIds.to(ScalarType.Int64).to(_device), mask, cache: null, observe);
        observe?.Invoke("final_norm_out", hidden);
        return LmHead(hidden).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    private Tensor LmHead(Tensor hidden) =>
        lm_head is null ? nn.functional.linear(hidden, model.EmbedTokens.Weight) : lm_head.forward(hidden);
}
