using System.Text;
using System.Text.Json;
using VideoAutoR1.Core;

namespace VideoAutoR1.Eval;

/// <summary>
/// results.jsonl: read whole (summary, calibration), or opened for appending one flushed line per finished item, so
/// an interrupted run loses nothing it finished and a rerun skips the ids already there.
/// </summary>
public sealed class ResultsFile : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly Lock _lock = new();

    private ResultsFile(StreamWriter writer, IReadOnlyList<ResultLine> existing)
    {
        _writer = writer;
        Existing = existing;
    }

    /// <summary>Lines already in the file when it was opened.</summary>
    public IReadOnlyList<ResultLine> Existing { get; }

    /// <summary>Every line of a results file; a malformed line is an error naming its number.</summary>
    public static IReadOnlyList<ResultLine> Read(string path) => ReadLines(path, out _);

    /// <summary>
    /// Opens <paramref name="path"/> for appending (creating it). A last line cut short by a killed run is removed;
    /// any other malformed line is an error.
    /// </summary>
    public static ResultsFile OpenForAppend(string path)
    {
        IReadOnlyList<ResultLine> existing = [];
        if (File.Exists(path))
        {
            existing = ReadLines(path, out var validLength);
            using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
            if (file.Length != validLength)
            {
                file.SetLength(validLength);
            }
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }

        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        var writer = new StreamWriter(stream, new UTF8Encoding(false));
        if (stream.Length > 0 && !EndsWithNewline(path))
        {
            writer.Write('\n');
            writer.Flush();
        }

        return new ResultsFile(writer, existing);
    }

    /// <summary>Appends one line and flushes it to the operating system before returning.</summary>
    public void Append(ResultLine line)
    {
        var text = JsonSerializer.Serialize(line, ResultLine.Json);
        lock (_lock)
        {
            _writer.Write(text);
            _writer.Write('\n');
            _writer.Flush();
        }
    }

    public void Dispose() => _writer.Dispose();

    private static bool EndsWithNewline(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        file.Seek(-1, SeekOrigin.End);
        return file.ReadByte() == '\n';
    }

    private static List<ResultLine> ReadLines(string path, out long validLength)
    {
        var bytes = File.ReadAllBytes(path);
        var lines = new List<ResultLine>();
        validLength = 0;
        var start = 0;
        var number = 0;
        while (start < bytes.Length)
        {
            number++;
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            var complete = end >= 0;
            var span = bytes.AsSpan(start, (complete ? end : bytes.Length) - start);
            var next = complete ? end + 1 : bytes.Length;
            if (span.Trim(" \t\r"u8).IsEmpty)
            {
                start = next;
                validLength = next;
                continue;
            }

            try
            {
                var line = JsonSerializer.Deserialize<ResultLine>(span, ResultLine.Json)
                    ?? throw new JsonException("null");
                lines.Add(line);
                validLength = complete ? next : bytes.Length;
            }
            catch (Exception error) when (error is JsonException or InvalidOperationException)
            {
                // Only an unterminated last line can be the remains of an interrupted write.
                if (!complete)
                {
                    break;
                }

                throw new VideoQaException(ErrorKind.InvalidArgument, "results_malformed", $"{path}: line {number} is not a result line ({error.Message.Split('.')[0]})");
            }

            start = next;
        }

        return lines;
    }
}
