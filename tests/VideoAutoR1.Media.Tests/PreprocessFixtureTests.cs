using System.Text.Json;

namespace VideoAutoR1.Media.Tests;

/// <summary>
/// Parity with the HF video processor fixture (Fixtures/, provenance in its README.md). Every case that
/// preprocess.json lists is checked; nothing about its shapes is assumed here.
/// </summary>
public sealed class PreprocessFixtureTests
{

    private static readonly string FixtureDir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "preprocess");
    private static readonly JsonElement Json = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDir, "preprocess.json"))).RootElement;
    private static readonly SafetensorsFile Tensors = new(Path.Combine(FixtureDir, "preprocess.safetensors"));

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var entry in Json.GetProperty("cases").EnumerateObject())
        {
            data.Add(entry.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Uint8_kernel_is_bit_exact_and_pixel_values_match(string name)
    {
        var settings = Json.GetProperty("cases").GetProperty(name).GetProperty("processor_settings");
        var factor = settings.GetProperty("patch_size").GetInt32() * settings.GetProperty("merge_size").GetInt32();
        var size = settings.GetProperty("size");
        var frames = SampledFrames(out var height, out var width);

        var (outH, outW) = SmartResize.Compute(height, width, factor,
            size.GetProperty("shortest_edge").GetInt64(), size.GetProperty("longest_edge").GetInt64(), SmartResizeRule.HuggingFace);
        var expectedShape = Tensors.Shape($"{name}.resized_frames");
        Assert.Equal([frames.Count, 3, outH, outW], expectedShape);

        var resizer = new BicubicAntialias(height, width, outH, outW, ResizeKernel.Uint8);
        var resized = frames.Select(f =>
        {
            var output = new byte[resizer.OutputLength];
            resizer.Resize(f, output);
            return output;
        }).ToList();
        var expectedResized = Tensors.UInt8($"{name}.resized_frames");
        var actualChw = resized.SelectMany(f => HwcToChw(f, outH, outW)).ToArray();
        Assert.Equal(expectedResized.Length, actualChw.Length);
        var mismatches = expectedResized.Where((v, i) => v != actualChw[i]).Count();
        Assert.Equal(0, mismatches);

        var grid = VideoPatchifier.Grid(resized.Count, outH, outW);
        Assert.Equal(Tensors.Int64($"{name}.video_grid_thw"), new long[] { grid.T, grid.H, grid.W });

        var pixels = VideoPatchifier.Patchify(resized, outH, outW);
        var expectedPixels = Tensors.Float32($"{name}.pixel_values_videos");
        Assert.Equal(expectedPixels.Length, pixels.Length);
        // HF's fused float32 form reproduced op for op gives identical floats (stricter than the README's 2.4e-7).
        var maxDiff = expectedPixels.Select((v, i) => Math.Abs(v - pixels[i])).Max();
        Assert.True(maxDiff == 0f, $"max |Δ| {maxDiff}");
    }

    [Fact]
    public void HuggingFace_sampler_gives_the_fixture_indices_and_second_per_grid()
    {
        var video = Json.GetProperty("video");
        var sampling = Json.GetProperty("sampling");
        var defaults = Json.GetProperty("class_defaults");
        var selection = FrameSampler.HuggingFace(video.GetProperty("total_frames").GetInt32(), video.GetProperty("fps").GetDouble(),
            sampling.GetProperty("fps").GetDouble(), defaults.GetProperty("min_frames").GetInt32(), defaults.GetProperty("max_frames").GetInt32());

        var expected = sampling.GetProperty("hf_sample_frames_indices").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(expected, selection.Indices);
        Assert.Equal(Tensors.Int64("frame_indices").Select(i => (int)i), selection.Indices);
        Assert.Equal(sampling.GetProperty("sampled_fps").GetDouble(), selection.SampleFps, 12);
        foreach (var entry in Json.GetProperty("cases").EnumerateObject())
        {
            Assert.Equal(Tensors.Float32($"{entry.Name}.second_per_grid_ts")[0], (float)selection.SecondPerGridT);
        }
    }

    [Fact]
    public void Sampled_frames_are_the_decoded_frames_at_the_fixture_indices()
    {
        var all = Tensors.UInt8("frames_all_rgb");
        var sampled = Tensors.UInt8("frames_sampled_rgb");
        var shape = Tensors.Shape("frames_all_rgb");
        var frameLength = (int)(shape[1] * shape[2] * shape[3]);
        var indices = Tensors.Int64("frame_indices");
        for (var k = 0; k < indices.Length; k++)
        {
            Assert.True(all.AsSpan((int)indices[k] * frameLength, frameLength).SequenceEqual(sampled.AsSpan(k * frameLength, frameLength)));
        }
    }

    /// <summary>The fixture's frames, decoded by this pipeline's ffmpeg invocation from its sample.mp4.</summary>
    internal static byte[] AllFrames(out long[] shape)
    {
        shape = Tensors.Shape("frames_all_rgb");
        return Tensors.UInt8("frames_all_rgb");
    }

    internal static string SampleVideoPath => Path.Combine(FixtureDir, "sample.mp4");

    private static List<byte[]> SampledFrames(out int height, out int width)
    {
        var shape = Tensors.Shape("frames_sampled_rgb");
        (height, width) = ((int)shape[1], (int)shape[2]);
        var frameLength = height * width * 3;
        var data = Tensors.UInt8("frames_sampled_rgb");
        return Enumerable.Range(0, (int)shape[0]).Select(i => data.AsSpan(i * frameLength, frameLength).ToArray()).ToList();
    }

    private static byte[] HwcToChw(byte[] hwc, int height, int width)
    {
        var chw = new byte[hwc.Length];
        for (var c = 0; c < 3; c++)
        {
            for (var i = 0; i < height * width; i++)
            {
                chw[(c * height * width) + i] = hwc[(i * 3) + c];
            }
        }

        return chw;
    }
}
