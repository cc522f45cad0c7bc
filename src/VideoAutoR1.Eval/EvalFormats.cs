using VideoAutoR1.Core;
using VideoAutoR1.Eval.Adapters;

namespace VideoAutoR1.Eval;

/// <summary>The input formats <c>eval --format</c> reads: the project's JSONL and the published benchmark layouts.</summary>
public static class EvalFormats
{
    public const string Jsonl = "jsonl";

    public const string VideoMme = "videomme";
    public const string MvBench = "mvbench";
    public const string CharadesSta = "charades-sta";
    public const string NextGqa = "nextgqa";

    private static readonly string[] Names = [Jsonl, VideoMme, MvBench, CharadesSta, NextGqa];

    public static string Parse(string name) =>
        Names.Contains(name, StringComparer.Ordinal)
            ? name
            : throw new VideoQaException(ErrorKind.InvalidArgument, "format_unknown", $"--format must be one of {string.Join(", ", Names)}, got '{name}'");

    /// <summary>Reads <paramref name="path"/> in <paramref name="format"/>.</summary>
    public static EvalInput Read(string format, string path, string? segmentsPath) => format switch
    {
        Jsonl => EvalJsonl.Read(path),
        VideoMme => VideoMmeAdapter.Read(path),
        MvBench => MvBenchAdapter.Read(path),
        CharadesSta => CharadesStaAdapter.Read(path),
        NextGqa => NextGqaAdapter.Read(path, segmentsPath),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown format"),
    };
}
