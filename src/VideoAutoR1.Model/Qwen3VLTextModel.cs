using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VideoAutoR1.Model;

/// <summary>Qwen3 attention: q/k/v/o (biases only with <c>attention_bias</c>), QwenRMSNorm over head_dim on q and k before RoPE.</summary>
public sealed class Qwen3VLTextAttention : nn.Module
{
    private readonly QwenLinear q_proj;
    private readonly QwenLinear k_proj;
    private readonly QwenLinear v_proj;
    private readonly QwenLinear o_proj;
    private readonly QwenRMSNorm q_norm;
    private readonly QwenRMSNorm k_norm;
    private readonly int _headDim;

    public Qwen3VLTextAttention(Qwen2_5_VLTextConfig c, bool bias, ParameterFactory factory) : base("self_attn")
    {
        _headDim = c.HeadDim;
        q_proj = new QwenLinear(c.HiddenSize, (long)c.NumAttentionHeads * _headDim, bias, factory);
        k_proj = new QwenLinear(c.HiddenSize, (long)c.NumKeyValueHeads * _headDim, bias, factory);
        v_proj = new QwenLinear(c.HiddenSize, (long)c.NumKeyValueHeads * _headDim, bias, factory);
        o_proj = new QwenLinear((long)c.NumAttentionHeads * _headDim, c.HiddenSize, bias, factory);
        q_norm = new QwenRMSNorm(_headDim, c.RmsNormEps, factory);
        k_norm = new QwenRMSNorm(_headDim, c.RmsNormEps, factory);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor mask, CachedStep? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], l = x.shape[1];
        var q = q_norm.forward(q_proj.forward(x).view(b, l, -1, _headDim)).transpose(1, 2);
        var k = k_norm.forward(k_proj.forward(x).view(b, l, -1, _headDim)).transpose(1, 2);
        var v = v_proj.forward(x).view(b, l, -1, _headDim).transpose(1, 2);
        var merged = AttentionMath.CausalSelfAttention(q, k, v, cos, sin, mask, cache, layer);
        return o_proj.forward(merged).MoveToOuterDisposeScope();
    }
}

public sealed class Qwen3VLTextDecoderLayer : nn.Module
{
    private readonly Qwen3VLTextAttention self_attn;
    private readonly Qwen2_5_VLMLP mlp;
    private readonly QwenRMSNorm input_layernorm;
    private readonly QwenRMSNorm post_attention_layernorm;

    public Qwen3VLTextDecoderLayer(Qwen2_5_VLTextConfig c, bool attentionBias, ParameterFactory factory) : base("layer")
    {
        self_attn = new Qwen3VLTextAttention(c, attentionBias, factory);
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

/// <summary>
/// DeepStack input of one forward: <see cref="Features"/>[j] [B, L, hidden] is added to the hidden states after text
/// layer j; rows that are not visual tokens hold zeros (x + 0 is x exactly, so this equals HF's indexed add).
/// </summary>
public sealed record DeepstackInput(IReadOnlyList<Tensor> Features);

/// <summary>Qwen3 decoder stack with interleaved multimodal rotary positions and DeepStack injection.</summary>
public sealed class Qwen3VLTextModel : nn.Module
{
    private readonly QwenEmbedding embed_tokens;
    private readonly ModuleList<Qwen3VLTextDecoderLayer> layers;
    private readonly QwenRMSNorm norm;
    private readonly Qwen2_5_VLTextConfig _config;

    public Qwen3VLTextModel(Qwen2_5_VLTextConfig config, bool attentionBias, ParameterFactory factory) : base("language_model")
    {
        _config = config;
        embed_tokens = new QwenEmbedding(config.VocabSize, config.HiddenSize, factory);
        layers = new ModuleList<Qwen3VLTextDecoderLayer>(
            Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new Qwen3VLTextDecoderLayer(config, attentionBias, factory)).ToArray());
        norm = new QwenRMSNorm(config.HiddenSize, config.RmsNormEps, factory);
        RegisterComponents();
    }

    public QwenEmbedding EmbedTokens => embed_tokens;

    /// <summary>embeds [B, L, hidden], positionIds [3, B, L] int64 → final-norm hidden states [B, L, hidden].</summary>
    public Tensor Forward(Tensor embeds, Tensor positionIds, Tensor mask, CachedStep? cache, DeepstackInput? deepstack,
        Action<string, Tensor>? observe = null)
    {
        using var scope = NewDisposeScope();
        var (cos, sin) = RotaryCosSin(positionIds, embeds.dtype);
        var h = embeds;
        for (var i = 0; i < layers.Count; i++)
        {
            h = layers[i].Forward(h, cos, sin, mask, cache, i);
            if (deepstack is not null && i < deepstack.Features.Count)
            {
                observe?.Invoke($"layer{i}_out_before_deepstack", h);
                h = h + deepstack.Features[i];
            }

            observe?.Invoke($"layer{i}_out", h);
        }

        return norm.forward(h).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// cos/sin [B, L, head_dim] in the model dtype: frequencies per row in float32, then interleaved (HF
    /// <c>apply_interleaved_mrope</c>): index i takes the h row when i % 3 == 1 and i &lt; 3·section[1], the w row when
    /// i % 3 == 2 and i &lt; 3·section[2], else the t row; then cat(freqs, freqs).
    /// </summary>
    public (Tensor Cos, Tensor Sin) RotaryCosSin(Tensor positionIds, ScalarType dtype, Action<string, Tensor>? observe = null)
    {
        using var scope = NewDisposeScope();
        var half = _config.HeadDim / 2;
        var invFreq = RotaryMath.InverseFrequencies(_config.RopeTheta, _config.HeadDim, positionIds.device);
        var freqs = positionIds.to(ScalarType.Float32).unsqueeze(-1) * invFreq;      // [3, B, L, d/2]
        var section = _config.MropeSection;
        var rows = Enumerable.Range(0, half)
            .Select(i => i % 3 == 1 && i < 3 * section[1] ? 1L : i % 3 == 2 && i < 3 * section[2] ? 2L : 0L).ToArray();
        var index = tensor(rows, device: positionIds.device).view(1, 1, 1, -1).expand(1, freqs.shape[1], freqs.shape[2], half);
        var mixed = freqs.gather(0, index).squeeze(0);
        var emb = cat([mixed, mixed], -1);
        var cos = emb.cos().to(dtype);
        var sin = emb.sin().to(dtype);
        observe?.Invoke("rope_cos", cos);
        observe?.Invoke("rope_sin", sin);
        return (cos.MoveToOuterDisposeScope(), sin.MoveToOuterDisposeScope());
    }
}
