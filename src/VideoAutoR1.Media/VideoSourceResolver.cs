using VideoAutoR1.Core;

namespace VideoAutoR1.Media;

/// <summary>A video as a local file for ffprobe/ffmpeg. Spooled copies are deleted on dispose; server files are left alone.</summary>
internal sealed class LocalVideo(string path, bool deleteOnDispose) : IDisposable
{
    public string Path { get; } = path;

    public void Dispose()
    {
        if (deleteOnDispose)
        {
            File.Delete(Path);
        }
    }
}

/// <summary>
/// Turns each kind of <see cref="VideoSource"/> into a local file under the configured limits. Uploaded and downloaded
/// bytes are spooled to a file in a private (0700) directory because ffmpeg needs a seekable input for MP4s whose
/// index (moov) comes last; the file is deleted as soon as the video has been processed.
/// </summary>
internal sealed class VideoSourceResolver(MediaOptions options, VideoUrlFetcher fetcher)
{
    private const int MaxLinkDepth = 40;

    public string SpoolDirectory { get; } = System.IO.Path.Combine(options.TempDirectory ?? System.IO.Path.GetTempPath(), "videoautor1-media");

    public async Task<LocalVideo> ResolveAsync(VideoSource source, CancellationToken ct) => source switch
    {
        VideoSource.Bytes bytes => await SpoolBytesAsync(bytes.Content, ct),
        VideoSource.ServerPath serverPath => new LocalVideo(ResolveServerPath(serverPath.Path), deleteOnDispose: false),
        VideoSource.Url url => await DownloadAsync(url.Address, ct),
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, "unknown video source kind"),
    };

    private async Task<LocalVideo> SpoolBytesAsync(ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        if (content.Length > options.MaxBytes)
        {
            throw TooLarge(content.Length);
        }

        return await SpoolAsync(async (file, token) => await file.WriteAsync(content, token), ct);
    }

    private async Task<LocalVideo> DownloadAsync(Uri address, CancellationToken ct)
    {
        return await SpoolAsync((file, token) => fetcher.DownloadAsync(address, file, options.MaxBytes, token), ct);
    }

    private async Task<LocalVideo> SpoolAsync(Func<FileStream, CancellationToken, Task> write, CancellationToken ct)
    {
        try
        {
            return await SpoolToFileAsync(write, ct);
        }
        catch (Exception error) when (error is UnauthorizedAccessException || (error is IOException && error is not System.Net.Http.HttpIOException))
        {
            // A full or unwritable temp directory is the server's fault; its path stays in the log (inner exception).
            throw new VideoQaException(ErrorKind.Unavailable, "video_spool_failed", "the server could not store the video for processing", error)
            {
                RetryAfter = TimeSpan.FromSeconds(5),
            };
        }
    }

    private async Task<LocalVideo> SpoolToFileAsync(Func<FileStream, CancellationToken, Task> write, CancellationToken ct)
    {
        // Owner-only directory and files: other local users must not read or swap a video being processed.
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(SpoolDirectory);
        }
        else
        {
            Directory.CreateDirectory(SpoolDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var path = System.IO.Path.Combine(SpoolDirectory, $"{Guid.NewGuid():N}.video");
        var video = new LocalVideo(path, deleteOnDispose: true);
        try
        {
            var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows())
            {
                fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            await using var file = new FileStream(path, fileOptions);
            await write(file, ct);
            return video;
        }
        catch
        {
            video.Dispose();
            throw;
        }
    }

    /// <summary>Resolves <paramref name="relative"/> under the media root, following symlinks, and refuses anything that ends outside it.</summary>
    private string ResolveServerPath(string relative)
    {
        if (options.ServerPathRoot is not { } configuredRoot)
        {
            throw new VideoQaException(ErrorKind.InvalidArgument, "video_source_disabled", "this server does not read server-local video paths") { Field = "video_path" };
        }

        var root = Canonicalize(System.IO.Path.GetFullPath(configuredRoot), 0);
        if (string.IsNullOrWhiteSpace(relative) || System.IO.Path.IsPathRooted(relative) || relative.Contains('\0'))
        {
            throw Forbidden(relative);
        }

        var full = Canonicalize(System.IO.Path.GetFullPath(System.IO.Path.Combine(root, relative)), 0);
        if (!full.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal))
        {
            throw Forbidden(relative);
        }

        if (!File.Exists(full))
        {
            throw new VideoQaException(ErrorKind.SourceUnavailable, "video_path_not_found", $"no video at '{relative}'") { Field = "video_path" };
        }

        var length = new FileInfo(full).Length;
        return length > options.MaxBytes ? throw TooLarge(length) : full;
    }

    /// <summary>The path with every symlink component replaced by its target (what realpath(3) returns).</summary>
    private static string Canonicalize(string fullPath, int depth)
    {
        if (depth > MaxLinkDepth)
        {
            throw new VideoQaException(ErrorKind.InvalidArgument, "video_path_forbidden", "too many levels of symbolic links") { Field = "video_path" };
        }

        var current = "/";
        foreach (var part in fullPath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var next = System.IO.Path.Combine(current, part);
            var info = new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                next = Canonicalize(System.IO.Path.GetFullPath(target, current), depth + 1);
            }

            current = next;
        }

        return current;
    }

    private static VideoQaException Forbidden(string path) =>
        new(ErrorKind.InvalidArgument, "video_path_forbidden", $"'{path}' is not a path under the media root") { Field = "video_path" };

    private VideoQaException TooLarge(long length) =>
        new(ErrorKind.TooLarge, "video_too_large", $"the video is {length} bytes; the limit is {options.MaxBytes}");
}
