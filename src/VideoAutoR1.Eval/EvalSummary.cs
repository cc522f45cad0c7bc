using System.Text.Json.Serialization;

namespace VideoAutoR1.Eval;

/// <summary>
/// Metrics of a group of result lines. Accuracies are fractions over the items whose task has a right answer
/// (multiple choice, numeric, open, NExT-GQA's letter); a2's over the items that thought. mIoU and R@m (IoU ≥ m) are
/// over the items with a segment (temporal grounding, NExT-GQA). All of the final answer unless named a1/a2.
/// </summary>
public sealed record EvalMetrics(
    int Items,
    int AnswerItems,
    double? AccuracyA1,
    int A2Items,
    double? AccuracyA2,
    double? AccuracyFinal,
    int SegmentItems,
    double? MeanIou,
    [property: JsonPropertyName("r@0.3")] double? RecallAt03,
    [property: JsonPropertyName("r@0.5")] double? RecallAt05,
    [property: JsonPropertyName("r@0.7")] double? RecallAt07,
    double ThinkRate,
    double MeanGeneratedTokens,
    double? MeanA1Confidence,
    double LatencyP50S,
    double LatencyP95S)
{
    public static EvalMetrics Of(IReadOnlyCollection<ResultLine> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var answered = lines.Where(l => l.CorrectFinal is not null).ToArray();
        var thought = answered.Where(l => l.CorrectA2 is not null).ToArray();
        var segments = lines.Where(l => l.Iou is not null).Select(l => l.Iou!.Value).ToArray();
        var confidences = lines.Where(l => l.A1Confidence is not null).Select(l => l.A1Confidence!.Value).ToArray();
        var latencies = lines.Select(l => l.LatencyS).Order().ToArray();
        return new EvalMetrics(
            lines.Count,
            answered.Length,
            Fraction(answered, l => l.CorrectA1 == true),
            thought.Length,
            Fraction(thought, l => l.CorrectA2 == true),
            Fraction(answered, l => l.CorrectFinal == true),
            segments.Length,
            segments.Length == 0 ? null : segments.Average(),
            Recall(segments, 0.3),
            Recall(segments, 0.5),
            Recall(segments, 0.7),
            lines.Count == 0 ? 0 : lines.Count(l => l.Thought) / (double)lines.Count,
            lines.Count == 0 ? 0 : lines.Average(l => l.GeneratedTokens),
            confidences.Length == 0 ? null : confidences.Average(),
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.95));
    }

    private static double? Fraction(IReadOnlyCollection<ResultLine> lines, Func<ResultLine, bool> hit) =>
        lines.Count == 0 ? null : lines.Count(hit) / (double)lines.Count;

    private static double? Recall(double[] ious, double at) => ious.Length == 0 ? null : ious.Count(iou => iou >= at) / (double)ious.Length;

    /// <summary>Linear interpolation between closest ranks (numpy's default) over sorted values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0)
        {
            return 0;
        }

        var rank = q * (sorted.Count - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + ((rank - low) * (sorted[high] - sorted[low]));
    }
}

/// <summary>A named group (a benchmark, or one of its categories) and its metrics.</summary>
public sealed record EvalGroup(string Name, EvalMetrics Metrics, IReadOnlyList<EvalGroup> Categories);

/// <summary>
/// summary.json: who produced the results, the metrics overall, per benchmark and per category, and every input
/// line or item that was skipped, with its line number and reason.
/// </summary>
public sealed record EvalSummary(
    string Model,
    string Mode,
    double? Threshold,
    EvalMetrics Overall,
    IReadOnlyList<EvalGroup> Benchmarks,
    int InputProblemCount,
    int FailedItemCount,
    IReadOnlyList<EvalProblem> InputProblems,
    IReadOnlyList<EvalProblem> FailedItems)
{
    /// <summary>Name of the group of lines without a benchmark or category.</summary>
    public const string Unnamed = "(none)";

    public static EvalSummary Of(
        IReadOnlyList<ResultLine> lines, string model, string mode, double? threshold, IReadOnlyList<EvalProblem> inputProblems, IReadOnlyList<EvalProblem> failedItems)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var benchmarks = lines
            .GroupBy(l => l.Benchmark ?? Unnamed, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(b => new EvalGroup(
                b.Key,
                EvalMetrics.Of([.. b]),
                [.. b.GroupBy(l => l.Category ?? Unnamed, StringComparer.Ordinal)
                    .OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(c => new EvalGroup(c.Key, EvalMetrics.Of([.. c]), []))]))
            .ToArray();
        return new EvalSummary(model, mode, threshold, EvalMetrics.Of(lines), benchmarks, inputProblems.Count, failedItems.Count, inputProblems, failedItems);
    }
}
