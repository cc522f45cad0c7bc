using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VideoAutoR1.Model;

/// <summary>
/// Conv3d patch embedding with kernel = stride = one patch (<c>proj</c>; Qwen2.5-VL has no bias, Qwen3-VL has one). Run
/// as the Conv3d HF runs, not as the equivalent matmul: the two sum the C·T·P·P products in different orders.
/// </summary>
public sealed class Qwen2_5_VisionPatchEmbed : nn.Module<Tensor, Tensor>
{
    private readonly Conv3dWeight proj;

    public Qwen2_5_VisionPatchEmbed(int hidden, int inChannels, int temporalPatch, int patch, bool bias, ParameterFactory factory)
        : base("patch_embed")
    {
        proj = new Conv3dWeight(hidden, inChannels, temporalPatch, patch, bias, factory);
        RegisterComponents();
    }

    /// <summary>pixel rows [N, C·T·P·P] → [N, hidden]; each row is one (C, T, P, P) kernel volume.</summary>
    public override Tensor forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var shape = proj.Weight.shape;
        var volumes = pixels.view(-1, shape[1], shape[2], shape[3], shape[4]);
        var stride = new[] { shape[2], shape[3], shape[4] };
        return nn.functional.conv3d(volumes, proj.Weight, proj.Bias, stride).view(-1, shape[0]).MoveToOuterDisposeScope();
    }

    /// <summary>Holds <c>proj.weight</c> [hidden, C, T, P, P] (and <c>proj.bias</c>) under the checkpoint's Conv3d name.</summary>
    private sealed class Conv3dWeight : nn.Module
    {
        private readonly Parameter weight;
        private readonly Parameter? bias;

        public Conv3dWeight(int hidden, int inChannels, int temporalPatch, int patch, bool hasBias, ParameterFactory factory) : base("proj")
        {
            weight = factory.Create(hidden, inChannels, temporalPatch, patch, patch);
            bias = hasBias ? factory.Create(hidden) : null;
            RegisterComponents();
        }

        public Tensor Weight => weight;

        public Tensor? Bias => bias;
    }
}

/// <summary>Fused-qkv attention over independent segments (windows or temporal groups) with 2-D rotary.</summary>
public sealed class Qwen2_5_VLVisionAttention : nn.Module
{
    /// <summary>Attention scores computed at once, in elements (128 MB in float32).</summary>
    private const long ScoreBudget = 1L << 25;

    private readonly QwenLinear qkv;
    private readonly QwenLinear proj;
    private readonly int _heads;
    private readonly int _headDim;

    public Qwen2_5_VLVisionAttention(int hidden, int heads, ParameterFactory factory) : base("attn")
    {
        qkv = new QwenLinear(hidden, 3L * hidden, true, factory);
        proj = new QwenLinear(hidden, hidden, true, factory);
        _heads = heads;
        _headDim = hidden / heads;
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, VisionSegments segments, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var n = x.shape[0];
        var parts = qkv.forward(x).view(n, 3, _heads, _headDim).unbind(1);
        var q = ApplyRotary(parts[0], cos, sin).transpose(0, 1);     // [heads, N, d]
        var k = ApplyRotary(parts[1], cos, sin).transpose(0, 1);
        var v = parts[2].transpose(0, 1);
        var scale = 1.0 / Math.Sqrt(_headDim);

        // One attention per segment, as HF's eager path splits by cu_seqlens (a batched matmul over equal-length
        // segments may round differently). A long segment (a full-attention frame pair of a large video) attends
        // ScoreBudget / (heads x length) query rows at a time, so its score matrix never holds heads x length² floats.
        var outputs = new List<Tensor>();
        foreach (var b in segments.Bounds)
        {
            var (keys, values) = (k.narrow(1, b.Start, b.Length), v.narrow(1, b.Start, b.Length));
            var rowsAtOnce = Math.Clamp(ScoreBudget / (_heads * b.Length), 1, b.Length);
            for (var row = 0L; row < b.Length; row += rowsAtOnce)
            {
                var rows = Math.Min(rowsAtOnce, b.Length - row);
                outputs.Add(AttentionMath.Attend(q.narrow(1, b.Start + row, rows), keys, values, scale, mask: null));
            }
        }

        var merged = cat(outputs, 1).transpose(0, 1).reshape(n, -1);
        return proj.forward(merged).MoveToOuterDisposeScope();
    }

    // Rotation in float32, cast back (apply_rotary_pos_emb_vision).
    private static Tensor ApplyRotary(Tensor x, Tensor cos, Tensor sin)
    {
        var xf = x.to(ScalarType.Float32);
        var c = cos.unsqueeze(-2);
        var s = sin.unsqueeze(-2);
        return (xf * c + AttentionMath.RotateHalf(xf) * s).to(x.dtype);
    }
}

/// <summary>SwiGLU MLP; <paramref name="bias"/> is true in the vision tower, false in the decoder.</summary>
public sealed class Qwen2_5_VLMLP : nn.Module<Tensor, Tensor>
{
    private readonly QwenLinear gate_proj;
    private readonly QwenLinear up_proj;
    private readonly QwenLinear down_proj;

    public Qwen2_5_VLMLP(long hidden, long intermediate, bool bias, ParameterFactory factory) : base("mlp")
    {
        gate_proj = new QwenLinear(hidden, intermediate, bias, factory);
        up_proj = new QwenLinear(hidden, intermediate, bias, factory);
        down_proj = new QwenLinear(intermediate, hidden, bias, factory);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var gated = nn.functional.silu(gate_proj.forward(x)) * up_proj.forward(x);
        return down_proj.forward(gated).MoveToOuterDisposeScope();
    }
}

public sealed class Qwen2_5_VLVisionBlock : nn.Module
{
    private readonly QwenRMSNorm norm1;
    private readonly QwenRMSNorm norm2;
    private readonly Qwen2_5_VLVisionAttention attn;
    private readonly Qwen2_5_VLMLP mlp;

    public Qwen2_5_VLVisionBlock(Qwen2_5_VLVisionConfig c, ParameterFactory factory) : base("block")
    {
        norm1 = new QwenRMSNorm(c.HiddenSize, 1e-6, factory);
        norm2 = new QwenRMSNorm(c.HiddenSize, 1e-6, factory);
        attn = new Qwen2_5_VLVisionAttention(c.HiddenSize, c.NumHeads, factory);
        mlp = new Qwen2_5_VLMLP(c.HiddenSize, c.IntermediateSize, bias: true, factory);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, VisionSegments segments, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        using var normed1 = norm1.forward(x);
        var h = x + attn.Forward(normed1, segments, cos, sin);
        using var normed2 = norm2.forward(h);
        return (h + mlp.forward(normed2)).MoveToOuterDisposeScope();
    }
}

/// <summary>QwenRMSNorm per patch, concatenate each 2x2 merge group, then QwenLinear → exact GELU → QwenLinear.</summary>
public sealed class Qwen2_5_VLPatchMerger : nn.Module<Tensor, Tensor>
{
    private readonly QwenRMSNorm ln_q;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> mlp;
    private readonly long _mergedDim;

    public Qwen2_5_VLPatchMerger(Qwen2_5_VLVisionConfig c, ParameterFactory factory) : base("merger")
    {
        _mergedDim = (long)c.HiddenSize * c.SpatialMergeUnit;
        ln_q = new QwenRMSNorm(c.HiddenSize, 1e-6, factory);
        mlp = new ModuleList<nn.Module<Tensor, Tensor>>(
            new QwenLinear(_mergedDim, _mergedDim, true, factory),
            nn.GELU(),
            new QwenLinear(_mergedDim, c.OutHiddenSize, true, factory));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = ln_q.forward(x).view(-1, _mergedDim);
        foreach (var layer in mlp)
        {
            h = layer.forward(h);
        }

        return h.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Qwen2.5-VL vision tower: patch embed → window reorder → blocks (window or per-temporal-group full attention)
/// → merger → back to processor order (docs/specs/qwen-vl.md §C).
/// </summary>
public sealed class Qwen2_5_VisionTransformer : nn.Module
{
    private readonly Qwen2_5_VisionPatchEmbed patch_embed;
    private readonly ModuleList<Qwen2_5_VLVisionBlock> blocks;
    private readonly Qwen2_5_VLPatchMerger merger;
    private readonly Qwen2_5_VLVisionConfig _config;

    public Qwen2_5_VisionTransformer(Qwen2_5_VLVisionConfig config, ParameterFactory factory) : base("visual")
    {
        _config = config;
        patch_embed = new Qwen2_5_VisionPatchEmbed(
            config.HiddenSize, config.InChannels, config.TemporalPatchSize, config.PatchSize, bias: false, factory);
        blocks = new ModuleList<Qwen2_5_VLVisionBlock>(
            Enumerable.Range(0, config.Depth).Select(_ => new Qwen2_5_VLVisionBlock(config, factory)).ToArray());
        merger = new Qwen2_5_VLPatchMerger(config, factory);
        RegisterComponents();
    }

    /// <summary>
    /// pixels [N, C·T·P·P] in processor order → [N/merge², out_hidden] in processor order. <paramref name="observe"/>
    /// receives named intermediates (parity checks); it must not keep the tensors.
    /// </summary>
    public Tensor Forward(Tensor pixels, IReadOnlyList<GridThw> grids, Action<string, Tensor>? observe = null)
    {
        using var scope = NewDisposeScope();
        var layout = VisionLayout.Build(_config, grids);
        var dtype = patch_embed.parameters().First().dtype;
        var device = pixels.device;
        var x = patch_embed.forward(pixels.to(dtype));
        observe?.Invoke("vision.patch_embed", x);

        var unit = _config.SpatialMergeUnit;
        var n = x.shape[0];
        var windowIndex = tensor(layout.WindowIndex, device: device);
        x = x.view(n / unit, unit, -1).index_select(0, windowIndex).view(n, -1);
        var rotary = RotaryMath.VisionAngles(layout.RotaryPositionIds, _config.HeadDim, device);
        rotary = rotary.view(n / unit, unit, -1).index_select(0, windowIndex).view(n, -1);
        var emb = cat([rotary, rotary], -1);
        var cos = emb.cos();
        var sin = emb.sin();

        var full = new VisionSegments(layout.CuSeqlens);
        var windows = new VisionSegments(layout.CuWindowSeqlens);
        for (var i = 0; i < blocks.Count; i++)
        {
            var segments = _config.FullattBlockIndexes.Contains(i) ? full : windows;
            x = blocks[i].Forward(x, segments, cos, sin);
            observe?.Invoke($"vision.block{i}_out", x);
        }

        var merged = merger.forward(x);
        observe?.Invoke("vision.merger_out_window_order", merged);
        var reverse = windowIndex.argsort();
        return merged.index_select(0, reverse).MoveToOuterDisposeScope();
    }

}

/// <summary>Attention segments (start, length in patches) from cumulative boundaries; empty segments are dropped.</summary>
public sealed class VisionSegments
{
    public VisionSegments(long[] cumulative)
    {
        Bounds = Enumerable.Range(1, cumulative.Length - 1)
            .Select(i => (Start: cumulative[i - 1], Length: cumulative[i] - cumulative[i - 1]))
            .Where(b => b.Length > 0)
            .ToArray();
    }

    public IReadOnlyList<(long Start, long Length)> Bounds { get; }
}

/// <summary>
/// Index bookkeeping of the vision tower for a list of grids: rotary (row, col) per patch, the window permutation of
/// merge groups, and the cumulative segment lengths for window and full attention (docs/specs/qwen-vl.md §C.2, §C.3).
/// </summary>
public sealed record VisionLayout(long[] RotaryPositionIds, long[] WindowIndex, long[] CuWindowSeqlens, long[] CuSeqlens)
{
    public static VisionLayout Build(Qwen2_5_VLVisionConfig config, IReadOnlyList<GridThw> grids)
    {
        var merge = config.SpatialMergeSize;
        var unit = config.SpatialMergeUnit;
        var ws = config.MergerWindowSize;
        var rotary = new List<long>();
        var windowIndex = new List<long>();
        var cuWindow = new List<long> { 0 };
        var cu = new List<long> { 0 };
        long baseIndex = 0;
        foreach (var g in grids)
        {
            if (g.T <= 0 || g.H <= 0 || g.W <= 0 || g.H % merge != 0 || g.W % merge != 0)
            {
                throw ModelErrors.Input(ModelErrors.VideoGridMismatch,
                    $"video grid ({g.T}, {g.H}, {g.W}) must be positive with h and w divisible by spatial_merge_size {merge}");
            }

            int hm = g.H / merge, wm = g.W / merge;
            for (var t = 0; t < g.T; t++)
            {
                rotary.AddRange(MergeOrderRowCol(g.H, g.W, merge));
                cu.Add(cu[^1] + (long)g.H * g.W);
            }

            // HF pads by a whole window even when the grid divides evenly; empty windows vanish below.
            int padH = ws - hm % ws, padW = ws - wm % ws;
            int windowsH = (hm + padH) / ws, windowsW = (wm + padW) / ws;
            for (var t = 0; t < g.T; t++)
            {
                for (var wy = 0; wy < windowsH; wy++)
                {
                    for (var wx = 0; wx < windowsW; wx++)
                    {
                        var members = 0;
                        for (var y = wy * ws; y < Math.Min(wy * ws + ws, hm); y++)
                        {
                            for (var x = wx * ws; x < Math.Min(wx * ws + ws, wm); x++)
                            {
                                windowIndex.Add(baseIndex + ((long)t * hm + y) * wm + x);
                                members++;
                            }
                        }

                        if (members > 0)
                        {
                            cuWindow.Add(cuWindow[^1] + (long)members * unit);
                        }
                    }
                }
            }

            baseIndex += (long)g.T * hm * wm;
        }

        return new VisionLayout(rotary.ToArray(), windowIndex.ToArray(), cuWindow.ToArray(), cu.ToArray());
    }

    /// <summary>(row, col) pairs of one frame's patches in the processor's merge-group order (h/m, w/m, m, m).</summary>
    public static IEnumerable<long> MergeOrderRowCol(int h, int w, int merge)
    {
        for (var by = 0; by < h / merge; by++)
        {
            for (var bx = 0; bx < w / merge; bx++)
            {
                for (var my = 0; my < merge; my++)
                {
                    for (var mx = 0; mx < merge; mx++)
                    {
                        yield return by * merge + my;
                        yield return bx * merge + mx;
                    }
                }
            }
        }
    }
}
