using VideoAutoR1.Core;

namespace VideoAutoR1.Media.Tests;

public sealed class SmartResizeTests
{
    [Fact]
    public void The_two_rules_differ_only_for_sides_under_half_a_factor()
    {
        // 10×2000: qwen-vl-utils floors the short side at 28 first -> 28×1988 (55664 px, inside the bounds);
        // HF rounds it to 0, lands under min_pixels and upscales: beta = sqrt(12544/20000), ceil(7.92/28)·28 = 28, ceil(1583.9/28)·28 = 1596.
        Assert.Equal((28, 1988), SmartResize.Compute(10, 2000, 28, 12544, 602112, SmartResizeRule.QwenVlUtils));
        Assert.Equal((28, 1596), SmartResize.Compute(10, 2000, 28, 12544, 602112, SmartResizeRule.HuggingFace));
        Assert.Equal((252, 308), SmartResize.Compute(240, 320, 28, 12544, 602112, SmartResizeRule.QwenVlUtils));
        Assert.Equal((252, 308), SmartResize.Compute(240, 320, 28, 12544, 602112, SmartResizeRule.HuggingFace));
    }

    [Fact]
    public void Video_budget_divides_total_pixels_over_frame_pairs_with_the_min_pixels_floor()
    {
        // 120 frames of VideoAuto-R1 eval: 16384·784 / 120 · 2 = 214084.27 px per frame (a float, as in Python).
        Assert.Equal(16384 * 784 / 120.0 * 2, SmartResize.VideoMaxPixels(12544, 602112, 16384 * 784, 120, 602112), 6);
        // 2 frames: capped by VIDEO_MAX; 4096 frames: floored at int(1.05 · min_pixels).
        Assert.Equal(602112, SmartResize.VideoMaxPixels(12544, 602112, 16384 * 784, 2, 602112));
        Assert.Equal(13171, SmartResize.VideoMaxPixels(12544, 602112, 16384 * 784, 4096, 602112));
    }

    [Fact]
    public void Aspect_ratio_over_200_is_refused()
    {
        var error = Assert.Throws<VideoQaException>(() => SmartResize.Compute(20, 4040, 28, 12544, 602112, SmartResizeRule.QwenVlUtils));
        Assert.Equal(("video_aspect_ratio", ErrorKind.UnsupportedMedia), (error.Code, error.Kind));
    }
}

public sealed class VideoPatchifierTests
{
    [Fact]
    public void Odd_frame_count_repeats_the_last_frame_into_the_second_temporal_slot()
    {
        var frames = Enumerable.Range(0, 3).Select(i => Enumerable.Repeat((byte)(40 * (i + 1)), 28 * 28 * 3).ToArray()).ToList();
        var pixels = VideoPatchifier.Patchify(frames, 28, 28);
        Assert.Equal((2, 2, 2), VideoPatchifier.Grid(3, 28, 28));
        Assert.Equal(2 * 4 * VideoPatchifier.PatchDim, pixels.Length);
        // Row 4 is the first patch of temporal group 1; columns [c][tp][py][px]: tp 0 is frame 2, tp 1 its repeat.
        var row = pixels.AsSpan(4 * VideoPatchifier.PatchDim, VideoPatchifier.PatchDim);
        const int slot = 14 * 14;
        for (var c = 0; c < 3; c++)
        {
            Assert.True(row.Slice(((c * 2) + 0) * slot, slot).SequenceEqual(row.Slice(((c * 2) + 1) * slot, slot)));
        }

        Assert.NotEqual(pixels[0], row[0]);
    }
}
