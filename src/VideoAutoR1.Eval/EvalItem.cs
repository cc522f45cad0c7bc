using System.Text.RegularExpressions;
using VideoAutoR1.Core;
using VideoAutoR1.Eval.Grading;

namespace VideoAutoR1.Eval;

/// <summary>
/// One benchmark item as a source format gives it, before validation: every field may be missing or malformed.
/// <paramref name="Line"/> is the 1-based line (JSONL, text) or row (parquet, JSON array, CSV) it came from.
/// </summary>
public sealed record EvalRecord(
    int Line,
    string? Id,
    string? Video,
    string? Question,
    IReadOnlyList<string>? Options,
    string? Task,
    string? Answer,
    string? Category = null,
    string? Benchmark = null,
    string? Prompt = null);

/// <summary>A validated item: a question the prompt builder accepts, a ground truth that fits it, an existing video.</summary>
public sealed record EvalItem(
    int Line,
    string Id,
    string VideoPath,
    QuestionSpec Question,
    GroundTruth Truth,
    string? Category,
    string? Benchmark);

/// <summary>Something wrong with one input line or one item's run, reported with where it came from.</summary>
public sealed record EvalProblem(int Line, string? Id, string Code, string Message)
{
    public override string ToString() => Id is null ? $"line {Line}: {Code}: {Message}" : $"line {Line} (id {Id}): {Code}: {Message}";
}

/// <summary>The task names of the input format (snake_case) and their <see cref="TaskKind"/>.</summary>
public static class EvalTasks
{
    private static readonly Dictionary<string, TaskKind> Kinds = new(StringComparer.Ordinal)
    {
        ["multiple_choice"] = TaskKind.MultipleChoice,
        ["numeric"] = TaskKind.Numeric,
        ["open"] = TaskKind.Open,
        ["temporal_grounding"] = TaskKind.TemporalGrounding,
        ["grounded_qa"] = TaskKind.GroundedQa,
    };

    public static IEnumerable<string> Names => Kinds.Keys;

    public static bool TryParse(string? name, out TaskKind kind) => Kinds.TryGetValue(name ?? "", out kind);

    public static string Name(TaskKind kind) => Kinds.First(pair => pair.Value == kind).Key;

    /// <summary>Kinds whose answer is right or wrong (accuracy); temporal grounding is scored by IoU alone.</summary>
    public static bool HasCorrectness(TaskKind kind) => kind != TaskKind.TemporalGrounding;

    /// <summary>Kinds whose answer carries a segment (IoU, R@m).</summary>
    public static bool HasSegment(TaskKind kind) => kind is TaskKind.TemporalGrounding or TaskKind.GroundedQa;
}

/// <summary>The prompt names of the input format's optional <c>"prompt"</c> field (a benchmark's own multiple-choice wording).</summary>
public static class EvalPrompts
{
    private static readonly Dictionary<string, PromptStyle> Styles = new(StringComparer.Ordinal)
    {
        ["default"] = PromptStyle.Default,
        ["videomme"] = PromptStyle.VideoMme,
        ["mvbench"] = PromptStyle.MvBench,
        ["videommmu"] = PromptStyle.VideoMmmu,
    };

    public static IEnumerable<string> Names => Styles.Keys;

    public static bool TryParse(string? name, out PromptStyle style) => Styles.TryGetValue(name ?? "default", out style);

    public static string Name(PromptStyle style) => Styles.First(pair => pair.Value == style).Key;
}

/// <summary>Option texts as the prompt builder wants them: without the "A. " / "(A) " / "A) " letters some formats carry.</summary>
public static partial class OptionText
{
    /// <summary>Strips the letters only when every option carries its own letter in order, so "A) red" is never misread.</summary>
    public static IReadOnlyList<string> WithoutLetters(IReadOnlyList<string> options)
    {
        var stripped = new string[options.Count];
        for (var i = 0; i < options.Count; i++)
        {
            var match = LetterPrefix().Match(options[i]);
            if (!match.Success || match.Groups["letter"].Value[0] != (char)('A' + i))
            {
                return options;
            }

            stripped[i] = options[i][match.Length..];
        }

        return stripped;
    }

    [GeneratedRegex(@"^\s*(?:\((?<letter>[A-Z])\)|(?<letter>[A-Z])[.)])\s*")]
    private static partial Regex LetterPrefix();
}
