using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace VideoAutoR1.Media.Tests;

/// <summary>Test videos made with the real ffmpeg, once per test run, in a private temp directory.</summary>
internal static class TestVideos
{
    private static readonly ConcurrentDictionary<string, Lazy<string>> Made = new(StringComparer.Ordinal);

    static TestVideos() => AppDomain.CurrentDomain.ProcessExit += (_, _) => System.IO.Directory.Delete(Directory, recursive: true);

    public static string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("videoautor1-media-tests-").FullName;

    /// <summary>Runs <c>ffmpeg -y … output</c> once per name and returns the output path.</summary>
    public static string Make(string name, params string[] arguments) =>
        Made.GetOrAdd(name, n => new Lazy<string>(() =>
        {
            var path = Path.Combine(Directory, n);
            Ffmpeg([.. arguments, path]);
            return path;
        })).Value;

    /// <summary>testsrc at the given size and rate, H.264 yuv420p.</summary>
    public static string TestSrc(string name, int width, int height, double rate, double seconds, params string[] extra) =>
        Make(name, ["-f", "lavfi", "-i", Invariant($"testsrc=size={width}x{height}:rate={rate}"), "-t", Invariant($"{seconds}"),
            "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", .. extra]);

    public static void Ffmpeg(params string[] arguments)
    {
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-hide_banner", "-loglevel", "error", "-nostdin", "-y", .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"ffmpeg {string.Join(' ', arguments)} failed: {stderr}");
    }

    /// <summary>The reference decode of the fixture README: every frame, rgb24, through a plain pipe.</summary>
    public static byte[] DecodeAll(string path)
    {
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in (string[])["-hide_banner", "-loglevel", "error", "-nostdin", "-threads", "1", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        using var buffer = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(buffer);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return buffer.ToArray();
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}

/// <summary>Builds a preprocessor over options the test tweaks, spooling into a directory the test can inspect.</summary>
internal sealed class Harness : IDisposable
{
    public Harness(Action<MediaOptions>? configure = null, MediaDecodeOptions? decode = null)
    {
        Options = new MediaOptions { TempDirectory = System.IO.Directory.CreateTempSubdirectory("videoautor1-media-spool-").FullName };
        configure?.Invoke(Options);
        var validation = new MediaOptionsValidator().Validate(null, Options);
        Assert.True(validation.Succeeded, validation.FailureMessage);
        Preprocessor = new VideoPreprocessor(Microsoft.Extensions.Options.Options.Create(Options), null,
            Microsoft.Extensions.Options.Options.Create(decode ?? new MediaDecodeOptions()));
    }

    public MediaOptions Options { get; }

    public VideoPreprocessor Preprocessor { get; }

    public Task<PreprocessedVideo> RunAsync(VideoSource source, VideoSamplingRequest? sampling = null, CancellationToken ct = default) =>
        Preprocessor.PreprocessAsync(source, sampling, ct);

    /// <summary>Asserts the pipeline left no spooled file and no ffmpeg/ffprobe child (running or zombie) behind.</summary>
    public void AssertClean()
    {
        var spool = Preprocessor.SpoolDirectory;
        Assert.True(!System.IO.Directory.Exists(spool) || System.IO.Directory.GetFileSystemEntries(spool).Length == 0,
            $"files left in {spool}");
        Assert.Empty(ChildProcesses.Media());
    }

    public void Dispose()
    {
        Preprocessor.Dispose();
        System.IO.Directory.Delete(Options.TempDirectory!, recursive: true);
    }
}

/// <summary>This process's children named ffmpeg or ffprobe, read from /proc (a zombie still has an entry).</summary>
internal static class ChildProcesses
{
    public static IReadOnlyList<string> Media()
    {
        var self = Environment.ProcessId;
        var found = new List<string>();
        foreach (var dir in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue;
            }

            // pid (comm) state ppid ...
            var close = stat.LastIndexOf(')');
            var comm = stat[(stat.IndexOf('(') + 1)..close];
            var fields = stat[(close + 2)..].Split(' ');
            if (int.Parse(fields[1]) == self && comm is "ffmpeg" or "ffprobe")
            {
                found.Add($"{pid} {comm} state {fields[0]}");
            }
        }

        return found;
    }
}
