using VideoAutoR1.Core;

namespace VideoAutoR1.Eval;

/// <summary>The input formats <c>eval --format</c> reads: the project's JSONL and the published benchmark layouts.</summary>
public static class EvalFormats
{
    public const string Jsonl = "jsonl";

    private static readonly string[] Names = [Jsonl];

    public static string Parse(string name) =>
        Names.Contains(name, StringComparer.Ordinal)
            ? name
            : throw new VideoQaException(ErrorKind.InvalidArgument, "format_unknown", $"--format must be one of {string.Join(", ", Names)}, got '{name}'");

    /// <summary>Reads <paramref name="path"/> in <paramref name="format"/>.</summary>
    public static EvalInput Read(string format, string path, string? segmentsPath) => format switch
    {
        Jsonl => EvalJsonl.Read(path),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown format"),
    };
}
