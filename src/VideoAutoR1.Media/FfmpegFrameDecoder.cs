using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using VideoAutoR1.Core;

namespace VideoAutoR1.Media;

/// <summary>Receives one decoded frame (HWC RGB); the buffer is reused after the call returns.</summary>
internal delegate void FrameHandler(ReadOnlySpan<byte> rgb);

/// <summary>
/// Decodes chosen frames of a video by running ffmpeg with its output piped as raw rgb24. The decoder still has to
/// decode every frame up to the last chosen one (inter prediction needs them), but ffmpeg's <c>select</c> filter drops
/// the unchosen ones right after it (before pixel conversion and the pipe), <c>-frames:v</c> stops reading after the
/// last chosen one, frames are counted in decode order without duplication or dropping
/// (<c>-fps_mode passthrough</c>: variable frame rate stays as is) and autorotation applies the display matrix.
/// The child process is always killed (whole tree) and reaped, on success, error, cancellation and timeout.
/// </summary>
internal sealed class FfmpegFrameDecoder(string ffmpegPath)
{
    private const int StderrTailLines = 12;
    private const int SelectFanOut = 20;

    /// <summary>.NET reports a child killed by signal N as exit code 128 + N.</summary>
    private const int KilledBySignal = 128;

    /// <summary>Decoded frames read ahead of the consumer, so ffmpeg keeps decoding while a frame is being resized.</summary>
    public const int ReadAhead = 2;

    /// <summary>
    /// Hands each selected frame (HWC RGB, in index order) to <paramref name="onFrame"/> and returns the frames'
    /// presentation times in seconds as ffmpeg's <c>showinfo</c> reported them. Frames are <paramref name="width"/> x
    /// <paramref name="height"/> as decoded, or <paramref name="scaleTo"/> when given (ffmpeg scales them down before
    /// the pipe). At most <see cref="ReadAhead"/> + 1 frame buffers exist at once, in native memory freed on return.
    /// </summary>
    public async Task<IReadOnlyList<double>> DecodeAsync(
        string path, int streamIndex, IReadOnlyList<int> indices, int width, int height, FrameHandler onFrame, CancellationToken ct,
        (int Width, int Height)? scaleTo = null)
    {
        var (outWidth, outHeight) = scaleTo ?? (width, height);
        var frameLength = checked(outWidth * outHeight * 3);
        var buffers = Enumerable.Range(0, ReadAhead + 1).Select(_ => new NativeFrameBuffer(frameLength)).ToArray();
        using var process = Start(path, streamIndex, indices, scaleTo);
        var stderr = new StderrCollector(process.StandardError);
        var free = Channel.CreateUnbounded<NativeFrameBuffer>();
        foreach (var buffer in buffers)
        {
            free.Writer.TryWrite(buffer);
        }

        var frames = Channel.CreateUnbounded<NativeFrameBuffer>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reader = ReadFramesAsync(process.StandardOutput.BaseStream, indices.Count, free.Reader, frames.Writer, stop.Token);
        try
        {
            var delivered = 0;
            await foreach (var rgb in frames.Reader.ReadAllAsync(ct))
            {
                onFrame(rgb.GetSpan());
                free.Writer.TryWrite(rgb);
                delivered++;
            }

            await process.WaitForExitAsync(ct);
            await stderr.Completion;
            if (delivered < indices.Count && process.ExitCode is > KilledBySignal and < KilledBySignal + 64)
            {
                // Killed (out of memory, an operator): the decoder failed, not the video, and a retry may succeed.
                throw new VideoQaException(ErrorKind.Unavailable, "video_decoder_failed", "the video decoder stopped before the video was decoded",
                    new InvalidOperationException($"ffmpeg exit code {process.ExitCode}: {stderr.Tail}"))
                {
                    RetryAfter = TimeSpan.FromSeconds(1),
                };
            }

            if (delivered < indices.Count)
            {
                // ffmpeg's words (with server paths) go to the log through the inner exception, not to the client.
                throw new VideoQaException(ErrorKind.UnsupportedMedia, "video_corrupt",
                    $"the video could not be decoded: {delivered} of {indices.Count} selected frames came out",
                    new InvalidDataException($"ffmpeg exit code {process.ExitCode}: {stderr.Tail}"));
            }

            // The pipe carries bare pixels: a size other than the probed one would shift every row, so refuse it.
            if (stderr.FrameSizes.FirstOrDefault(s => s != (width, height)) is { Width: > 0 } other)
            {
                throw new VideoQaException(ErrorKind.UnsupportedMedia, "video_corrupt",
                    $"the video changes its frame size ({width}x{height} to {other.Width}x{other.Height})");
            }

            return stderr.Timestamps;
        }
        finally
        {
            await stop.CancelAsync();
            await KillAndReapAsync(process);
            await Task.WhenAll(reader, stderr.Completion).ContinueWith(_ => { }, TaskScheduler.Default);
            foreach (var buffer in buffers)
            {
                ((IDisposable)buffer).Dispose();
            }
        }
    }

    private Process Start(string path, int streamIndex, IReadOnlyList<int> indices, (int Width, int Height)? scaleTo)
    {
        var info = new ProcessStartInfo(ffmpegPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in Arguments(path, streamIndex, indices, scaleTo))
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            return Process.Start(info) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            throw new VideoQaException(ErrorKind.Internal, "ffmpeg_missing", "the server cannot run its video decoder",
                new InvalidOperationException($"cannot run '{ffmpegPath}'", error));
        }
    }

    private static IEnumerable<string> Arguments(string path, int streamIndex, IReadOnlyList<int> indices, (int Width, int Height)? scaleTo)
    {
        var select = SelectExpression(indices.Select(i => string.Create(CultureInfo.InvariantCulture, $"eq(n\\,{i})")).ToList());
        // showinfo before scale: it reports the decoded size, which must stay the probed one.
        var scale = scaleTo is { } size ? string.Create(CultureInfo.InvariantCulture, $",scale={size.Width}:{size.Height}:flags=area") : "";
        return
        [
            "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info",
            "-i", path,
            "-map", string.Create(CultureInfo.InvariantCulture, $"0:{streamIndex}"), "-an", "-sn", "-dn",
            "-vf", $"select={select},showinfo{scale}",
            "-fps_mode", "passthrough",
            "-frames:v", indices.Count.ToString(CultureInfo.InvariantCulture),
            "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
        ];
    }

    /// <summary>
    /// Sums the terms in a tree of parenthesised groups: ffmpeg's expression parser rejects a flat sum of more than
    /// 100 terms, and a tree of fan-out <see cref="SelectFanOut"/> stays below that at any frame count.
    /// </summary>
    private static string SelectExpression(IReadOnlyList<string> terms)
    {
        if (terms.Count <= SelectFanOut)
        {
            return $"({string.Join('+', terms)})";
        }

        var groupSize = (terms.Count + SelectFanOut - 1) / SelectFanOut;
        return $"({string.Join('+', terms.Chunk(groupSize).Select(SelectExpression))})";
    }

    private static async Task ReadFramesAsync(
        Stream stdout, int expected, ChannelReader<NativeFrameBuffer> free, ChannelWriter<NativeFrameBuffer> writer, CancellationToken ct)
    {
        Exception? failure = null;
        try
        {
            for (var k = 0; k < expected; k++)
            {
                var frame = await free.ReadAsync(ct);
                var length = frame.Memory.Length;
                var read = await stdout.ReadAtLeastAsync(frame.Memory, length, throwOnEndOfStream: false, ct);
                if (read < length)
                {
                    break;
                }

                await writer.WriteAsync(frame, ct);
            }
        }
        catch (Exception error)
        {
            failure = error;
        }
        finally
        {
            writer.TryComplete(failure);
        }
    }

    private static async Task KillAndReapAsync(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }

        await process.WaitForExitAsync(CancellationToken.None);
    }

    /// <summary>Drains ffmpeg's stderr: the <c>showinfo</c> timestamps of kept frames and the last lines for error messages.</summary>
    private sealed class StderrCollector
    {
        private readonly List<double> _pts = [];
        private readonly HashSet<(int Width, int Height)> _sizes = [];
        private readonly Queue<string> _tail = new();
        private readonly Lock _gate = new();

        public StderrCollector(StreamReader stderr) => Completion = Task.Run(() => DrainAsync(stderr));

        public Task Completion { get; }

        public string Tail
        {
            get
            {
                lock (_gate)
                {
                    return string.Join(" | ", _tail);
                }
            }
        }

        /// <summary>Distinct frame sizes showinfo reported; complete once <see cref="Completion"/> has finished.</summary>
        public IReadOnlyList<(int Width, int Height)> FrameSizes
        {
            get
            {
                lock (_gate)
                {
                    return [.. _sizes];
                }
            }
        }

        /// <summary>Timestamps of the kept frames; complete once <see cref="Completion"/> has finished.</summary>
        public IReadOnlyList<double> Timestamps
        {
            get
            {
                lock (_gate)
                {
                    return [.. _pts];
                }
            }
        }

        private async Task DrainAsync(StreamReader stderr)
        {
            while (await stderr.ReadLineAsync() is { } line)
            {
                lock (_gate)
                {
                    if (line.Contains("Parsed_showinfo", StringComparison.Ordinal))
                    {
                        if (Field(line, "pts_time:") is { } ptsText
                            && double.TryParse(ptsText, NumberStyles.Float, CultureInfo.InvariantCulture, out var pts))
                        {
                            _pts.Add(pts);
                        }

                        if (Field(line, " s:") is { } sizeText && sizeText.Split('x') is [var w, var h]
                            && int.TryParse(w, CultureInfo.InvariantCulture, out var fw) && int.TryParse(h, CultureInfo.InvariantCulture, out var fh))
                        {
                            _sizes.Add((fw, fh));
                        }

                        continue;
                    }

                    _tail.Enqueue(line);
                    if (_tail.Count > StderrTailLines)
                    {
                        _tail.Dequeue();
                    }
                }
            }
        }

        /// <summary>The value after <paramref name="key"/> up to the next space, in a showinfo line.</summary>
        private static string? Field(string line, string key)
        {
            var start = line.IndexOf(key, StringComparison.Ordinal);
            if (start < 0)
            {
                return null;
            }

            start += key.Length;
            var end = line.IndexOf(' ', start);
            return end < 0 ? line[start..] : line[start..end];
        }
    }
}
