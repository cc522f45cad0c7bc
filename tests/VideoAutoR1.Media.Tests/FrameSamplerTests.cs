namespace VideoAutoR1.Media.Tests;

public sealed class FrameSamplerTests
{
    [Fact]
    public void QwenVlUtils_indices_for_the_fixture_video_are_the_specs_linspace_rounding()
    {
        // docs/specs/qwen-vl.md §E.1: qwen-vl-utils picks round(linspace(0, 29, 6)) = [0, 6, 12, 17, 23, 29] for the fixture.
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

public sealed class BicubicAntialiasTests
{
    [Theory]
    [InlineData(ResizeKernel.Uint8)]
    [InlineData(ResizeKernel.Float)]
    public void Same_size_is_the_identity_and_a_flat_frame_stays_flat(ResizeKernel kernel)
    {
        var random = new Random(3);
        var frame = new byte[30 * 50 * 3];
        random.NextBytes(frame);
        var same = new byte[frame.Length];
        new BicubicAntialias(30, 50, 30, 50, kernel).Resize(frame, same);
        Assert.Equal(frame, same);

        var flat = Enumerable.Repeat((byte)173, 97 * 131 * 3).ToArray();
        foreach (var (h, w) in new[] { (28, 56), (196, 252), (97, 28) })
        {
            var resizer = new BicubicAntialias(97, 131, h, w, kernel);
            var output = new byte[resizer.OutputLength];
            resizer.Resize(flat, output);
            Assert.All(output, v => Assert.Equal(173, v));
        }
    }

    [Fact]
    public void Float_and_uint8_kernels_agree_within_the_uint8_rounding_on_smooth_content()
    {
        // A smooth gradient: R1 rounds after each pass (±0.5, then amplified by the vertical weights' Σ|w| < 1.5) and R2
        // once (±0.5): under 2 LSB in general, at most 1 on this gradient; they are not the same kernel, so some values differ.
        var frame = new byte[120 * 160 * 3];
        for (var y = 0; y < 120; y++)
        {
            for (var x = 0; x < 160; x++)
            {
                frame[(((y * 160) + x) * 3) + 0] = (byte)x;
                frame[(((y * 160) + x) * 3) + 1] = (byte)(2 * y);
                frame[(((y * 160) + x) * 3) + 2] = (byte)((x + y) / 2);
            }
        }

        var r1 = new byte[84 * 112 * 3];
        var r2 = new byte[r1.Length];
        new BicubicAntialias(120, 160, 84, 112, ResizeKernel.Uint8).Resize(frame, r1);
        new BicubicAntialias(120, 160, 84, 112, ResizeKernel.Float).Resize(frame, r2);
        Assert.True(r1.Zip(r2).All(p => Math.Abs(p.First - p.Second) <= 1), $"max {r1.Zip(r2).Max(p => Math.Abs(p.First - p.Second))}");
        Assert.Contains(r1.Zip(r2), p => p.First != p.Second);
    }
}
