using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VideoAutoR1.Model;

/// <summary>Qwen2 attention: q/k/v with bias, o without, GQA, M-RoPE applied in the model dtype.</summary>
public sealed class Qwen2_5_VLAttention : nn.Module
{
    private readonly QwenLinear q_proj;
    private readonly QwenLinear k_proj;
    private readonly QwenLinear v_proj;
    private readonly QwenLinear o_proj;
    private readonly int _heads;
    private readonly int _kvHeads;
    private readonly int _headDim;

    public Qwen2_5_VLAttention(Qwen2_5_VLTextConfig c, ParameterFactory factory) : base("self_attn")
    {
        _heads = c.NumAttentionHeads;
        _kvHeads = c.NumKeyValueHeads;
        _headDim = c.HeadDim;
        q_proj = new QwenLinear(c.HiddenSize, (long)_heads * _headDim, true, factory);
        k_proj = new QwenLinear(c.HiddenSize, (long)_kvHeads * _headDim, true, factory);
        v_proj = new QwenLinear(c.HiddenSize, (long)_kvHeads * _headDim, true, factory);
        o_proj = new QwenLinear((long)_heads * _headDim, c.HiddenSize, false, factory);
        RegisterComponents();
    }

    /// <param name="x">[B, L, hidden]</param>
    /// <param name="cos">[B, L, head_dim] section-mixed, model dtype (sin likewise)</param>
    /// <param name="mask">additive [B, 1, L, Lk]</param>
    /// <param name="cache">when set, the new keys/values are written to the slots and attention runs over the cache</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor mask, CachedStep? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], l = x.shape[1];
        var q = q_proj.forward(x).view(b, l, _heads, _headDim).transpose(1, 2);
        var k = k_proj.forward(x).view(b, l, _kvHeads, _headDim).transpose(1, 2);
        var v = v_proj.forward(x).view(b, l, _kvHeads, _headDim).transpose(1, 2);
        var merged = AttentionMath.CausalSelfAttention(q, k, v, cos, sin, mask, cache, layer);
        return o_proj.forward(merged).MoveToOuterDisposeScope();
    }
}

public sealed class Qwen2_5_VLDecoderLayer : nn.Module
{
    private readonly Qwen2_5_VLAttention self_attn;
    private readonly Qwen2_5_VLMLP mlp;
    private readonly QwenRMSNorm input_layernorm;
    private readonly QwenRMSNorm post_attention_layernorm;

    public Qwen2_5_VLDecoderLayer(Qwen2_5_VLTextConfig c, ParameterFactory factory) : base("layer")
    {
        self_attn = new Qwen2_5_VLAttention(c, factory);
        mlp = new Qwen2_5_VLMLP(c.HiddenSize, c.IntermediateSize, bias: false, factory);
        input_layernorm = new QwenRMSNorm(c.HiddenSize, c.RmsNormEps, factory);
        post_attention_layernorm = new QwenRMSNorm(c.HiddenSize, c.RmsNormEps, factory);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor mask, CachedStep? cache, int layer)
    {
        using var scope = NewDisposeScope();
        var h = x + self_attn.Forward(input_layernorm.forward(x), cos, sin, mask, cache, layer);
        return (h + mlp.forward(post_attention_layernorm.forward(h))).MoveToOuterDisposeScope();
    }
}

/// <summary>Qwen2 decoder stack with multimodal rotary positions (docs/specs/qwen-vl.md §D).</summary>
public sealed class Qwen2_5_VLTextModel : nn.Module
{
    private readonly QwenEmbedding embed_tokens;
    private readonly ModuleList<Qwen2_5_VLDecoderLayer> layers;
    private readonly QwenRMSNorm norm;
    private readonly Qwen2_5_VLTextConfig _config;

    public Qwen2_5_VLTextModel(Qwen2_5_VLTextConfig config, ParameterFactory factory) : base("model")
    {
        _config = config;
        embed_tokens = new QwenEmbedding(config.VocabSize, config.HiddenSize, factory);
        layers = new ModuleList<Qwen2_5_VLDecoderLayer>(
            Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new Qwen2_5_VLDecoderLayer(config, factory)).ToArray());
        norm = new QwenRMSNorm(config.HiddenSize, config.RmsNormEps, factory);
        RegisterComponents();
    }

    public QwenEmbedding EmbedTokens => embed_tokens;

    /// <summary>embeds [B, L, hidden], positionIds [3, B, L] int64 → final-norm hidden states [B, L, hidden].</summary>
    public Tensor Forward(Tensor embeds, Tensor positionIds, Tensor mask, CachedStep? cache, Action<string, Tensor>? observe = null)
    {
        using var scope = NewDisposeScope();
        var (cos, sin) = RotaryCosSin(positionIds, embeds.dtype);
        var h = embeds;
        for (var i = 0; i < layers.Count; i++)
        {
            h = layers[i].Forward(h, cos, sin, mask, cache, i);
            observe?.Invoke($"layer{i}_out", h);
        }

        return norm.forward(h).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// cos/sin for the three position rows in float32, cast to the model dtype, then mixed by <c>mrope_section</c>:
    /// frequency chunk j (sections repeated twice) comes from row j % 3.
    /// </summary>
    public (Tensor Cos, Tensor Sin) RotaryCosSin(Tensor positionIds, ScalarType dtype, Action<string, Tensor>? observe = null)
    {
        using var scope = NewDisposeScope();
        var invFreq = RotaryMath.InverseFrequencies(_config.RopeTheta, _config.HeadDim, positionIds.device);
        var freqs = positionIds.to(ScalarType.Float32).unsqueeze(-1) * invFreq;      // [3, B, L, d/2]
        var emb = cat([freqs, freqs], -1);
        var cos = emb.cos();
        var sin = emb.sin();
        observe?.Invoke("rope_cos", cos);
        observe?.Invoke("rope_sin", sin);
        var sections = _config.MropeSection.Concat(_config.MropeSection).Select(s => (long)s).ToArray();
        Tensor Mix(Tensor t)
        {
            var chunks = t.to(dtype).split(sections, -1);
            return cat(chunks.Select((chunk, j) => chunk[j % 3]).ToArray(), -1);
        }

        return (Mix(cos).MoveToOuterDisposeScope(), Mix(sin).MoveToOuterDisposeScope());
    }
}

/// <summary>
/// One cached forward over a batch of slots: row b appends <c>NewLengths[b]</c> tokens after
/// <c>PastLengths[b]</c> cached ones and attends over its own slot's prefix only.
/// </summary>
public sealed class CachedStep
{
    private readonly KvCachePool _pool;
    private readonly Tensor _slotIndex;

    internal CachedStep(KvCachePool pool, int[] slots, int[] pastLengths, int[] newLengths, Device device)
    {
        _pool = pool;
        Slots = slots;
        PastLengths = pastLengths;
        NewLengths = newLengths;
        KeyLength = slots.Select((_, b) => pastLengths[b] + newLengths[b]).Max();
        _slotIndex = tensor(slots.Select(s => (long)s).ToArray(), device: device);
    }

    public int[] Slots { get; }
    public int[] PastLengths { get; }
    public int[] NewLengths { get; }
    public int KeyLength { get; }

    /// <summary>Additive mask [B, 1, Lq, KeyLength]: key j is visible to query i iff j ≤ past + i and j &lt; past + new.</summary>
    public Tensor Mask(long queryLength, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        var keys = arange(KeyLength, device: device).view(1, 1, -1);
        var queries = arange(queryLength, device: device).view(1, -1, 1);
        var past = tensor(PastLengths.Select(p => (long)p).ToArray(), device: device).view(-1, 1, 1);
        var total = tensor(PastLengths.Select((p, b) => (long)(p + NewLengths[b])).ToArray(), device: device).view(-1, 1, 1);
        var visible = keys.le(past + queries).logical_and(keys.lt(total));
        var mask = zeros(visible.shape, dtype, device).masked_fill(visible.logical_not(), AttentionMath.MaskValue(dtype));
        return mask.unsqueeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>Writes k/v [B, kvHeads, Lq, d] into the slots and returns the slots' keys/values up to KeyLength.</summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        var cacheK = _pool.Keys(layer);
        var cacheV = _pool.Values(layer);
        using (no_grad())
        {
            for (var b = 0; b < Slots.Length; b++)
            {
                using var targetK = cacheK[Slots[b]].narrow(1, PastLengths[b], NewLengths[b]);
                using var targetV = cacheV[Slots[b]].narrow(1, PastLengths[b], NewLengths[b]);
                using var sourceK = k[b].narrow(1, 0, NewLengths[b]);
                using var sourceV = v[b].narrow(1, 0, NewLengths[b]);
                targetK.copy_(sourceK);
                targetV.copy_(sourceV);
            }
        }

        return (cacheK.index_select(0, _slotIndex).narrow(2, 0, KeyLength),
            cacheV.index_select(0, _slotIndex).narrow(2, 0, KeyLength));
    }

    internal void Dispose() => _slotIndex.Dispose();
}
