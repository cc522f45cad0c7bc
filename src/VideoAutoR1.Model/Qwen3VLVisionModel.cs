using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VideoAutoR1.Model;

/// <summary>Non-gated vision MLP: linear_fc1 → tanh-approximated GELU → linear_fc2, with biases.</summary>
public sealed class Qwen3VLVisionMLP : nn.Module<Tensor, Tensor>
{
    private readonly QwenLinear linear_fc1;
    private readonly QwenLinear linear_fc2;

    public Qwen3VLVisionMLP(long hidden, long intermediate, ParameterFactory factory) : base("mlp")
    {
        linear_fc1 = new QwenLinear(hidden, intermediate, true, factory);
        linear_fc2 = new QwenLinear(intermediate, hidden, true, factory);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = nn.functional.gelu(linear_fc1.forward(x), GELU.Approximate.tanh);
        return linear_fc2.forward(h).MoveToOuterDisposeScope();
    }
}

public sealed class Qwen3VLVisionBlock : nn.Module
{
    private readonly QwenLayerNorm norm1;
    private readonly QwenLayerNorm norm2;
    private readonly Qwen2_5_VLVisionAttention attn;
    private readonly Qwen3VLVisionMLP mlp;

    public Qwen3VLVisionBlock(Qwen3VLVisionConfig c, ParameterFactory factory) : base("block")
    {
        norm1 = new QwenLayerNorm(c.HiddenSize, 1e-6, factory);
        norm2 = new QwenLayerNorm(c.HiddenSize, 1e-6, factory);
        attn = new Qwen2_5_VLVisionAttention(c.HiddenSize, c.NumHeads, factory);
        mlp = new Qwen3VLVisionMLP(c.HiddenSize, c.IntermediateSize, factory);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, VisionSegments segments, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var h = x + attn.Forward(norm1.forward(x), segments, cos, sin);
        return (h + mlp.forward(norm2.forward(h))).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// 2x2 patch merger: QwenLayerNorm, concatenate each merge group's patches, QwenLinear → exact GELU → QwenLinear. The main merger
/// normalises each patch before the shuffle; the DeepStack mergers normalise the concatenated vector after it.
/// </summary>
public sealed class Qwen3VLVisionPatchMerger : nn.Module<Tensor, Tensor>
{
    private readonly QwenLayerNorm norm;
    private readonly QwenLinear linear_fc1;
    private readonly QwenLinear linear_fc2;
    private readonly long _mergedDim;
    private readonly bool _postShuffleNorm;

    public Qwen3VLVisionPatchMerger(Qwen3VLVisionConfig c, bool postShuffleNorm, ParameterFactory factory) : base("merger")
    {
        _mergedDim = (long)c.HiddenSize * c.SpatialMergeUnit;
        _postShuffleNorm = postShuffleNorm;
        norm = new QwenLayerNorm(postShuffleNorm ? _mergedDim : c.HiddenSize, 1e-6, factory);
        linear_fc1 = new QwenLinear(_mergedDim, _mergedDim, true, factory);
        linear_fc2 = new QwenLinear(_mergedDim, c.OutHiddenSize, true, factory);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = _postShuffleNorm ? norm.forward(x.view(-1, _mergedDim)) : norm.forward(x).view(-1, _mergedDim);
        h = linear_fc2.forward(nn.functional.gelu(linear_fc1.forward(h)));
        return h.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Qwen3-VL vision tower: Conv3d patch embed (with bias) + learned position table bilinearly resampled to each grid,
/// QwenLayerNorm/tanh-GELU blocks with 2-D rotary attending within each temporal group, the merger, and one DeepStack
/// merger per <c>deepstack_visual_indexes</c> entry. The sequence stays in the processor's merge-group order throughout.
/// </summary>
public sealed class Qwen3VLVisionModel : nn.Module
{
    private readonly Qwen2_5_VisionPatchEmbed patch_embed;
    private readonly QwenEmbedding pos_embed;
    private readonly ModuleList<Qwen3VLVisionBlock> blocks;
    private readonly Qwen3VLVisionPatchMerger merger;
    private readonly ModuleList<Qwen3VLVisionPatchMerger> deepstack_merger_list;
    private readonly Qwen3VLVisionConfig _config;

    public Qwen3VLVisionModel(Qwen3VLVisionConfig config, ParameterFactory factory) : base("visual")
    {
        _config = config;
        patch_embed = new Qwen2_5_VisionPatchEmbed(
            config.HiddenSize, config.InChannels, config.TemporalPatchSize, config.PatchSize, bias: true, factory);
        pos_embed = new QwenEmbedding(config.NumPositionEmbeddings, config.HiddenSize, factory);
        blocks = new ModuleList<Qwen3VLVisionBlock>(
            Enumerable.Range(0, config.Depth).Select(_ => new Qwen3VLVisionBlock(config, factory)).ToArray());
        merger = new Qwen3VLVisionPatchMerger(config, postShuffleNorm: false, factory);
        deepstack_merger_list = new ModuleList<Qwen3VLVisionPatchMerger>(
            config.DeepstackVisualIndexes.Select(_ => new Qwen3VLVisionPatchMerger(config, postShuffleNorm: true, factory)).ToArray());
        RegisterComponents();
    }

    /// <summary>
    /// pixels [N, C·T·P·P] in processor order → merged embeddings [N/merge², out_hidden] and one DeepStack feature of
    /// the same shape per DeepStack index. <paramref name="observe"/> receives named intermediates (parity checks).
    /// </summary>
    public (Tensor Embeds, Tensor[] Deepstack) Forward(Tensor pixels, IReadOnlyList<GridThw> grids, Action<string, Tensor>? observe = null)
    {
        using var scope = NewDisposeScope();
        var layout = Qwen3VLVisionLayout.Build(_config, grids);
        var dtype = pos_embed.Weight.dtype;
        var device = pixels.device;
        var x = patch_embed.forward(pixels.to(dtype));
        observe?.Invoke("vision.patch_embed", x);
        var position = InterpolatedPositions(grids, device);
        observe?.Invoke("vision.pos_embed_interp", position);
        x = x + position;

        var rotary = RotaryMath.VisionAngles(layout.RotaryPositionIds, _config.HeadDim, device);
        observe?.Invoke("vision.rotary_freqs", rotary);
        var emb = cat([rotary, rotary], -1);
        var cos = emb.cos();
        var sin = emb.sin();
        observe?.Invoke("vision.rotary_cos", cos);
        observe?.Invoke("vision.rotary_sin", sin);

        var segments = new VisionSegments(layout.CuSeqlens);
        var deepstack = new List<Tensor>();
        for (var i = 0; i < blocks.Count; i++)
        {
            x = blocks[i].Forward(x, segments, cos, sin);
            observe?.Invoke($"vision.block{i}_out", x);
            var j = Array.IndexOf(_config.DeepstackVisualIndexes, i);
            if (j >= 0)
            {
                deepstack.Add(deepstack_merger_list[j].forward(x));
            }
        }

        for (var j = 0; j < deepstack.Count; j++)
        {
            observe?.Invoke($"vision.deepstack{j}", deepstack[j]);
        }

        var merged = merger.forward(x);
        // In block order, as HF collects them: text layer k receives the k-th.
        return (merged.MoveToOuterDisposeScope(), deepstack.Select(t => t.MoveToOuterDisposeScope()).ToArray());
    }

    /// <summary>
    /// HF <c>fast_pos_embed_interpolate</c>: per grid, bilinear (align-corners) weights over the learned side x side
    /// table at linspace(0, side − 1, h) x linspace(0, side − 1, w) in float32, the weights cast to the model dtype,
    /// the four corners summed in HF's order, repeated over t and permuted into merge-group order.
    /// </summary>
    private Tensor InterpolatedPositions(IReadOnlyList<GridThw> grids, Device device)
    {
        using var scope = NewDisposeScope();
        var side = _config.NumGridPerSide;
        var merge = _config.SpatialMergeSize;
        var table = pos_embed.Weight;
        var parts = new List<Tensor>();
        foreach (var g in grids)
        {
            var hIdx = linspace(0, side - 1, g.H, ScalarType.Float32);
            var wIdx = linspace(0, side - 1, g.W, ScalarType.Float32);
            var hFloor = hIdx.to(ScalarType.Int32);
            var wFloor = wIdx.to(ScalarType.Int32);
            var hCeil = (hFloor + 1).clamp_max(side - 1);
            var wCeil = (wFloor + 1).clamp_max(side - 1);
            var dh = (hIdx - hFloor).unsqueeze(1);
            var dw = (wIdx - wFloor).unsqueeze(0);
            Tensor Index(Tensor rows, Tensor cols) =>
                ((rows * side).unsqueeze(1) + cols.unsqueeze(0)).flatten().to(ScalarType.Int64).to(device);
            Tensor Weight(Tensor a, Tensor b) => (a * b).flatten().to(table.dtype).to(device).unsqueeze(1);
            var corners = new[]
            {
                table[Index(hFloor, wFloor)] * Weight(1 - dh, 1 - dw),
                table[Index(hFloor, wCeil)] * Weight(1 - dh, dw),
                table[Index(hCeil, wFloor)] * Weight(dh, 1 - dw),
                table[Index(hCeil, wCeil)] * Weight(dh, dw),
            };
            var grid = corners[0] + corners[1] + corners[2] + corners[3];
            parts.Add(grid.repeat(g.T, 1)
                .view(g.T, g.H / merge, merge, g.W / merge, merge, -1)
                .permute(0, 1, 3, 2, 4, 5)
                .reshape(g.Patches, -1));
        }

        return cat(parts, 0).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Index bookkeeping of the Qwen3-VL vision tower: rotary (row, col) per patch in merge-group order and the cumulative
/// attention segments, one per temporal group (no windows).
/// </summary>
public sealed record Qwen3VLVisionLayout(long[] RotaryPositionIds, long[] CuSeqlens)
{
    public static Qwen3VLVisionLayout Build(Qwen3VLVisionConfig config, IReadOnlyList<GridThw> grids)
    {
        var merge = config.SpatialMergeSize;
        var rotary = new List<long>();
        var cu = new List<long> { 0 };
        foreach (var g in grids)
        {
            if (g.T <= 0 || g.H <= 0 || g.W <= 0 || g.H % merge != 0 || g.W % merge != 0)
            {
                throw ModelErrors.Input(ModelErrors.VideoGridMismatch,
                    $"video grid ({g.T}, {g.H}, {g.W}) must be positive with h and w divisible by spatial_merge_size {merge}");
            }

            for (var t = 0; t < g.T; t++)
            {
                rotary.AddRange(VisionLayout.MergeOrderRowCol(g.H, g.W, merge));
                cu.Add(cu[^1] + (long)g.H * g.W);
            }
        }

        return new Qwen3VLVisionLayout(rotary.ToArray(), cu.ToArray());
    }
}
