using System.Text.Json;
using VideoAutoR1.Core;

namespace VideoAutoR1.Media.Tests;

/// <summary>The whole pipeline on real files: ffprobe, ffmpeg select-decode, resize, patchify.</summary>
public sealed class PipelineTests
{
    private static readonly string FixtureDir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "preprocess");

    public static TheoryData<string> FixtureCases()
    {
        var data = new TheoryData<string>();
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDir, "preprocess.json")));
        foreach (var entry in json.RootElement.GetProperty("cases").EnumerateObject())
        {
            data.Add(entry.Name);
        }

        return data;
    }

    [Fact]
    public void Ffmpeg_decode_of_the_fixture_video_reproduces_the_fixture_frames()
    {
        var tensors = new SafetensorsFile(Path.Combine(FixtureDir, "preprocess.safetensors"));
        Assert.Equal(tensors.UInt8("frames_all_rgb"), TestVideos.DecodeAll(Path.Combine(FixtureDir, "sample.mp4")));
    }

    /// <summary>From the fixture's mp4 to pixel_values_videos with HF's sampler, R1 and HF's smart_resize: identical floats.</summary>
    [Theory]
    [MemberData(nameof(FixtureCases))]
    public async Task Fixture_video_end_to_end_with_the_HF_configuration_matches_the_processor_output(string name)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDir, "preprocess.json")));
        var root = json.RootElement;
        var size = root.GetProperty("cases").GetProperty(name).GetProperty("processor_settings").GetProperty("size");
        var defaults = root.GetProperty("class_defaults");
        var tensors = new SafetensorsFile(Path.Combine(FixtureDir, "preprocess.safetensors"));
        using var harness = new Harness(o =>
        {
            o.Sampler = FrameSamplerKind.HuggingFace;
            o.ResizeKernel = ResizeKernel.Uint8;
            o.SmartResizeRule = SmartResizeRule.HuggingFace;
            o.Fps = root.GetProperty("sampling").GetProperty("fps").GetDouble();
            o.MinFrames = defaults.GetProperty("min_frames").GetInt32();
            o.MaxFrames = defaults.GetProperty("max_frames").GetInt32();
            o.MinPixels = size.GetProperty("shortest_edge").GetInt32();
            o.MaxPixels = size.GetProperty("longest_edge").GetInt32();
            o.TotalPixels = long.MaxValue / 4; // the HF processor alone has no whole-video budget
        });

        var bytes = await File.ReadAllBytesAsync(Path.Combine(FixtureDir, "sample.mp4"));
        var video = await harness.RunAsync(new VideoSource.Bytes(bytes, "sample.mp4"));

        var grid = tensors.Int64($"{name}.video_grid_thw");
        Assert.Equal(grid, new long[] { video.GridT, video.GridH, video.GridW });
        Assert.Equal(tensors.Float32($"{name}.pixel_values_videos"), video.PixelValues);
        Assert.Equal(tensors.Float32($"{name}.second_per_grid_ts")[0], (float)video.SecondPerGridT);
        var fps = root.GetProperty("video").GetProperty("fps").GetDouble();
        var indices = tensors.Int64("frame_indices");
        Assert.Equal(indices.Select(i => i / fps), video.FrameTimestamps);
        harness.AssertClean();
    }

    /// <summary>
    /// A testsrc clip through the default (VideoAuto-R1) pipeline equals the same steps applied by hand to a plain full
    /// decode: the select filter keeps exactly the frames at the qwen-vl-utils indices.
    /// </summary>
    [Fact]
    public async Task Testsrc_clip_default_pipeline_equals_full_decode_at_the_qwen_vl_utils_indices()
    {
        const int width = 320, height = 240, rate = 25;
        var path = TestVideos.TestSrc("testsrc-320x240-25fps-4s.mp4", width, height, rate, 4);
        using var harness = new Harness();
        var video = await harness.RunAsync(new VideoSource.Bytes(await File.ReadAllBytesAsync(path)));

        var selection = FrameSampler.QwenVlUtils(100, rate, harness.Options.Fps, harness.Options.MinFrames, harness.Options.MaxFrames);
        Assert.Equal(8, selection.Indices.Count);
        var maxPixels = SmartResize.VideoMaxPixels(harness.Options.MinPixels, harness.Options.MaxPixels, harness.Options.TotalPixels, 8, 768 * 784);
        var (outH, outW) = SmartResize.Compute(height, width, 28, harness.Options.MinPixels, maxPixels, SmartResizeRule.QwenVlUtils);
        var all = TestVideos.DecodeAll(path);
        var frameLength = width * height * 3;
        var resizer = new BicubicAntialias(height, width, outH, outW, ResizeKernel.Float);
        var expectedFrames = selection.Indices.Select(i =>
        {
            var output = new byte[resizer.OutputLength];
            resizer.Resize(all.AsSpan(i * frameLength, frameLength), output);
            return output;
        }).ToList();

        Assert.Equal((4, outH / 14, outW / 14), (video.GridT, video.GridH, video.GridW));
        Assert.Equal(VideoPatchifier.Patchify(expectedFrames, outH, outW), video.PixelValues);
        Assert.Equal(selection.Indices.Select(i => i / (double)rate), video.FrameTimestamps);
        Assert.Equal(1.0, video.SecondPerGridT, 12);
        Assert.Equal(2.0, video.SampleFps, 12);
        Assert.Equal(4.0, video.SourceDurationSeconds, 3);
        harness.AssertClean();
    }

    [Fact]
    public async Task Probe_reports_duration_fps_frames_size_and_codec()
    {
        var path = TestVideos.TestSrc("testsrc-320x240-25fps-4s.mp4", 320, 240, 25, 4);
        using var harness = new Harness();
        var probe = await harness.Preprocessor.ProbeAsync(new VideoSource.Bytes(await File.ReadAllBytesAsync(path)), default);
        Assert.Equal(new VideoProbe(4.0, 25, 100, 320, 240, 0, "h264", 0, 0), probe);
        harness.AssertClean();
    }

    [Fact]
    public async Task Rotated_video_is_decoded_upright_with_swapped_sides()
    {
        var source = TestVideos.TestSrc("testsrc-320x240-25fps-4s.mp4", 320, 240, 25, 4);
        var rotated = TestVideos.Make("rotated-90.mp4", "-i", source, "-c", "copy", "-metadata:s:v:0", "rotate=90");
        using var harness = new Harness();
        var probe = await harness.Preprocessor.ProbeAsync(new VideoSource.Bytes(await File.ReadAllBytesAsync(rotated)), default);
        Assert.Equal(90, Math.Abs(probe.Rotation));
        Assert.Equal((240, 320), probe.DisplaySize);

        var video = await harness.RunAsync(new VideoSource.Bytes(await File.ReadAllBytesAsync(rotated)));
        Assert.True(video.GridH > video.GridW, $"grid {video.GridH}x{video.GridW} should be portrait");
        harness.AssertClean();
    }

    [Fact]
    public async Task Variable_frame_rate_video_is_selected_by_decoded_index_with_real_timestamps()
    {
        // 40 frames: the first 20 at 10 fps (0..1.9 s), the next 20 at 2 fps (2.0..11.5 s); mkv keeps the timestamps.
        var source = TestVideos.TestSrc("testsrc-160x120-10fps-4s.mp4", 160, 120, 10, 4);
        var vfr = TestVideos.Make("vfr.mkv", "-i", source, "-vf", "setpts='if(lt(N,20),N/10,2+(N-20)/2)/TB'",
            "-fps_mode", "passthrough", "-c:v", "libx264", "-preset", "ultrafast");
        using var harness = new Harness();
        var probe = await harness.Preprocessor.ProbeAsync(new VideoSource.Bytes(await File.ReadAllBytesAsync(vfr)), default);
        Assert.Equal(40, probe.FrameCount);

        var video = await harness.RunAsync(new VideoSource.Bytes(await File.ReadAllBytesAsync(vfr)));
        var selection = FrameSampler.QwenVlUtils(probe.FrameCount, probe.AverageFps, 2, 4, 256);
        var expected = selection.Indices.Select(i => i < 20 ? i / 10.0 : 2 + ((i - 20) / 2.0)).ToArray();
        Assert.Equal(expected.Length, video.FrameTimestamps.Count);
        for (var k = 0; k < expected.Length; k++)
        {
            Assert.Equal(expected[k], video.FrameTimestamps[k], 3);
        }

        harness.AssertClean();
    }
}
