namespace VideoAutoR1.Eval.Tests;

public sealed class SummaryTests
{
    [Fact]
    public void Metrics_count_accuracy_over_answerable_items_and_iou_over_segments()
    {
        ResultLine[] lines =
        [
            Lines.Think("1", 0.9, a1Right: true, a2Right: true) with { Benchmark = "b", Category = "x", LatencyS = 1 },
            Lines.Think("2", 0.5, a1Right: false, a2Right: true) with { Benchmark = "b", Category = "x", LatencyS = 2 },
            Lines.Think("3", null, a1Right: false, a2Right: false) with { Benchmark = "b", Category = "y", LatencyS = 3 },
            new ResultLine
            {
                Id = "g", Task = "temporal_grounding", Model = "m", Mode = "think", Benchmark = "c", Thought = true, Iou = 0.6, IouA1 = 0.2, IouA2 = 0.6,
                GeneratedTokens = 10, LatencyS = 4,
            },
            new ResultLine
            {
                Id = "h", Task = "temporal_grounding", Model = "m", Mode = "think", Benchmark = "c", Thought = false, Iou = 0.25,
                GeneratedTokens = 30, LatencyS = 5,
            },
        ];

        var summary = EvalSummary.Of(lines, "m", "think", null, [], []);

        var all = summary.Overall;
        Assert.Equal((5, 3, 3), (all.Items, all.AnswerItems, all.A2Items));
        Assert.Equal(1 / 3.0, all.AccuracyA1!.Value, 12);
        Assert.Equal(2 / 3.0, all.AccuracyA2!.Value, 12);
        Assert.Equal(2 / 3.0, all.AccuracyFinal!.Value, 12);
        Assert.Equal(2, all.SegmentItems);
        Assert.Equal(0.425, all.MeanIou!.Value, 12);
        Assert.Equal((0.5, 0.5, 0.0), (all.RecallAt03!.Value, all.RecallAt05!.Value, all.RecallAt07!.Value));
        Assert.Equal(0.8, all.ThinkRate, 12);
        Assert.Equal((40 + 40 + 40 + 10 + 30) / 5.0, all.MeanGeneratedTokens, 12);
        Assert.Equal(0.7, all.MeanA1Confidence!.Value, 12);
        Assert.Equal(3, all.LatencyP50S, 12);
        Assert.Equal(4.8, all.LatencyP95S, 12);

        Assert.Equal(["b", "c"], summary.Benchmarks.Select(b => b.Name));
        Assert.Equal([("x", 2), ("y", 1)], summary.Benchmarks[0].Categories.Select(c => (c.Name, c.Metrics.Items)));
        Assert.Null(summary.Benchmarks[1].Metrics.AccuracyFinal);
        Assert.Equal([EvalSummary.Unnamed], summary.Benchmarks[1].Categories.Select(c => c.Name));
    }
}
