using TorchSharp;
using static TorchSharp.torch;

namespace VideoAutoR1.Model;

/// <summary><c>model</c> of a Qwen3-VL checkpoint: <c>model.visual.*</c> and <c>model.language_model.*</c>.</summary>
public sealed class Qwen3VLModel : nn.Module
{
    private readonly Qwen3VLVisionModel visual;
    private readonly Qwen3VLTextModel language_model;

    public Qwen3VLModel(Qwen3VLConfig config, ParameterFactory factory) : base("model")
    {
        visual = new Qwen3VLVisionModel(config.Vision, factory);
        language_model = new Qwen3VLTextModel(config.Text, config.AttentionBias, factory);
        RegisterComponents();
    }

    public Qwen3VLVisionModel Visual => visual;

    public Qwen3VLTextModel LanguageModel => language_model;
}

/// <summary>
/// Qwen3-VL (vision tower with DeepStack + Qwen3 decoder with interleaved M-RoPE) on the shared slot-based KV cache.
/// Field names mirror the checkpoint (<c>model.visual.*</c>, <c>model.language_model.*</c>, <c>lm_head</c>).
/// Video features are rows <c>[embed | deepstack_0 | … ]</c> of width (1 + DeepStack count) · hidden.
/// </summary>
public sealed class Qwen3VLForConditionalGeneration : nn.Module, IVideoLanguageModel, IParityProbe
{
    private readonly Qwen3VLModel model;
    private readonly QwenLinear? lm_head;
    private readonly Device _device;

    private Qwen3VLForConditionalGeneration(Qwen3VLConfig config, ModelLoadOptions options, ParameterFactory factory)
        : base(nameof(Qwen3VLForConditionalGeneration))
    {
        Config = config;
        Options = options;
        _device = factory.Device;
        model = new Qwen3VLModel(config, factory);
        lm_head = config.TieWordEmbeddings ? null : new QwenLinear(config.Text.HiddenSize, config.Text.VocabSize, false, factory);
        RegisterComponents();
    }

    public Qwen3VLConfig Config { get; }

    public ModelLoadOptions Options { get; }

    public ScalarType DType => Options.DType;

    public string Architecture => Qwen3VLConfig.Architecture;

    public Qwen2_5_VLTextConfig Text => Config.Text;

    public IReadOnlyList<long> EosTokenIds => Config.EosTokenIds;

    public long VideoTokenId => Config.VideoTokenId;

    long IParityProbe.ImageTokenId => Config.ImageTokenId;

    public int SpatialMergeSize => Config.SpatialMergeSize;

    public (int PatchSize, int TemporalPatchSize, int InChannels) PatchGeometry =>
        (Config.Vision.PatchSize, Config.Vision.TemporalPatchSize, Config.Vision.InChannels);

    private int DeepstackCount => Config.Vision.DeepstackVisualIndexes.Length;

    /// <summary>Loads config.json and the safetensors weights (one file or shards). Mismatches are reported before allocation.</summary>
    public static Qwen3VLForConditionalGeneration Load(string modelDir, ModelLoadOptions options)
    {
        options.Validate();
        var config = Qwen3VLConfig.Load(modelDir);
        var shapes = ParameterShapes(config);
        using var checkpoint = CheckpointIndex.Open(modelDir);

        // The index keys tensors by Qwen2.5-VL Hub names; Qwen3-VL stores model.language_model.* / model.visual.*.
        checkpoint.Validate(shapes.Select(s => (CheckpointIndex.ToHubName(s.Name), s.Shape)).ToList(), config.TieWordEmbeddings);
        return ModelPlumbing.Materialise(
            new Qwen3VLForConditionalGeneration(config, options, new ParameterFactory(options.DType, new Device(options.Device))),
            model => ModelPlumbing.LoadWeights(model, checkpoint, shapes, CheckpointIndex.ToHubName, config.TieWordEmbeddings));
    }

    /// <summary>Seeded random weights (weights N(0, 0.02), biases 0, norm weights 1), for tests and benchmarks.</summary>
    public static Qwen3VLForConditionalGeneration CreateRandom(Qwen3VLConfig config, long seed, ModelLoadOptions options)
    {
        options.Validate();
        return ModelPlumbing.Materialise(
            new Qwen3VLForConditionalGeneration(config, options, new ParameterFactory(options.DType, new Device(options.Device))),
            model => ModelPlumbing.InitRandom(model, seed));
    }

    /// <summary>Parameter names (as stored in Qwen3-VL checkpoints) and shapes for a config, computed on the meta device.</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> ParameterShapes(Qwen3VLConfig config)
    {
        using var meta = new Qwen3VLForConditionalGeneration(config, new ModelLoadOptions(), new ParameterFactory(ScalarType.Float32, new Device("meta")));
        return meta.named_parameters().Select(p => (p.name, p.parameter.shape)).ToList();
    }

    /// <summary>Writes config.json and model.safetensors under the checkpoint's names (no lm_head when tied).</summary>
    public void Save(string modelDir)
    {
        Directory.CreateDirectory(modelDir);
        File.WriteAllText(Path.Combine(modelDir, Qwen2_5_VLConfig.FileName), Config.ToJson());
        SafeTensorsFile.Write(Path.Combine(modelDir, CheckpointIndex.SingleFile),
            named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
    }

    public Tensor GetVideoFeatures(Tensor pixelValuesVideos, IReadOnlyList<GridThw> grids) =>
        GetVideoFeatures(pixelValuesVideos, grids, observe: null);

    Tensor IParityProbe.GetVideoFeatures(Tensor pixelValuesVideos, IReadOnlyList<GridThw> grids, Action<string, Tensor> observe) =>
        GetVideoFeatures(pixelValuesVideos, grids, observe);

    public RopeIndex GetRopeIndex(long[] inputIds, IReadOnlyList<GridThw> videoGrids, IReadOnlyList<double> secondPerGridTs) =>
        RopeIndexBuilder.BuildQwen3(inputIds, Config, videoGrids);

    RopeIndex IParityProbe.GetRopeIndex(long[] inputIds, IReadOnlyList<GridThw> videoGrids, IReadOnlyList<double> secondPerGridTs,
        IReadOnlyList<GridThw> imageGrids, RopeIndexRule rule) =>
        RopeIndexBuilder.BuildQwen3(inputIds, Config, videoGrids, imageGrids);

    IReadOnlyList<(string Name, long[] Values)> IParityProbe.VisionLayoutIndexes(IReadOnlyList<GridThw> grids) =>
        [("vision.cu_seqlens", Qwen3VLVisionLayout.Build(Config.Vision, grids).CuSeqlens)];

    /// <summary>Batched prefill into the slots (right-padded, masked per row); returns last-position logits [B, V] float32.</summary>
    public Tensor Prefill(IReadOnlyList<PrefillInput> batch, KvCachePool cache) =>
        ModelPlumbing.Prefill(batch, cache, DType, _device,
            ids =>
            {
                var embeds = model.LanguageModel.EmbedTokens.forward(ids);
                var deepstack = batch.Any(p => p.VideoEmbeds is not null)
                    ? Enumerable.Range(0, DeepstackCount).Select(_ => zeros_like(embeds)).ToArray()
                    : null;
                for (var b = 0; b < batch.Count; b++)
                {
                    Scatter(embeds[b], deepstack?.Select(d => d[b]).ToArray(), ids[b], batch[b].VideoEmbeds, $" (prefill row {b})");
                }

                return (embeds, Deepstack(deepstack));
            },
            (embeds, positions, mask, step, deepstack) => model.LanguageModel.Forward(embeds, positions, mask, step, deepstack),
            LmHead);

    /// <summary>One token per slot at Length(slot) + RopeDelta(slot) on all three rows; logits [B, V] float32.</summary>
    public Tensor DecodeStep(long[] tokenIds, int[] slots, KvCachePool cache) =>
        ModelPlumbing.DecodeStep(tokenIds, slots, cache, DType, _device, model.LanguageModel.EmbedTokens.forward,
            (embeds, positions, mask, step) => model.LanguageModel.Forward(embeds, positions, mask, step, deepstack: null), LmHead);

    /// <summary>
    /// Full forward without a cache (autograd-capable): inputIds [B, L], positionIds [3, B, L], attentionMask [B, L],
    /// videoFeatures as returned by <see cref="GetVideoFeatures(Tensor, IReadOnlyList{GridThw})"/>. Logits [B, L, V] float32.
    /// </summary>
    public Tensor ForwardLogits(Tensor inputIds, Tensor positionIds, Tensor? attentionMask = null, Tensor? videoEmbeds = null) =>
        ForwardLogits(inputIds, positionIds, attentionMask, videoEmbeds, observe: null);

    Tensor IParityProbe.ForwardLogits(Tensor inputIds, Tensor positionIds, Tensor? videoEmbeds, Action<string, Tensor> observe) =>
        ForwardLogits(inputIds, positionIds, null, videoEmbeds, observe);

    void IParityProbe.RotaryCosSin(Tensor positionIds, Action<string, Tensor> observe)
    {
        using var scope = NewDisposeScope();
        model.LanguageModel.RotaryCosSin(positionIds.to(_device), DType, observe);
    }

    private Tensor GetVideoFeatures(Tensor pixelValuesVideos, IReadOnlyList<GridThw> grids, Action<string, Tensor>? observe)
    {
        var patchDim = Config.Vision.PatchDim;
        var expectedRows = grids.Sum(g => g.Patches);
        if (pixelValuesVideos.dim() != 2 || pixelValuesVideos.shape[1] != patchDim || pixelValuesVideos.shape[0] != expectedRows)
        {
            throw ModelErrors.Input(ModelErrors.VideoGridMismatch,
                $"pixel_values_videos has shape [{string.Join(", ", pixelValuesVideos.shape)}] but the grids " +
                $"{string.Join(" ", grids.Select(g => $"({g.T}, {g.H}, {g.W})"))} need [{expectedRows}, {patchDim}]");
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (embeds, deepstack) = model.Visual.Forward(pixelValuesVideos.to(_device), grids, observe);
        return cat([embeds, .. deepstack], -1).MoveToOuterDisposeScope();
    }

    private Tensor ForwardLogits(Tensor inputIds, Tensor positionIds, Tensor? attentionMask, Tensor? videoFeatures, Action<string, Tensor>? observe)
    {
        using var scope = NewDisposeScope();
        long b = inputIds.shape[0], l = inputIds.shape[1];
        var ids = inputIds.to(ScalarType.Int64).to(_device);
        var embeds = model.LanguageModel.EmbedTokens.forward(ids);
        Tensor[]? deepstack = null;
        if (videoFeatures is not null || ids.eq(Config.VideoTokenId).any().item<bool>())
        {
            embeds = embeds.clone();
            deepstack = Enumerable.Range(0, DeepstackCount).Select(_ => zeros_like(embeds)).ToArray();
            Scatter(embeds, deepstack, ids, videoFeatures, "");
        }

        observe?.Invoke("inputs_embeds", embeds);
        var mask = ModelPlumbing.CausalMask(b, l, attentionMask, DType, _device);
        var hidden = model.LanguageModel.Forward(embeds, positionIds.to(ScalarType.Int64).to(_device), mask, cache: null,
            Deepstack(deepstack), observe);
        observe?.Invoke("final_norm_out", hidden);
        return LmHead(hidden).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    // Splits feature rows [embed | deepstack_0 | …] and scatters each part onto the video-token rows of its target.
    private void Scatter(Tensor embeds, Tensor[]? deepstack, Tensor ids, Tensor? features, string where)
    {
        var hidden = Config.Text.HiddenSize;
        if (features is not null && (features.dim() != 2 || features.shape[1] != hidden * (1L + DeepstackCount)))
        {
            throw ModelErrors.Input(ModelErrors.VideoTokensMismatch,
                $"video features{where} have shape [{string.Join(", ", features.shape)}]; rows of {hidden * (1L + DeepstackCount)} " +
                $"values (embedding + {DeepstackCount} DeepStack features) were expected");
        }

        ModelPlumbing.ScatterRows(embeds, ids, Config.VideoTokenId, features?.narrow(1, 0, hidden), where);
        if (features is null || deepstack is null)
        {
            return;
        }

        for (var j = 0; j < deepstack.Length; j++)
        {
            ModelPlumbing.ScatterRows(deepstack[j], ids, Config.VideoTokenId, features.narrow(1, hidden * (1L + j), hidden), where);
        }
    }

    private static DeepstackInput? Deepstack(Tensor[]? features) => features is null ? null : new DeepstackInput(features);

    private Tensor LmHead(Tensor hidden) =>
        lm_head is null ? nn.functional.linear(hidden, model.LanguageModel.EmbedTokens.Weight) : lm_head.forward(hidden);
}
