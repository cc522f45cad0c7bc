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
    public static async Task<int> RunAsync(string[] args)
    {
        var cli = new CliArgs(args, new HashSet<string>(StringComparer.Ordinal) { "probe" });
        if (cli.Positional.Count != 1)
        {
            throw new CliUsageException("expected one video file");
        }

        var file = Path.GetFullPath(cli.Positional[0]);
        var options = new MediaOptions
        {
            ServerPathRoot = Path.GetDirectoryName(file),
            ResizeKernel = cli.Optional("kernel") switch
            {
                null or "float" => ResizeKernel.Float,
                "uint8" => ResizeKernel.Uint8,
                var other => throw new CliUsageException($"--kernel must be float or uint8, got '{other}'"),
            },
            Sampler = cli.Optional("sampler") switch
            {
                null or "qwen" => FrameSamplerKind.QwenVlUtils,
                "hf" => FrameSamplerKind.HuggingFace,
                var other => throw new CliUsageException($"--sampler must be qwen or hf, got '{other}'"),
            },
        };
        using var preprocessor = new VideoPreprocessor(Options.Create(options));
        var source = new VideoSource.ServerPath(Path.GetFileName(file));
        if (cli.Flag("probe"))
        {
            var probe = await preprocessor.ProbeAsync(source, CancellationToken.None);
            Console.WriteLine(FormattableString.Invariant(
                $"{probe.Codec} {probe.Width}x{probe.Height} rotation {probe.Rotation} {probe.AverageFps:0.###} fps {probe.FrameCount} frames {probe.DurationSeconds:0.###} s"));
            return 0;
        }

        var sampling = new VideoSamplingRequest(cli.OptionalDouble("fps"), null, cli.OptionalInt("max-frames"),
            cli.OptionalInt("min-pixels"), cli.OptionalInt("max-pixels"), cli.OptionalDouble("start"), cli.OptionalDouble("end"));
        var video = await preprocessor.PreprocessAsync(source, sampling, CancellationToken.None);
        Console.WriteLine(FormattableString.Invariant(
            $"grid {video.GridT}x{video.GridH}x{video.GridW}, {video.TokenCount(VideoPatchifier.SpatialMergeSize)} tokens, pixel_values [{video.PixelValues.Length / video.PatchDim}, {video.PatchDim}]"));
        Console.WriteLine(FormattableString.Invariant($"sample fps {video.SampleFps:0.####}, second_per_grid_t {video.SecondPerGridT:0.####}"));
        Console.WriteLine("frame times (s): " + string.Join(' ', video.FrameTimestamps.Select(t => t.ToString("0.###", CultureInfo.InvariantCulture))));
        return 0;
    }
}
