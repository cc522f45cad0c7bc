using VideoAutoR1.Core.Prompting;

namespace VideoAutoR1.Media.Tests;

/// <summary>
/// Qwen3-VL's video processor: frame indices, per-group timestamp labels and the clip budget, against the layouts the
/// tiny-q3a fixture recorded from the real <c>Qwen3VLVideoProcessor</c> / <c>Qwen3VLProcessor</c> (its README's
/// rope-case table gives each source video; its meta.json the labels).
/// </summary>
public sealed class Qwen3VideoTests
{
    [Theory]
    [InlineData(48, 24.0, 2.0, new[] { 0, 16, 31, 47 }, new[] { "<0.3 seconds>", "<1.6 seconds>" })]
    [InlineData(96, 24.0, 2.0, new[] { 0, 14, 27, 41, 54, 68, 81, 95 }, new[] { "<0.3 seconds>", "<1.4 seconds>", "<2.5 seconds>", "<3.7 seconds>" })]
    [InlineData(60, 30.0, 2.0, new[] { 0, 20, 39, 59 }, new[] { "<0.3 seconds>", "<1.6 seconds>" })]
    [InlineData(2, 24.0, 2.0, new[] { 0, 1 }, new[] { "<0.0 seconds>" })]
    [InlineData(72, 24.0, 2.5, new[] { 0, 12, 24, 36, 47, 59, 71 }, new[] { "<0.2 seconds>", "<1.2 seconds>", "<2.2 seconds>", "<3.0 seconds>" })]
    public void Frames_and_timestamp_labels_match_the_processor(int total, double sourceFps, double fps, int[] indices, string[] labels)
    {
        var selection = FrameSampler.Qwen3(total, sourceFps, fps, minFrames: 4, maxFrames: 768);
        Assert.Equal(indices, selection.Indices);
        var timestamps = FrameSampler.GroupTimestamps(selection.Indices, sourceFps);
        Assert.Equal(labels, timestamps.Select(PromptBuilder.TimestampLabel));
    }

    [Fact]
    public void Twelve_groups_of_a_long_video_carry_two_digit_seconds()
    {
        var selection = FrameSampler.Qwen3(288, 24, 2, 4, 768);
        var labels = FrameSampler.GroupTimestamps(selection.Indices, 24).Select(PromptBuilder.TimestampLabel).ToArray();
        Assert.Equal(
            ["<0.2 seconds>", "<1.3 seconds>", "<2.3 seconds>", "<3.4 seconds>", "<4.4 seconds>", "<5.5 seconds>",
             "<6.5 seconds>", "<7.5 seconds>", "<8.6 seconds>", "<9.6 seconds>", "<10.7 seconds>", "<11.7 seconds>"],
            labels);
    }

    [Theory]
    [InlineData(4, 120, 160, 32, 4096, 25165824, 128, 160)]
    [InlineData(64, 1080, 1920, 32, 4096, 25165824, 448, 832)]
    [InlineData(4, 20, 20, 32, 4096, 25165824, 32, 32)]
    public void Clip_budget_bounds_frames_times_area(int frames, int height, int width, int factor, long min, long max, int expectedH, int expectedW)
    {
        var (h, w) = SmartResize.ComputeClip(frames, height, width, 2, factor, min, max);
        Assert.Equal((expectedH, expectedW), (h, w));
        Assert.True((long)frames * h * w <= max || h == factor || w == factor);
    }

    [Fact]
    public async Task A_video_preprocessed_for_qwen3_has_patch_16_rows_in_0_5_normalisation_and_one_timestamp_per_group()
    {
        var path = TestVideos.TestSrc("qwen3-testsrc.mp4", 160, 120, 10, 3);
        using var harness = new Harness();
        var video = await harness.Preprocessor.PreprocessAsync(
            new VideoSource.Bytes(await File.ReadAllBytesAsync(path)), null, VisionPreprocessing.Qwen3_VL, default);

        Assert.Equal(3 * 2 * 16 * 16, video.PatchDim);
        Assert.Equal(video.GridT * video.GridH * video.GridW * video.PatchDim, video.PixelValues.Length);
        Assert.Equal(0, video.GridH % 2);
        Assert.Equal(0, video.GridW % 2);
        Assert.NotNull(video.GroupTimestamps);
        Assert.Equal(video.GridT, video.GroupTimestamps!.Count);
        Assert.All(video.PixelValues, v => Assert.InRange(v, -1f, 1f));

        // 30 frames at 10 fps sampled at 2 fps: int(30/10·2) = 6 frames [0, 6, 12, 17, 23, 29]; labels as Python prints them.
        Assert.Equal(["<0.3 seconds>", "<1.4 seconds>", "<2.6 seconds>"], video.GroupTimestamps.Select(PromptBuilder.TimestampLabel));
        harness.AssertClean();
    }

    [Fact]
    public void Processor_config_overrides_the_family_defaults()
    {
        var dir = Directory.CreateTempSubdirectory("videoautor1-preprocessor-").FullName;
        try
        {
            Assert.Equal(VisionPreprocessing.Qwen3_VL, VisionPreprocessing.Load(dir, VideoProcessorKind.Qwen3VL));
            File.WriteAllText(Path.Combine(dir, VisionPreprocessing.VideoFileName),
                """{"patch_size": 16, "merge_size": 2, "temporal_patch_size": 2, "image_mean": [0.1, 0.2, 0.3], "image_std": [0.5, 0.5, 0.5], "size": {"shortest_edge": 8192, "longest_edge": 1048576}, "max_frames": 64}""");
            var loaded = VisionPreprocessing.Load(dir, VideoProcessorKind.Qwen3VL);
            Assert.Equal([0.1, 0.2, 0.3], loaded.Mean);
            Assert.Equal(8192, loaded.ShortestEdge);
            Assert.Equal(1048576, loaded.LongestEdge);
            Assert.Equal(64, loaded.MaxFrames);
            Assert.Equal(VideoProcessorKind.Qwen3VL, loaded.Kind);

            File.WriteAllText(Path.Combine(dir, VisionPreprocessing.VideoFileName), """{"temporal_patch_size": 3}""");
            var error = Assert.Throws<Core.VideoQaException>(() => VisionPreprocessing.Load(dir, VideoProcessorKind.Qwen3VL));
            Assert.Equal("preprocessor_config_invalid", error.Code);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
