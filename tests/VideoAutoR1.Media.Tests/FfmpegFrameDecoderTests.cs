namespace VideoAutoR1.Media.Tests;

public sealed class FfmpegFrameDecoderTests
{
    [Fact]
    public async Task Thousands_of_selected_indices_give_exactly_those_frames_of_a_full_decode()
    {
        const int width = 64, height = 48, total = 5000;
        var path = TestVideos.TestSrc("testsrc-64x48-100fps-50s.mp4", width, height, 100, 50);
        var selection = FrameSampler.QwenVlUtils(total, 100, 60, 4, 4096);
        Assert.Equal(3000, selection.Indices.Count);

        var frames = new List<byte[]>();
        var timestamps = await new FfmpegFrameDecoder("ffmpeg").DecodeAsync(path, 0, selection.Indices, width, height, rgb => frames.Add(rgb.ToArray()), default);

        var all = TestVideos.DecodeAll(path);
        var frameLength = width * height * 3;
        Assert.Equal(total * frameLength, all.Length);
        Assert.Equal(selection.Indices.Count, frames.Count);
        for (var k = 0; k < frames.Count; k++)
        {
            Assert.True(all.AsSpan(selection.Indices[k] * frameLength, frameLength).SequenceEqual(frames[k]), $"frame {k} (index {selection.Indices[k]})");
        }

        Assert.Equal(selection.Indices.Select(i => i / 100.0), timestamps);
        Assert.Empty(ChildProcesses.Media());
    }
}
