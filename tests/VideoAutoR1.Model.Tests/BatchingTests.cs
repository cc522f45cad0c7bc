using TorchSharp;
using VideoAutoR1.Model;
using static TorchSharp.torch;

namespace VideoAutoR1.Model.Tests;

/// <summary>Greedy output of a sequence must not depend on what it is batched with.</summary>
public sealed class BatchingTests : IDisposable
{
    // Logits of the same sequence alone vs in a batch differ only by GEMM blocking and padding-length rounding.
    private const double BatchTolerance = 1e-5;
    private const int DecodeSteps = 6;

    private readonly Qwen2_5_VLForConditionalGeneration _model = TestPaths.LoadTinyA();

    public void Dispose() => _model.Dispose();

    [Theory]
    [InlineData(new[] { 0 })]
    [InlineData(new[] { 1, 0 })]
    [InlineData(new[] { 2, 0, 1 })]
    [InlineData(new[] { 0, 3, 2, 1 })]
    public void Batched_greedy_equals_each_sequence_alone(int[] order)
    {
        using var scope = NewDisposeScope();
        var prompts = Prompts();
        var alone = prompts.Select(p => Greedy([p])[0]).ToList();
        var batched = Greedy(order.Select(i => prompts[i]).ToList());
        for (var b = 0; b < order.Length; b++)
        {
            var expected = alone[order[b]];
            Assert.Equal(expected.Tokens, batched[b].Tokens);
            var diff = (expected.Logits - batched[b].Logits).abs().max().item<float>();
            Assert.True(diff <= BatchTolerance, $"sequence {order[b]} in batch {string.Join(",", order)}: logits differ by {diff}");
        }
    }

    [Fact]
    public void Decode_batch_mixing_cache_lengths_matches_single_decode()
    {
        using var scope = NewDisposeScope();
        var prompts = Prompts();
        using var pool = new KvCachePool(_model.Config, 4, 128, ScalarType.Float32);
        var slots = prompts.Select(_ => pool.Rent()).ToArray();
        var first = prompts.Select((p, i) => _model.Prefill([p with { Slot = slots[i] }], pool).argmax(-1).item<long>()).ToArray();

        using var single = new KvCachePool(_model.Config, 4, 128, ScalarType.Float32);
        var singleSlots = prompts.Select(_ => single.Rent()).ToArray();
        _model.Prefill(prompts.Select((p, i) => p with { Slot = singleSlots[i] }).ToList(), single);

        var batched = _model.DecodeStep(first, slots, pool);
        for (var i = 0; i < prompts.Count; i++)
        {
            var alone = _model.DecodeStep([first[i]], [singleSlots[i]], single);
            Assert.Equal(alone.argmax(-1).item<long>(), batched[i].argmax(-1).item<long>());
            Assert.True((alone[0] - batched[i]).abs().max().item<float>() <= BatchTolerance);
            Assert.Equal(pool.Length(slots[i]), single.Length(singleSlots[i]));
        }
    }

    [Fact]
    public void Cache_pool_tracks_lengths_and_rope_delta_and_refuses_overflow()
    {
        using var scope = NewDisposeScope();
        var prompt = Prompts()[0];
        using var pool = new KvCachePool(_model.Config, 1, prompt.InputIds.Length + 1, ScalarType.Float32);
        Assert.Equal(2L * _model.Config.Text.NumHiddenLayers * _model.Config.Text.NumKeyValueHeads
            * (prompt.InputIds.Length + 1) * _model.Config.Text.HeadDim * sizeof(float), pool.BytesAllocated);
        var slot = pool.Rent();
        Assert.Equal(0, pool.FreeSlots);
        Assert.Equal("kv_cache_exhausted", Assert.Throws<Core.VideoQaException>(() => pool.Rent()).Code);
        _model.Prefill([prompt with { Slot = slot }], pool);
        Assert.Equal(prompt.InputIds.Length, pool.Length(slot));
        Assert.Equal(prompt.Positions.RopeDelta, pool.RopeDelta(slot));
        _model.DecodeStep([1], [slot], pool);
        var overflow = Assert.Throws<Core.VideoQaException>(() => _model.DecodeStep([1], [slot], pool));
        Assert.Equal("kv_cache_exhausted", overflow.Code);
        pool.Release(slot);
        Assert.Equal(1, pool.FreeSlots);
        Assert.Throws<ArgumentException>(() => pool.Length(slot));
    }

    private List<(long[] Tokens, Tensor Logits)> Greedy(IReadOnlyList<PrefillInput> prompts)
    {
        using var pool = new KvCachePool(_model.Config, prompts.Count, 128, ScalarType.Float32);
        var slots = prompts.Select(_ => pool.Rent()).ToArray();
        var logits = _model.Prefill(prompts.Select((p, i) => p with { Slot = slots[i] }).ToList(), pool);
        var steps = new List<Tensor> { logits };
        var tokens = new List<long[]> { Argmax(logits) };
        for (var s = 0; s < DecodeSteps; s++)
        {
            logits = _model.DecodeStep(tokens[^1], slots, pool);
            steps.Add(logits);
            tokens.Add(Argmax(logits));
        }

        return Enumerable.Range(0, prompts.Count)
            .Select(b => (tokens.Select(t => t[b]).ToArray(), stack(steps.Select(l => l[b]).ToArray())))
            .ToList();
    }

    private static long[] Argmax(Tensor logits) => logits.argmax(-1).data<long>().ToArray();

    // Four prompts of different lengths; two carry the fixture's video (different placements).
    private List<PrefillInput> Prompts()
    {
        using var inputs = SafeTensorsFile.Open(Path.Combine(TestPaths.TinyA, "inputs.safetensors"));
        using var pixels = inputs.Read("pixel_values_videos");
        using var gridTensor = inputs.Read("video_grid_thw");
        var g = gridTensor.data<long>().ToArray();
        var grids = new[] { new GridThw((int)g[0], (int)g[1], (int)g[2]) };
        var video = _model.GetVideoFeatures(pixels, grids);
        var pads = Enumerable.Repeat(_model.Config.VideoTokenId, (int)grids[0].Tokens(_model.Config.SpatialMergeSize));
        var c = _model.Config;
        long[] WithVideo(long[] before, long[] after) =>
            [.. before, c.VisionStartTokenId, .. pads, c.VisionEndTokenId, .. after];

        PrefillInput Text(long[] ids) => new(0, ids, null, RopeIndex.Sequential(ids.Length));
        PrefillInput Video(long[] ids) => new(0, ids, video, _model.GetRopeIndex(ids, grids, [1.0]));
        return
        [
            Text([5, 17, 300, 42, 7]),
            Video(WithVideo([11, 12, 13], [99, 98, 97, 96, 95, 94, 93])),
            Text([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]),
            Video(WithVideo([400, 401, 402, 403, 404, 405, 406, 407, 408], [7])),
        ];
    }
}
