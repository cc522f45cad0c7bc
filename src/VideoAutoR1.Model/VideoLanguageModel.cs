using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace VideoAutoR1.Model;

/// <summary>
/// What the engine and the parity runner need from a Qwen vision-language model, whatever its family. Video features
/// are one row per video token; a family with DeepStack (Qwen3-VL) appends its DeepStack features to each row
/// (<c>[embed | deepstack_0 | …]</c>), so a caller splits them per request by rows without knowing the family.
/// All methods must be called from one thread (TorchSharp dispose scopes and grad mode are per thread).
/// </summary>
public interface IVideoLanguageModel : IDisposable
{
    /// <summary>The checkpoint's architecture, as <c>config.json</c> names it.</summary>
    string Architecture { get; }

    ModelLoadOptions Options { get; }

    ScalarType DType { get; }

    /// <summary>Decoder geometry (layers, kv heads, head_dim: the KV cache shape) and vocabulary.</summary>
    Qwen2_5_VLTextConfig Text { get; }

    IReadOnlyList<long> EosTokenIds { get; }

    long VideoTokenId { get; }

    int SpatialMergeSize { get; }

    /// <summary>Patch side, temporal patch and input channels of one pixel row (C·T·P·P values).</summary>
    (int PatchSize, int TemporalPatchSize, int InChannels) PatchGeometry { get; }

    RopeIndex GetRopeIndex(long[] inputIds, IReadOnlyList<GridThw> videoGrids, IReadOnlyList<double> secondPerGridTs);

    Tensor GetVideoFeatures(Tensor pixelValuesVideos, IReadOnlyList<GridThw> grids);

    Tensor Prefill(IReadOnlyList<PrefillInput> batch, KvCachePool cache);

    Tensor DecodeStep(long[] tokenIds, int[] slots, KvCachePool cache);

    Tensor ForwardLogits(Tensor inputIds, Tensor positionIds, Tensor? attentionMask = null, Tensor? videoEmbeds = null);

    /// <summary>Writes <c>config.json</c> and the weights in the checkpoint layout the loader reads back.</summary>
    void Save(string modelDir);
}

/// <summary>
/// Inspection hooks for the parity checker (a tool of the command line, <c>videoautor1 parity</c>): the same
/// computations with named intermediates reported. Implemented explicitly, so serving code never sees them.
/// </summary>
public interface IParityProbe
{
    long ImageTokenId { get; }

    Tensor GetVideoFeatures(Tensor pixelValuesVideos, IReadOnlyList<GridThw> grids, Action<string, Tensor> observe);

    Tensor ForwardLogits(Tensor inputIds, Tensor positionIds, Tensor? videoEmbeds, Action<string, Tensor> observe);

    void RotaryCosSin(Tensor positionIds, Action<string, Tensor> observe);

    /// <summary>Integer layout tensors of the vision tower for these grids, by fixture name.</summary>
    IReadOnlyList<(string Name, long[] Values)> VisionLayoutIndexes(IReadOnlyList<GridThw> grids);

    /// <summary>Rope index of a prompt with images and videos (the rope-index cases).</summary>
    RopeIndex GetRopeIndex(long[] inputIds, IReadOnlyList<GridThw> videoGrids, IReadOnlyList<double> secondPerGridTs,
        IReadOnlyList<GridThw> imageGrids, RopeIndexRule rule);
}

/// <summary>Picks the model family from <c>config.json</c> (<c>model_type</c>, else <c>architectures</c>).</summary>
public static class VideoLanguageModels
{
    public enum Family
    {
        Qwen2_5_VL,
        Qwen3VL,
    }

    public static Family Detect(string modelDir)
    {
        var path = Path.Combine(modelDir, Qwen2_5_VLConfig.FileName);
        if (!File.Exists(path))
        {
            throw ModelErrors.Model(ModelErrors.ConfigMissing, $"no {Qwen2_5_VLConfig.FileName} in model directory '{modelDir}'");
        }

        var root = ConfigJson.ParseObject(File.ReadAllText(path), path);
        var modelType = root["model_type"] is JsonValue type && type.TryGetValue<string>(out var t) ? t : null;
        var architectures = root["architectures"] is JsonArray list
            ? list.Select(a => a is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToArray()
            : [];
        return (modelType, architectures) switch
        {
            (Qwen3VLConfig.ModelType, _) => Family.Qwen3VL,
            ("qwen2_5_vl", _) => Family.Qwen2_5_VL,
            (null, var a) when a.Contains(Qwen3VLConfig.Architecture) => Family.Qwen3VL,

            // Configs written before model_type was checked carry neither field; they are Qwen2.5-VL.
            (null, var a) when a.Length == 0 || a.Contains(nameof(Qwen2_5_VLForConditionalGeneration)) => Family.Qwen2_5_VL,
            _ => throw ModelErrors.Model(ModelErrors.ConfigInvalid,
                $"{path}: model_type '{modelType}' / architectures [{string.Join(", ", architectures)}] is not supported " +
                "(supported: qwen2_5_vl, qwen3_vl)"),
        };
    }

    /// <summary>Loads the model of either family from a checkpoint directory.</summary>
    public static IVideoLanguageModel Load(string modelDir, ModelLoadOptions options) => Detect(modelDir) switch
    {
        Family.Qwen3VL => Qwen3VLForConditionalGeneration.Load(modelDir, options),
        _ => Qwen2_5_VLForConditionalGeneration.Load(modelDir, options),
    };
}

/// <summary>Batching and loading steps both families share.</summary>
internal static class ModelPlumbing
{
    /// <summary>Validates a prefill batch and packs it: ids [B, Lmax] right-padded, positions [3, B, Lmax], lengths.</summary>
    private static (Tensor Ids, Tensor Positions, int[] Slots, int[] Lengths) PackPrefill(
        IReadOnlyList<PrefillInput> batch, KvCachePool cache, ScalarType dtype, Device device)
    {
        ArgumentOutOfRangeException.ThrowIfZero(batch.Count);
        CheckPool(cache, dtype);
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

        return (tensor(ids, [batch.Count, maxLength], device: device),
            tensor(positions, [3, batch.Count, maxLength], device: device), slots, lengths);
    }

    /// <summary>
    /// A batched prefill: packs the rows, builds the embeddings (<paramref name="inputs"/> scatters each row's video
    /// features and returns what the decoder needs besides), runs the decoder over the slots and returns the
    /// last-position logits [B, V] float32.
    /// </summary>
    public static Tensor Prefill<TExtra>(
        IReadOnlyList<PrefillInput> batch, KvCachePool cache, ScalarType dtype, Device device,
        Func<Tensor, (Tensor Embeds, TExtra Extra)> inputs,
        Func<Tensor, Tensor, Tensor, CachedStep, TExtra, Tensor> decoder,
        Func<Tensor, Tensor> head)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (inputIds, positions, slots, lengths) = PackPrefill(batch, cache, dtype, device);
        var (embeds, extra) = inputs(inputIds);
        var step = new CachedStep(cache, slots, slots.Select(cache.Length).ToArray(), lengths, device);
        try
        {
            var mask = step.Mask(inputIds.shape[1], dtype, device);
            var hidden = decoder(embeds, positions, mask, step, extra);
            var logits = head(LastRows(hidden, lengths)).to(ScalarType.Float32);
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

    /// <summary>One token per slot at Length(slot) + RopeDelta(slot) on all three rows; logits [B, V] float32.</summary>
    public static Tensor DecodeStep(
        long[] tokenIds, int[] slots, KvCachePool cache, ScalarType dtype, Device device,
        Func<Tensor, Tensor> embed,
        Func<Tensor, Tensor, Tensor, CachedStep, Tensor> decoder,
        Func<Tensor, Tensor> head)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (past, positions) = PackDecode(tokenIds, slots, cache, dtype, device);
        var embeds = embed(tensor(tokenIds, [tokenIds.Length, 1], device: device));
        var step = new CachedStep(cache, slots, past, Enumerable.Repeat(1, slots.Length).ToArray(), device);
        try
        {
            var mask = step.Mask(1, dtype, device);
            var logits = head(decoder(embeds, positions, mask, step).squeeze(1)).to(ScalarType.Float32);
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

    /// <summary>Returns <paramref name="module"/> after <paramref name="fill"/> ran on it, or disposes it if that throws.</summary>
    public static T Materialise<T>(T module, Action<T> fill)
        where T : nn.Module
    {
        try
        {
            fill(module);
            return module;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>Hidden states at each row's last real position: [B, L, D] → [B, D].</summary>
    private static Tensor LastRows(Tensor hidden, int[] lengths)
    {
        using var last = tensor(lengths.Select(l => (long)l - 1).ToArray(), device: hidden.device);
        return hidden.gather(1, last.view(-1, 1, 1).expand(-1, 1, hidden.shape[2])).squeeze(1);
    }

    /// <summary>Validates a decode step; returns each slot's cached length and its position tensor [3, B, 1].</summary>
    private static (int[] Past, Tensor Positions) PackDecode(long[] tokenIds, int[] slots, KvCachePool cache, ScalarType dtype, Device device)
    {
        if (tokenIds.Length != slots.Length || slots.Length == 0)
        {
            throw new ArgumentException($"{tokenIds.Length} tokens for {slots.Length} slots", nameof(tokenIds));
        }

        if (slots.Distinct().Count() != slots.Length)
        {
            throw new ArgumentException("a slot appears twice in one decode step", nameof(slots));
        }

        CheckPool(cache, dtype);
        foreach (var slot in slots)
        {
            cache.CheckCapacity(slot, 1);
        }

        var past = slots.Select(cache.Length).ToArray();
        var position = slots.Select((s, b) => past[b] + cache.RopeDelta(s)).ToArray();
        return (past, tensor(position, device: device).view(1, -1, 1).expand(3, -1, 1));
    }

    /// <summary>Additive causal mask [B, 1, L, L] for a cache-less forward; attentionMask [B, L] marks real tokens.</summary>
    public static Tensor CausalMask(long b, long l, Tensor? attentionMask, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        var causal = ones(l, l, ScalarType.Bool, device).tril().view(1, 1, l, l);
        var visible = attentionMask is null
            ? causal
            : causal.logical_and(attentionMask.to(device).to(ScalarType.Bool).view(b, 1, 1, l));
        return zeros(visible.shape, dtype, device).masked_fill(visible.logical_not(), AttentionMath.MaskValue(dtype))
            .MoveToOuterDisposeScope();
    }

    /// <summary>
    /// HF masked_scatter: <paramref name="rows"/> replace the rows of <paramref name="target"/> [.., L, D] where
    /// <paramref name="ids"/> is the token; counts must agree.
    /// </summary>
    public static Tensor ScatterRows(Tensor target, Tensor ids, long tokenId, Tensor? rows, string where)
    {
        using var isToken = ids.eq(tokenId);
        var count = isToken.sum().item<long>();
        var available = rows?.shape[0] ?? 0;
        if (count != available || (rows is not null && (rows.dim() != 2 || rows.shape[1] != target.shape[^1])))
        {
            throw ModelErrors.Input(ModelErrors.VideoTokensMismatch,
                $"video features and video tokens do not match{where}: {count} <|video_pad|> tokens, " +
                $"video embeddings of shape [{string.Join(", ", rows?.shape ?? [])}]");
        }

        if (rows is null)
        {
            return target;
        }

        using var mask = isToken.unsqueeze(-1).expand_as(target);
        using var source = rows.to(target.dtype).to(target.device).contiguous();
        return target.masked_scatter_(mask, source);
    }

    /// <summary>
    /// Validates the checkpoint against the module's parameters and copies every tensor in. <paramref name="hubName"/>
    /// maps a parameter name to the name <see cref="CheckpointIndex"/> keys it by.
    /// </summary>
    public static void LoadWeights(nn.Module module, CheckpointIndex checkpoint, IReadOnlyList<(string Name, long[] Shape)> shapes,
        Func<string, string> hubName, bool tiedEmbeddings)
    {
        checkpoint.Validate(shapes.Select(s => (hubName(s.Name), s.Shape)).ToList(), tiedEmbeddings);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in module.named_parameters())
        {
            var (file, entry) = checkpoint.Tensors[hubName(name)];
            file.ReadInto(entry, parameter);
        }
    }

    /// <summary>Seeded random weights: weights N(0, 0.02), biases 0, norm weights (1-D) 1.</summary>
    public static void InitRandom(nn.Module module, long seed)
    {
        using var noGrad = no_grad();
        var generator = new Generator((ulong)seed);
        foreach (var (name, parameter) in module.named_parameters())
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
    }

    private static void CheckPool(KvCachePool cache, ScalarType dtype)
    {
        if (cache.DType != dtype)
        {
            throw new ArgumentException($"KV cache dtype {cache.DType} differs from the model dtype {dtype}", nameof(cache));
        }
    }
}
