using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using VideoAutoR1.Media;

namespace VideoAutoR1.Bench;

/// <summary>
/// Frame selection + ffmpeg decode + resize + normalise/patchify of a generated 1280×720 30 fps clip, against a bare
/// <c>ffmpeg -i clip -f null -</c> decode of the same file in the same run. Median of the timed runs after one warm-up.
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

            var bare = Median(runs, () => Ffmpeg("-i", clip, "-f", "null", "-"));
            Console.WriteLine($"bare decode   ffmpeg -i clip -f null -            {bare,8:0} ms");
            foreach (var kernel in new[] { ResizeKernel.Float, ResizeKernel.Uint8 })
            {
                var options = new MediaOptions { ServerPathRoot = dir.FullName, ResizeKernel = kernel, VideoTimeout = TimeSpan.FromMinutes(10) };
                using var preprocessor = new VideoPreprocessor(Options.Create(options));
                PreprocessedVideo? video = null;
                var ms = Median(runs, () => video = preprocessor.PreprocessAsync(new VideoSource.ServerPath("clip.mp4"), null, default).GetAwaiter().GetResult());
                Console.WriteLine($"preprocess    {kernel,-5} kernel, {video!.FrameTimestamps.Count} frames -> grid {video.GridT}x{video.GridH}x{video.GridW}, {video.TokenCount(2)} tokens {ms,8:0} ms   ratio {ms / bare:0.00}x bare decode");
            }

            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static double Median(int runs, Action action)
    {
        action();
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        return times[times.Count / 2];
    }

    private static void Ffmpeg(params string[] arguments)
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

    private static int IntArg(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
