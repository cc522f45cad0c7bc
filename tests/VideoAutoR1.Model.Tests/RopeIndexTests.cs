using VideoAutoR1.Core;
using VideoAutoR1.Model;

namespace VideoAutoR1.Model.Tests;

/// <summary>Hand-computed cases for the rules; the HF references for Legacy/Current run in the parity tests.</summary>
public sealed class RopeIndexTests
{
    private static readonly Qwen2_5_VLConfig Config = TestConfigs.Small();

    // text 2, <vs>, video (t=4, 2x2 merged), <ve>, text 1.
    private static long[] Prompt(int t) =>
        [1, 2, Config.VisionStartTokenId, .. Enumerable.Repeat(Config.VideoTokenId, t * 4), Config.VisionEndTokenId, 3];

    [Theory]
    // Prompt length 21; delta = max position + 1 − 21.
    [InlineData(RopeIndexRule.Legacy, 1.5, new long[] { 0, 2, 4, 6 }, 10, -9)]    // trunc(1.5) = 1 → interval 2; next = max + 1
    [InlineData(RopeIndexRule.Current, 1.5, new long[] { 0, 2, 4, 6 }, 5, -11)]    // next = start + max(h', w') = 3 + 2; max stays 9
    [InlineData(RopeIndexRule.FloatInterval, 1.5, new long[] { 0, 3, 6, 9 }, 13, -6)] // floor(k · 1.5 · 2)
    [InlineData(RopeIndexRule.Legacy, 0.5, new long[] { 0, 0, 0, 0 }, 5, -14)]     // trunc(0.5) = 0: one temporal index
    [InlineData(RopeIndexRule.FloatInterval, 0.5, new long[] { 0, 1, 2, 3 }, 7, -12)]
    public void Temporal_index_and_next_text_position_follow_the_rule(
        RopeIndexRule rule, double seconds, long[] temporal, long visionEnd, long delta)
    {
        var ids = Prompt(4);
        var index = RopeIndexBuilder.Build(ids, Config, rule, [new GridThw(4, 4, 4)], [seconds]);
        const int start = 3;
        for (var k = 0; k < 4; k++)
        {
            for (var j = 0; j < 4; j++)
            {
                var i = start + k * 4 + j;
                Assert.Equal(start + temporal[k], index.PositionIds[0, i]);
                Assert.Equal(start + j / 2, index.PositionIds[1, i]);
                Assert.Equal(start + j % 2, index.PositionIds[2, i]);
            }
        }

        var end = start + 16;
        Assert.Equal(visionEnd, index.PositionIds[0, end]);
        Assert.Equal(visionEnd + 1, index.PositionIds[2, end + 1]);
        Assert.Equal(delta, index.RopeDelta);
    }

    [Fact]
    public void Text_only_prompt_is_sequential()
    {
        var index = RopeIndexBuilder.Build([5, 6, 7], Config, RopeIndexRule.Legacy, [], []);
        Assert.Equal(RopeIndex.Sequential(3).PositionIds, index.PositionIds);
        Assert.Equal(0, index.RopeDelta);
    }

    [Fact]
    public void Pad_count_not_matching_the_grid_is_an_input_error()
    {
        var error = Assert.Throws<VideoQaException>(() =>
            RopeIndexBuilder.Build(Prompt(3), Config, RopeIndexRule.Legacy, [new GridThw(4, 4, 4)], [1.0]));
        Assert.Equal(ModelErrors.VideoTokensMismatch, error.Code);
        Assert.Contains("12 pad tokens", error.Message);

        var missingGrid = Assert.Throws<VideoQaException>(() => RopeIndexBuilder.Build(Prompt(1), Config, RopeIndexRule.Legacy, [], []));
        Assert.Equal(ModelErrors.VideoTokensMismatch, missingGrid.Code);

        var extraGrid = Assert.Throws<VideoQaException>(() =>
            RopeIndexBuilder.Build([1, 2], Config, RopeIndexRule.Legacy, [new GridThw(1, 2, 2)], [1.0]));
        Assert.Equal(ModelErrors.VideoTokensMismatch, extraGrid.Code);
    }
}
