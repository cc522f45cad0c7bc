using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Options;
using VideoAutoR1.Media;

namespace VideoAutoR1.Cli;

/// <summary>
/// <c>videoautor1 video FILE [--probe] [--fps F] [--max-frames N] [--min-pixels P] [--max-pixels P] [--start S] [--end S]
/// [--kernel float|uint8] [--sampler qwen|hf]</c>: runs the media pipeline on a local file and prints what the model
/// would receive (grid, tokens, frame times) or, with --probe, what ffprobe found.
/// </summary>
public static class VideoCommand
{
    public static Command Create()
    {
        var file = CliOptions.Path("file", "the video file");
        var probe = CliOptions.Flag("--probe", "print what ffprobe found instead of preprocessing");
        var fps = CliOptions.Number("--fps", "sampling fps");
        var maxFrames = CliOptions.Integer("--max-frames", "frame cap");
        var minPixels = CliOptions.Integer("--min-pixels", "per-frame pixel floor");
        var maxPixels = CliOptions.Integer("--max-pixels", "per-frame pixel cap");
        var start = CliOptions.Number("--start", "segment start, seconds");
        var end = CliOptions.Number("--end", "segment end, seconds");
        var kernel = CliOptions.Choice("--kernel", "resize kernel", ResizeKernel.Float, ("float", ResizeKernel.Float), ("uint8", ResizeKernel.Uint8));
        var sampler = CliOptions.Choice("--sampler", "frame sampler", FrameSamplerKind.QwenVlUtils, ("qwen", FrameSamplerKind.QwenVlUtils), ("hf", FrameSamplerKind.HuggingFace));
        var command = new Command("video", "preprocess (or --probe) a local video file as the model would see it")
        {
            file, probe, fps, maxFrames, minPixels, maxPixels, start, end, kernel, sampler,
        };
        command.SetAction((parse, _) => RunAsync(
            parse.GetValue(file)!,
            parse.GetValue(probe),
            new VideoSamplingRequest(parse.GetValue(fps), null, parse.GetValue(maxFrames), parse.GetValue(minPixels), parse.GetValue(maxPixels), parse.GetValue(start), parse.GetValue(end)),
            parse.GetValue(kernel),
            parse.GetValue(sampler)));
        return command;
    }

    private static async Task<int> RunAsync(string path, bool probeOnly, VideoSamplingRequest sampling, ResizeKernel kernel, FrameSamplerKind sampler)
    {
        var file = Path.GetFullPath(path);
        var options = new MediaOptions
        {
            ServerPathRoot = Path.GetDirectoryName(file),
            ResizeKernel = kernel,
            Sampler = sampler,
        };
        using var preprocessor = new VideoPreprocessor(Options.Create(options));
        var source = new VideoSource.ServerPath(Path.GetFileName(file));
        if (probeOnly)
        {
            var probe = await preprocessor.ProbeAsync(source, CancellationToken.None);
            Console.WriteLine(FormattableString.Invariant(
                $"{probe.Codec} {probe.Width}x{probe.Height} rotation {probe.Rotation} {probe.AverageFps:0.###} fps {probe.FrameCount} frames {probe.DurationSeconds:0.###} s"));
            return 0;
        }

        var video = await preprocessor.PreprocessAsync(source, sampling, CancellationToken.None);
        Console.WriteLine(FormattableString.Invariant(
            $"grid {video.GridT}x{video.GridH}x{video.GridW}, {video.TokenCount(VideoPatchifier.SpatialMergeSize)} tokens, pixel_values [{video.PixelValues.Length / video.PatchDim}, {video.PatchDim}]"));
        Console.WriteLine(FormattableString.Invariant($"sample fps {video.SampleFps:0.####}, second_per_grid_t {video.SecondPerGridT:0.####}"));
        Console.WriteLine("frame times (s): " + string.Join(' ', video.FrameTimestamps.Select(t => t.ToString("0.###", CultureInfo.InvariantCulture))));
        return 0;
    }
}
