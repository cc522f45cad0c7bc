namespace VideoAutoR1.Model;

/// <summary>
/// <c>get_rope_index</c> for one unpadded prompt (docs/specs/qwen-vl.md §D.3): text advances all three rows together; a vision
/// block of t x h' x w' pad tokens starting at <c>s</c> gets (s + T(k), s + y, s + x).
/// </summary>
public static class RopeIndexBuilder
{
    public static RopeIndex Build(
        long[] inputIds,
        Qwen2_5_VLConfig config,
        RopeIndexRule rule,
        IReadOnlyList<GridThw> videoGrids,
        IReadOnlyList<double> secondPerGridTs,
        IReadOnlyList<GridThw>? imageGrids = null) =>
        Build(inputIds, new VisionTokens(config.VideoTokenId, config.ImageTokenId, config.SpatialMergeSize, config.TokensPerSecond),
            rule, videoGrids, secondPerGridTs, imageGrids ?? []);

    /// <summary>
    /// Qwen3-VL: every temporal group of a video is its own vision block (with its own vision_start/end and a timestamp
    /// text before it), so each video grid is split into t grids of one group. The t row then never advances inside a
    /// block, time being carried by the timestamp text, and text after a block continues at max + 1.
    /// </summary>
    public static RopeIndex BuildQwen3(long[] inputIds, Qwen3VLConfig config, IReadOnlyList<GridThw> videoGrids, IReadOnlyList<GridThw>? imageGrids = null)
    {
        var groups = videoGrids.SelectMany(g => Enumerable.Repeat(g with { T = 1 }, g.T)).ToArray();
        return Build(inputIds, new VisionTokens(config.VideoTokenId, config.ImageTokenId, config.SpatialMergeSize, TokensPerSecond: 0),
            RopeIndexRule.Legacy, groups, new double[groups.Length], imageGrids ?? []);
    }

    private static RopeIndex Build(
        long[] inputIds,
        VisionTokens config,
        RopeIndexRule rule,
        IReadOnlyList<GridThw> videoGrids,
        IReadOnlyList<double> secondPerGridTs,
        IReadOnlyList<GridThw> imageGrids)
    {
        if (secondPerGridTs.Count != videoGrids.Count)
        {
            throw ModelErrors.Input(ModelErrors.VideoGridMismatch,
                $"{videoGrids.Count} video grids but {secondPerGridTs.Count} second_per_grid_ts values");
        }

        var merge = config.SpatialMergeSize;
        var ids = new long[3, inputIds.Length];
        long next = 0, max = -1;
        int videoIndex = 0, imageIndex = 0;
        for (var i = 0; i < inputIds.Length;)
        {
            var token = inputIds[i];
            var isVideo = token == config.VideoTokenId;
            if (!isVideo && token != config.ImageTokenId)
            {
                ids[0, i] = ids[1, i] = ids[2, i] = next;
                max = Math.Max(max, next);
                next++;
                i++;
                continue;
            }

            var kind = isVideo ? "video" : "image";
            var grids = isVideo ? videoGrids : imageGrids;
            var index = isVideo ? videoIndex++ : imageIndex++;
            if (index >= grids.Count)
            {
                throw ModelErrors.Input(ModelErrors.VideoTokensMismatch,
                    $"the prompt has more {kind} blocks than the {grids.Count} {kind} grids given");
            }

            var grid = grids[index];
            if (grid.H % merge != 0 || grid.W % merge != 0)
            {
                throw ModelErrors.Input(ModelErrors.VideoGridMismatch,
                    $"{kind} grid {index} ({grid.T}, {grid.H}, {grid.W}) is not divisible by spatial_merge_size {merge}");
            }

            int hm = grid.H / merge, wm = grid.W / merge;
            var count = grid.Tokens(merge);
            var run = 0L;
            while (i + run < inputIds.Length && inputIds[i + run] == token)
            {
                run++;
            }

            if (run != count)
            {
                throw ModelErrors.Input(ModelErrors.VideoTokensMismatch,
                    $"{kind} block {index} has {run} pad tokens but its grid ({grid.T}, {grid.H}, {grid.W}) needs {count}");
            }

            var start = next;
            var k = 0;
            for (var tt = 0; tt < grid.T; tt++)
            {
                var temporal = isVideo ? TemporalIndex(tt, secondPerGridTs[index], config.TokensPerSecond, rule) : 0;
                for (var y = 0; y < hm; y++)
                {
                    for (var x = 0; x < wm; x++, k++)
                    {
                        ids[0, i + k] = start + temporal;
                        ids[1, i + k] = start + y;
                        ids[2, i + k] = start + x;
                        max = Math.Max(max, Math.Max(start + temporal, Math.Max(start + y, start + x)));
                    }
                }
            }

            next = rule == RopeIndexRule.Current ? start + Math.Max(hm, wm) : max + 1;
            i += (int)count;
        }

        if (videoIndex != videoGrids.Count || imageIndex != imageGrids.Count)
        {
            throw ModelErrors.Input(ModelErrors.VideoTokensMismatch,
                $"the prompt has {videoIndex} video and {imageIndex} image blocks but {videoGrids.Count} video and {imageGrids.Count} image grids were given");
        }

        return new RopeIndex(ids, max + 1 - inputIds.Length);
    }

    // HF casts second_per_grid_t to the int64 arange dtype before multiplying; Qwen/vLLM keep the fraction.
    private static long TemporalIndex(int k, double secondPerGrid, double tokensPerSecond, RopeIndexRule rule) =>
        rule == RopeIndexRule.FloatInterval
            ? (long)(k * secondPerGrid * tokensPerSecond)
            : (long)(k * (long)secondPerGrid * tokensPerSecond);

    private sealed record VisionTokens(long VideoTokenId, long ImageTokenId, int SpatialMergeSize, double TokensPerSecond);
}
