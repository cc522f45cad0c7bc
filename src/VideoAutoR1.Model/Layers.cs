using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VideoAutoR1.Model;

/// <summary>
/// Where parameters are allocated. Weights are created uninitialised (<c>torch.empty</c>): a checkpoint or a seeded
/// initialiser fills them, and the <c>meta</c> device gives shapes without memory.
/// </summary>
public sealed record ParameterFactory(ScalarType DType, Device Device)
{
    public Parameter Create(params long[] shape) => new(empty(shape, DType, Device));
}

/// <summary><c>nn.Linear</c> with uninitialised weights: y = x Wᵀ (+ b).</summary>
public sealed class QwenLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter? bias;

    public QwenLinear(long inFeatures, long outFeatures, bool hasBias, ParameterFactory factory) : base("Linear")
    {
        weight = factory.Create(outFeatures, inFeatures);
        bias = hasBias ? factory.Create(outFeatures) : null;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => nn.functional.linear(input, weight, bias);
}

/// <summary><c>nn.Embedding</c> with uninitialised weights.</summary>
public sealed class QwenEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;

    public QwenEmbedding(long count, long dim, ParameterFactory factory) : base("Embedding")
    {
        weight = factory.Create(count, dim);
        RegisterComponents();
    }

    public Tensor Weight => weight;

    // Advanced indexing, not index_select: on a grad-requiring weight libtorch's index_select took ~0.1 s per call
    // for a 152k-row table even under no_grad (measured in the model benchmark).
    public override Tensor forward(Tensor ids) => weight[ids];
}

/// <summary>Qwen2RMSNorm: normalise in float32, cast back, then scale in the input dtype.</summary>
public sealed class QwenRMSNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double _eps;

    public QwenRMSNorm(long dim, double eps, ParameterFactory factory) : base("RMSNorm")
    {
        weight = factory.Create(dim);
        _eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.to(ScalarType.Float32);
        var variance = x.pow(2).mean([-1], keepdim: true);
        x = x * rsqrt(variance + _eps);
        return (weight * x.to(input.dtype)).MoveToOuterDisposeScope();
    }
}

/// <summary><c>nn.LayerNorm</c> over the last dim with weight and bias.</summary>
public sealed class QwenLayerNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly long _dim;
    private readonly double _eps;

    public QwenLayerNorm(long dim, double eps, ParameterFactory factory) : base("LayerNorm")
    {
        weight = factory.Create(dim);
        bias = factory.Create(dim);
        _dim = dim;
        _eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => nn.functional.layer_norm(input, [_dim], weight, bias, _eps);
}

/// <summary>Attention arithmetic shared by the vision tower and the decoder (HF eager: float32 softmax).</summary>
internal static class AttentionMath
{
    /// <summary>softmax(q kᵀ · scale + mask) v with q [.., Lq, d], k/v [.., Lk, d]; mask additive or null.</summary>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, double scale, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var scores = matmul(q, k.transpose(-2, -1)) * scale;
        if (mask is not null)
        {
            scores = scores + mask;
        }

        var probs = scores.softmax(-1, ScalarType.Float32).to(q.dtype);
        return matmul(probs, v).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Decoder self-attention after the projections (HF eager order): rotary in the model dtype on q/k [B, heads, L, d],
    /// the new keys/values appended to the cache, kv heads repeated for GQA, then attention; returns [B, L, heads·d].
    /// </summary>
    public static Tensor CausalSelfAttention(Tensor q, Tensor k, Tensor v, Tensor cos, Tensor sin, Tensor mask, CachedStep? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long b = q.shape[0], l = q.shape[2];
        var c = cos.unsqueeze(1);
        var s = sin.unsqueeze(1);
        q = q * c + RotateHalf(q) * s;
        k = k * c + RotateHalf(k) * s;
        if (cache is not null)
        {
            (k, v) = cache.Append(layer, k, v);
        }

        var groups = q.shape[1] / k.shape[1];
        if (groups > 1)
        {
            k = k.repeat_interleave(groups, 1);
            v = v.repeat_interleave(groups, 1);
        }

        var attended = Attend(q, k, v, 1.0 / Math.Sqrt(q.shape[^1]), mask);
        return attended.transpose(1, 2).reshape(b, l, -1).MoveToOuterDisposeScope();
    }

    /// <summary>concat(-x[d/2:], x[:d/2]) on the last dim.</summary>
    public static Tensor RotateHalf(Tensor x)
    {
        var half = x.shape[^1] / 2;
        using var first = x.narrow(-1, 0, half);
        using var second = x.narrow(-1, half, half);
        using var negated = second.neg();
        return cat([negated, first], -1);
    }

    /// <summary>Additive mask value for excluded keys: the dtype's lowest finite value, as HF uses.</summary>
    public static double MaskValue(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => float.MinValue,
        ScalarType.BFloat16 => -3.3895313892515355e38,
        ScalarType.Float16 => -65504.0,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "no attention mask value"),
    };
}

internal static class RotaryMath
{
    /// <summary>1 / theta^(arange(0, dim, 2) / dim) in float32, with torch's op order so values match bit for bit.</summary>
    public static Tensor InverseFrequencies(double theta, long dim, Device device)
    {
        using var scope = NewDisposeScope();
        var exponent = arange(0, dim, 2, ScalarType.Int64, device).to(ScalarType.Float32) / dim;
        var basis = full(exponent.shape, theta, ScalarType.Float32, device);
        return pow(basis, exponent).reciprocal().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Vision 2-D rotary angles per patch: [row·inv, col·inv] in float32 with inv = 1 / 10000^(2i/d), d = head_dim/2;
    /// <paramref name="rowColIds"/> holds (row, col) pairs.
    /// </summary>
    public static Tensor VisionAngles(long[] rowColIds, int headDim, Device device)
    {
        using var scope = NewDisposeScope();
        var invFreq = InverseFrequencies(10000.0, headDim / 2, device);
        var ids = tensor(rowColIds, device: device).view(-1, 2).to(ScalarType.Float32);
        var rows = ids.narrow(1, 0, 1) * invFreq;
        var cols = ids.narrow(1, 1, 1) * invFreq;
        return cat([rows, cols], -1).MoveToOuterDisposeScope();
    }
}
