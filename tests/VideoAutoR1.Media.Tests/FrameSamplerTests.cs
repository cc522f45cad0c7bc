namespace VideoAutoR1.Media.Tests;

public sealed class FrameSamplerTests
{
    [Fact]
    public void QwenVlUtils_indices_for_the_fixture_video_are_the_specs_linspace_rounding()
    {
        // qwen-vl-spec.md §E.1: qwen-vl-utils picks round(linspace(0, 29, 6)) = [0, 6, 12, 17, 23, 29] for the fixture.
        var selection = FrameSampler.QwenVlUtils(totalFrames: 30, sourceFps: 10, fps: 2, minFrames: 4, maxFrames: 768);
        Assert.Equal([0, 6, 12, 17, 23, 29], selection.Indices);
        Assert.Equal(2.0, selection.SampleFps, 12);
        Assert.Equal(1.0, selection.SecondPerGridT, 12);
    }

    [Fact]
    public void Linspace_uses_torchs_two_sided_float32_formula()
    {
        // Second half is computed from the end: the last value is exactly `end` even when start + (n-1)·step is not.
        var values = FrameSampler.LinspaceFloat32(0, 1799, 120);
        Assert.Equal(1799f, values[^1]);
        Assert.Equal(0f, values[0]);
        var step = 1799f / 119;
        Assert.Equal(step * 59, values[59]);
        Assert.Equal(1799f - (step * (119 - 60)), values[60]);
    }

    [Fact]
    public void Long_video_is_capped_at_max_frames_and_stretches_second_per_grid()
    {
        // 10 min at 30 fps, VideoAuto-R1's 256-frame cap: 256 frames, sample fps 256/18000·30.
        var selection = FrameSampler.QwenVlUtils(18000, 30, 2, 4, 256);
        Assert.Equal(256, selection.Indices.Count);
        Assert.Equal(0, selection.Indices[0]);
        Assert.Equal(17999, selection.Indices[^1]);
        Assert.Equal(256 / 18000.0 * 30, selection.SampleFps, 12);
        Assert.Equal(2 / (256 / 18000.0 * 30), selection.SecondPerGridT, 12);
    }

    [Fact]
    public void Trim_uses_ceil_start_and_floor_end_in_absolute_frames()
    {
        // 20 s at 25 fps, [2.01 s, 6.5 s]: start = ceil(50.25) = 51, end = floor(162.5) = 162: 112 frames = 4.48 s, · 2 fps = 8.96 -> 8.
        var selection = FrameSampler.QwenVlUtils(500, 25, 2, 4, 256, startSeconds: 2.01, endSeconds: 6.5);
        Assert.Equal(8, selection.Indices.Count);
        Assert.Equal(51, selection.Indices[0]);
        Assert.Equal(162, selection.Indices[^1]);
    }

    [Fact]
    public void Short_clip_is_raised_to_min_frames_and_one_frame_is_refused()
    {
        Assert.Equal(4, FrameSampler.QwenVlUtils(10, 10, 2, 4, 256).Indices.Count);
        var error = Assert.Throws<VideoAutoR1.Core.VideoQaException>(() => FrameSampler.QwenVlUtils(1, 25, 2, 4, 256));
        Assert.Equal("video_too_short", error.Code);
    }
}
