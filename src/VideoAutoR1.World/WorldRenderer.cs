using System.ComponentModel;
using System.Diagnostics;
using VideoAutoR1.Core;

namespace VideoAutoR1.World;

/// <summary>Renders scenes to H.264 yuv420p mp4 files with ffmpeg.</summary>
public sealed class WorldRenderer(string ffmpeg = "ffmpeg")
{
    /// <summary>The file name of a scene: its family and a hash of its description, so equal scenes share a file.</summary>
    public static string FileName(WorldScene scene) =>
        $"{scene.Family.ToString().ToLowerInvariant()}-{Convert.ToHexStringLower(scene.DescriptionHash)[..12]}.mp4";

    /// <summary>Fails with <c>ffmpeg_missing</c> when ffmpeg cannot be run, before any work is started.</summary>
    public async Task CheckAsync(CancellationToken ct = default)
    {
        using var process = Start(["-hide_banner", "-version"]);
        await Task.WhenAll(process.StandardOutput.ReadToEndAsync(ct), process.StandardError.ReadToEndAsync(ct));
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new VideoQaException(ErrorKind.Unavailable, "ffmpeg_missing", $"'{ffmpeg} -version' exited with {process.ExitCode}");
        }
    }

    /// <summary>Renders the scene into <paramref name="directory"/> unless its file is there; returns the path.</summary>
    public async Task<string> RenderAsync(WorldScene scene, string directory, CancellationToken ct = default)
    {
        var path = Path.Combine(directory, FileName(scene));
        if (File.Exists(path))
        {
            return path;
        }

        // Written beside the target and moved in, so an interrupted run never leaves half a clip under the real name.
        var partial = path + ".partial.mp4";
        using (var process = Start(
        [
            "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-filter_complex", scene.Filtergraph, "-map", "[v]",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-threads", "1",
            partial,
        ]))
        {
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0)
            {
                File.Delete(partial);
                throw new VideoQaException(ErrorKind.Internal, "render_failed",
                    $"ffmpeg failed on {scene.Description} (exit {process.ExitCode}): {(await stderr).Trim()}");
            }
        }

        File.Move(partial, path, overwrite: true);
        return path;
    }

    private Process Start(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(ffmpeg)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            return Process.Start(start) ?? throw new InvalidOperationException("ffmpeg did not start");
        }
        catch (Win32Exception error)
        {
            throw new VideoQaException(ErrorKind.Unavailable, "ffmpeg_missing", $"cannot run '{ffmpeg}' ({error.Message}); install ffmpeg", error);
        }
    }

    /// <summary>Renders every scene, <paramref name="parallelism"/> at a time; paths in the scenes' order.</summary>
    public async Task<string[]> RenderAllAsync(IReadOnlyList<WorldScene> scenes, string directory, int parallelism, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        Directory.CreateDirectory(directory);
        var paths = new string[scenes.Count];
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, scenes.Count), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct },
            async (i, token) =>
            {
                paths[i] = await RenderAsync(scenes[i], directory, token);
                progress?.Report(Interlocked.Increment(ref done));
            });
        return paths;
    }
}
