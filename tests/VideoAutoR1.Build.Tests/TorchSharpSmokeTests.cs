using TorchSharp;
using static TorchSharp.torch;

namespace VideoAutoR1.Build.Tests;

/// <summary>Runs real libtorch through TorchSharp: proves the native library loads on this host.</summary>
public sealed class TorchSharpSmokeTests
{
    [Fact]
    public void Matmul_matches_hand_computed_product()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4 }, 2, 2);
        var b = tensor(new float[] { 5, 6, 7, 8 }, 2, 2);
        var c = matmul(a, b);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, c.data<float>().ToArray());
    }

    [Fact]
    public void Bfloat16_cast_rounds_to_eight_mantissa_bits()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1.0f, 1.00390625f, 3.14159265f });
        var roundTrip = x.to(ScalarType.BFloat16).to(ScalarType.Float32).data<float>().ToArray();
        Assert.Equal(ScalarType.BFloat16, x.to(ScalarType.BFloat16).dtype);
        Assert.Equal(new float[] { 1.0f, 1.0f, 3.140625f }, roundTrip);
    }

    [Fact]
    public void Scaled_dot_product_attention_matches_explicit_softmax()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(7);
        var q = randn(new long[] { 1, 2, 5, 8 }, generator: generator);
        var k = randn(new long[] { 1, 2, 5, 8 }, generator: generator);
        var v = randn(new long[] { 1, 2, 5, 8 }, generator: generator);

        var fused = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);

        var scores = matmul(q, k.transpose(-2, -1)) / Math.Sqrt(8);
        var causal = ones(5, 5, dtype: ScalarType.Bool).triu(1);
        var expected = matmul(scores.masked_fill(causal, double.NegativeInfinity).softmax(-1), v);
        Assert.True(allclose(fused, expected, rtol: 1e-5, atol: 1e-6), "SDPA differs from explicit attention");
    }
}
