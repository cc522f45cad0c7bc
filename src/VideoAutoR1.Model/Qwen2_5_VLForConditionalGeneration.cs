using TorchSharp;
using static TorchSharp.torch;

namespace VideoAutoR1.Model;

/// <summary>
/// Qwen2.5-VL (vision tower + Qwen2 decoder with M-RoPE) with a slot-based KV cache. Field names mirror the
/// checkpoint (<c>model.*</c>, <c>visual.*</c>, <c>lm_head</c>), so loading is a name-to-name copy.
/// All methods must be called from one thread (TorchSharp dispose scopes and grad mode are per thread).
/// </summary>
public sealed class Qwen2_5_VLForConditionalGeneration : nn.Module
{
    private readonly Qwen2_5_VLTextModel model;
    private readonly Qwen2_5_VisionTransformer visual;
    private readonly Linear? lm_head;
    private readonly Device _device;

    private Qwen2_5_VLForConditionalGeneration(Qwen2_5_VLConfig config, ModelLoadOptions options, ParameterFactory factory)
        : base(nameof(Qwen2_5_VLForConditionalGeneration))
    {
        Config = config;
        Options = options;
        _device = factory.Device;
        model = new Qwen2_5_VLTextModel(config.Text, factory);
        visual = new Qwen2_5_VisionTransformer(config.Vision, factory);
        lm_head = config.TieWordEmbeddings ? null : new Linear(config.Text.HiddenSize, config.Text.VocabSize, false, factory);
        RegisterComponents();
    }

    public Qwen2_5_VLConfig Config { get; }

    public ModelLoadOptions Options { get; }

    public ScalarType DType => Options.DType;

    /// <summary>Loads config.json and the safetensors weights. Every mismatch is reported before memory is allocated.</summary>
    public static Qwen2_5_VLForConditionalGeneration Load(string modelDir, ModelLoadOptions options)
    {
        options.Validate();
        var config = Qwen2_5_VLConfig.Load(modelDir);
        using var checkpoint = CheckpointIndex.Open(modelDir);
        checkpoint.Validate(ParameterShapes(config), config.TieWordEmbeddings);

        var result = new Qwen2_5_VLForConditionalGeneration(config, options, new ParameterFactory(options.DType, new Device(options.Device)));
        try
        {
            using var noGrad = no_grad();
            foreach (var (name, parameter) in result.named_parameters())
            {
                var (file, entry) = checkpoint.Tensors[name];
                file.ReadInto(entry, parameter);
            }

            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Random weights (seeded): weights N(0, 0.02), biases 0, norm weights 1. For tests, benchmarks and the default
    /// development model; the same seed gives the same weights.
    /// </summary>
    public static Qwen2_5_VLForConditionalGeneration CreateRandom(Qwen2_5_VLConfig config, long seed, ModelLoadOptions options)
    {
        options.Validate();
        var result = new Qwen2_5_VLForConditionalGeneration(config, options, new ParameterFactory(options.DType, new Device(options.Device)));
        try
        {
            using var noGrad = no_grad();
            var generator = new Generator((ulong)seed);
            foreach (var (name, parameter) in result.named_parameters())
            {
                if (name.EndsWith(".bias", StringComparison.Ordinal))
                {
                    parameter.zero_();
                }
                else if (parameter.dim() == 1)
                {
                    parameter.fill_(1.0);
                }
                else
                {
                    using var values = normal(0.0, 0.02, parameter.shape, ScalarType.Float32, generator: generator);
                    parameter.copy_(values);
                }
            }

            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
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

    internal Tensor GetVideoFeatures(Tensor pixelValuesVideos, IReadOnlyList<GridThw> grids, Action<string, Tensor>? observe)
    {
        var patchDim = Config.Vision.PatchDim;
        var expectedRows = grids.Sum(g => g.Patches);
        if (pixelValuesVideos.dim() != 2 || pixelValuesVideos.shape[1] != patchDim || pixelValuesVideos.shape[0] != expectedRows)
        {
            throw ModelErrors.Input(ModelErrors.VideoGridMismatch,
                $"pixel_values_videos has shape [{string.Join(", ", pixelValuesVideos.shape)}] but the grids " +
                $"{string.Join(" ", grids.Select(g => $"({g.T}, {g.H}, {g.W})"))} need [{expectedRows}, {patchDim}]");
        }

        using var noGrad = no_grad();
        using var onDevice = pixelValuesVideos.to(_device);
        return visual.Forward(onDevice, grids, observe);
    }

    public RopeIndex GetRopeIndex(long[] inputIds, IReadOnlyList<GridThw> videoGrids, IReadOnlyList<double> secondPerGridTs) =>
        RopeIndexBuilder.Build(inputIds, Config, Options.RopeRule, videoGrids, secondPerGridTs);

    /// <summary>
    /// Batched prefill: appends each sequence to its slot (right-padded to the longest, masked per row) and returns
    /// the last-position logits [B, V] float32.
    /// </summary>
    public Tensor Prefill(IReadOnlyList<PrefillInput> batch, KvCachePool cache)
    {
        ArgumentOutOfRangeException.ThrowIfZero(batch.Count);
        CheckPool(cache);
        var slots = batch.Select(p => p.Slot).ToArray();
        if (slots.Distinct().Count() != slots.Length)
        {
            throw new ArgumentException("a slot appears twice in one prefill batch", nameof(batch));
        }

        var lengths = batch.Select(p => p.InputIds.Length).ToArray();
        for (var b = 0; b < batch.Count; b++)
        {
            if (lengths[b] == 0 || batch[b].Positions.Length != lengths[b])
            {
                throw new ArgumentException($"prefill row {b}: {lengths[b]} ids but {batch[b].Positions.Length} positions", nameof(batch));
            }

            cache.CheckCapacity(slots[b], lengths[b]);
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var maxLength = lengths.Max();
        var ids = new long[batch.Count * maxLength];
        var positions = new long[3 * batch.Count * maxLength];
        for (var b = 0; b < batch.Count; b++)
        {
            Array.Copy(batch[b].InputIds, 0, ids, b * maxLength, lengths[b]);
            for (var row = 0; row < 3; row++)
            {
                for (var i = 0; i < lengths[b]; i++)
                {
                    positions[((row * batch.Count) + b) * maxLength + i] = batch[b].Positions.PositionIds[row, i];
                }
            }
        }

        var inputIds = tensor(ids, [batch.Count, maxLength], device: _device);
        var embeds = model.EmbedTokens.forward(inputIds);
        for (var b = 0; b < batch.Count; b++)
        {
            ScatterVideo(embeds[b], inputIds[b], batch[b].VideoEmbeds, b);
        }

        var step = new CachedStep(cache, slots, slots.Select(cache.Length).ToArray(), lengths, _device);
        try
        {
            var mask = step.Mask(maxLength, DType, _device);
            var hidden = model.Forward(embeds, tensor(positions, [3, batch.Count, maxLength], device: _device), mask, step);
            var last = tensor(lengths.Select(l => (long)l - 1).ToArray(), device: _device);
            var lastHidden = hidden.gather(1, last.view(-1, 1, 1).expand(-1, 1, hidden.shape[2])).squeeze(1);
            var logits = LmHead(lastHidden).to(ScalarType.Float32);
            for (var b = 0; b < batch.Count; b++)
            {
                cache.Advance(slots[b], lengths[b], batch[b].Positions.RopeDelta);
            }

            return logits.MoveToOuterDisposeScope();
        }
        finally
        {
            step.Dispose();
        }
    }

    /// <summary>One token per slot, each at position Length(slot) + RopeDelta(slot) on all three rows; logits [B, V] float32.</summary>
    public Tensor DecodeStep(long[] tokenIds, int[] slots, KvCachePool cache)
    {
        if (tokenIds.Length != slots.Length || slots.Length == 0)
        {
            throw new ArgumentException($"{tokenIds.Length} tokens for {slots.Length} slots", nameof(tokenIds));
        }

        if (slots.Distinct().Count() != slots.Length)
        {
            throw new ArgumentException("a slot appears twice in one decode step", nameof(slots));
        }

        CheckPool(cache);
        foreach (var slot in slots)
        {
            cache.CheckCapacity(slot, 1);
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var past = slots.Select(cache.Length).ToArray();
        var position = slots.Select((s, b) => past[b] + cache.RopeDelta(s)).ToArray();
        var positions = tensor(position, device: _device).view(1, -1, 1).expand(3, -1, 1);
        var embeds = model.EmbedTokens.forward(tensor(tokenIds, [tokenIds.Length, 1], device: _device));
        var step = new CachedStep(cache, slots, past, Enumerable.Repeat(1, slots.Length).ToArray(), _device);
        try
        {
            var mask = step.Mask(1, DType, _device);
            var hidden = model.Forward(embeds, positions, mask, step);
            var logits = LmHead(hidden.squeeze(1)).to(ScalarType.Float32);
            foreach (var slot in slots)
            {
                cache.Advance(slot, 1, ropeDelta: null);
            }

            return logits.MoveToOuterDisposeScope();
        }
        finally
        {
            step.Dispose();
        }
    }

    /// <summary>
    /// Full forward without a cache (autograd-capable): inputIds [B, L], positionIds [3, B, L], attentionMask [B, L]
    /// (1 = token, 0 = padding), videoEmbeds for the video pad tokens in row-major order. Returns logits [B, L, V] float32.
    /// </summary>
    public Tensor ForwardLogits(Tensor inputIds, Tensor positionIds, Tensor? attentionMask = null, Tensor? videoEmbeds = null) =>
        ForwardLogits(inputIds, positionIds, attentionMask, videoEmbeds, observe: null);

    internal Tensor ForwardLogits(Tensor inputIds, Tensor positionIds, Tensor? attentionMask, Tensor? videoEmbeds, Action<string, Tensor>? observe)
    {
        using var scope = NewDisposeScope();
        long b = inputIds.shape[0], l = inputIds.shape[1];
        var ids = inputIds.to(ScalarType.Int64).to(_device);
        var embeds = model.EmbedTokens.forward(ids);
        if (videoEmbeds is not null || ids.eq(Config.VideoTokenId).any().item<bool>())
        {
            embeds = ScatterVideo(embeds.clone(), ids, videoEmbeds, row: null);
        }

        observe?.Invoke("inputs_embeds", embeds);
        var causal = ones(l, l, ScalarType.Bool, _device).tril().view(1, 1, l, l);
        var visible = attentionMask is null
            ? causal
            : causal.logical_and(attentionMask.to(_device).to(ScalarType.Bool).view(b, 1, 1, l));
        var mask = zeros(visible.shape, DType, _device).masked_fill(visible.logical_not(), AttentionMath.MaskValue(DType));
        var hidden = model.Forward(embeds, positionIds.to(ScalarType.Int64).to(_device), mask, cache: null, observe);
        observe?.Invoke("final_norm_out", hidden);
        return LmHead(hidden).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    internal (Tensor Cos, Tensor Sin) RotaryCosSin(Tensor positionIds, Action<string, Tensor> observe) =>
        model.RotaryCosSin(positionIds.to(_device), DType, observe);

    private Tensor LmHead(Tensor hidden) =>
        lm_head is null ? nn.functional.linear(hidden, model.EmbedTokens.Weight) : lm_head.forward(hidden);

    // HF masked_scatter: video rows replace the <|video_pad|> embeddings in order; counts must agree.
    private Tensor ScatterVideo(Tensor embeds, Tensor ids, Tensor? video, int? row)
    {
        var where = row is null ? "" : $" (prefill row {row})";
        using var isVideo = ids.eq(Config.VideoTokenId);
        var count = isVideo.sum().item<long>();
        var rows = video?.shape[0] ?? 0;
        if (count != rows || (video is not null && (video.dim() != 2 || video.shape[1] != embeds.shape[^1])))
        {
            throw ModelErrors.Input(ModelErrors.VideoTokensMismatch,
                $"video features and video tokens do not match{where}: {count} <|video_pad|> tokens, " +
                $"video embeddings of shape [{string.Join(", ", video?.shape ?? [])}]");
        }

        if (video is null)
        {
            return embeds;
        }

        using var mask = isVideo.unsqueeze(-1).expand_as(embeds);
        using var source = video.to(embeds.dtype).to(_device);
        return embeds.masked_scatter_(mask, source);
    }

    private void CheckPool(KvCachePool cache)
    {
        if (cache.DType != DType)
        {
            throw new ArgumentException($"KV cache dtype {cache.DType} differs from the model dtype {DType}", nameof(cache));
        }
    }
}
