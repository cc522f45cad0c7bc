using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using VideoAutoR1.Media;

namespace VideoAutoR1.Bench;

/// <summary>
/// Frame selection + ffmpeg decode + resize + normalise/patchify of a generated 1280×720 30 fps clip, against a bare
/// <c>ffmpeg -i clip -f null -</c> decode of the same file in the same run. Median of the timed runs after one warm-up round.
/// </summary>
public static class MediaBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = IntArg(args, "--seconds", 60);
        var runs = IntArg(args, "--runs", 3);
        var dir = Directory.CreateTempSubdirectory("videoautor1-media-bench-");
        try
        {
            var clip = Path.Combine(dir.FullName, "clip.mp4");
            Ffmpeg("-f", "lavfi", "-i", $"testsrc2=size=1280x720:rate=30", "-t", seconds.ToString(CultureInfo.InvariantCulture),
                "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "veryfast", clip);
            Console.WriteLine($"clip: {seconds} s 1280x720 30 fps testsrc2, libx264 veryfast yuv420p, {new FileInfo(clip).Length / 1e6:0.0} MB; {runs} timed runs after 1 warm-up, median");

            // The three measurements are interleaved run by run so that load from other processes hits them alike.
            var kernels = new[] { ResizeKernel.Float, ResizeKernel.Uint8 };
            var preprocessors = kernels.Select(kernel => new VideoPreprocessor(Options.Create(new MediaOptions
            {
                ServerPathRoot = dir.FullName,
                ResizeKernel = kernel,
                VideoTimeout = TimeSpan.FromMinutes(10),
            }))).ToList();
            var steps = new List<(string Name, Action Run)> { ("bare", () => Ffmpeg("-i", clip, "-f", "null", "-")) };
            var videos = new PreprocessedVideo?[kernels.Length];
            for (var k = 0; k < kernels.Length; k++)
            {
                var index = k;
                steps.Add((kernels[k].ToString(), () => videos[index] = preprocessors[index]
                    .PreprocessAsync(new VideoSource.ServerPath("clip.mp4"), null, default).GetAwaiter().GetResult()));
            }

            var times = steps.Select(_ => new List<double>()).ToList();
            for (var run = 0; run <= runs; run++)
            {
                for (var i = 0; i < steps.Count; i++)
                {
                    var watch = Stopwatch.StartNew();
                    steps[i].Run();
                    if (run > 0)
                    {
                        times[i].Add(watch.Elapsed.TotalMilliseconds);
                    }
                }
            }

            var bare = Median(times[0]);
            Console.WriteLine($"bare decode   ffmpeg -i clip -f null -                           median {bare,7:0} ms  min {times[0].Min(),7:0} ms");
            for (var k = 0; k < kernels.Length; k++)
            {
                var video = videos[k]!;
                var ms = Median(times[k + 1]);
                Console.WriteLine($"preprocess    {kernels[k],-5} kernel, {video.FrameTimestamps.Count} frames -> grid {video.GridT}x{video.GridH}x{video.GridW} " +
                    $"median {ms,7:0} ms  min {times[k + 1].Min(),7:0} ms  ratio {ms / bare:0.00}x bare decode");
                preprocessors[k].Dispose();
            }

            PrintCpuShare(videos[0]!, runs);
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>The in-process share: resizing and patchifying as many 1280×720 frames as the pipeline kept, without ffmpeg.</summary>
    private static void PrintCpuShare(PreprocessedVideo video, int runs)
    {
        var (outH, outW) = (video.GridH * VideoPatchifier.PatchSize, video.GridW * VideoPatchifier.PatchSize);
        var frame = new byte[1280 * 720 * 3];
        new Random(1).NextBytes(frame);
        var count = video.FrameTimestamps.Count;
        var resized = Enumerable.Range(0, count).Select(_ => new byte[outH * outW * 3]).ToList();
        foreach (var kernel in new[] { ResizeKernel.Float, ResizeKernel.Uint8 })
        {
            var resizer = new BicubicAntialias(720, 1280, outH, outW, kernel);
            var times = new List<double>();
            for (var run = 0; run <= runs; run++)
            {
                var watch = Stopwatch.StartNew();
                foreach (var output in resized)
                {
                    resizer.Resize(frame, output);
                }

                times.Add(watch.Elapsed.TotalMilliseconds);
            }

            Console.WriteLine($"  of which    {kernel,-5} resize of {count} frames 1280x720 -> {outW}x{outH} alone          median {Median(times[1..]),7:0} ms");
        }

        var patchify = new List<double>();
        for (var run = 0; run <= runs; run++)
        {
            var watch = Stopwatch.StartNew();
            VideoPatchifier.Patchify(resized, outH, outW);
            patchify.Add(watch.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine($"  of which    normalise + patchify of {count} frames alone                         median {Median(patchify[1..]),7:0} ms");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    internal static void Ffmpeg(params string[] arguments)
    {
        var info = new ProcessStartInfo("ffmpeg") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var argument in (string[])["-hide_banner", "-loglevel", "error", "-nostdin", "-y", .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg failed: {stderr}");
        }
    }

    internal static int IntArg(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
