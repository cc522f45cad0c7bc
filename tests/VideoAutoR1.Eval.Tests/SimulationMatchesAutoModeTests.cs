using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Eval.Calibration;
using VideoAutoR1.Eval.Grading;

namespace VideoAutoR1.Eval.Tests;

/// <summary>
/// The claim calibrate rests on: auto mode replayed from one think-mode run gives, item by item, what a real auto-mode
/// run through the engine gives at the same τ (answer, whether it thought, tokens, score).
/// </summary>
public sealed class SimulationMatchesAutoModeTests(TrainedModelFixture fixture) : IClassFixture<TrainedModelFixture>, IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public async Task Simulated_auto_mode_equals_a_real_auto_mode_run_on_the_same_items()
    {
        var items = Items();
        await using var engine = await fixture.StartEngineAsync();
        var think = await RunAsync(engine, items, new EvalRunOptions(AnswerMode.Think), "think.jsonl");

        // τ between the observed confidences, so both branches are taken, and the paper's 0.97.
        var confidences = think.Where(l => l.A1Confidence is not null).Select(l => l.A1Confidence!.Value).Distinct().Order().ToArray();
        Assert.True(confidences.Length >= 2, $"the trained model should give varied confidences, got [{string.Join(", ", confidences)}]");
        var middle = confidences.Length / 2;
        double[] taus = [(confidences[middle - 1] + confidences[middle]) / 2, 0.97];

        foreach (var tau in taus)
        {
            var auto = (await RunAsync(engine, items, new EvalRunOptions(AnswerMode.Auto, Threshold: tau), $"auto-{tau}.jsonl")).ToDictionary(l => l.Id);
            var exits = 0;
            foreach (var line in think)
            {
                var simulated = AutoModeSimulation.Simulate(line, tau);
                var real = auto[line.Id];
                Assert.Equal(
                    (real.Thought, real.FinalAnswer, real.GeneratedTokens, real.Score),
                    (simulated.Thought, simulated.FinalAnswer, simulated.GeneratedTokens, simulated.Score));
                exits += simulated.Thought ? 0 : 1;
            }

            var point = AutoModeSimulation.Sweep(think, [tau])[0];
            var realLines = auto.Values.ToArray();
            Assert.Equal(realLines.Average(l => l.Score), point.Accuracy, 12);
            Assert.Equal(realLines.Count(l => l.Thought) / (double)realLines.Length, point.ThinkRate, 12);
            Assert.Equal(realLines.Average(l => l.GeneratedTokens), point.MeanTokens, 12);
            if (tau < 0.97)
            {
                Assert.InRange(exits, 1, think.Count - 1);
            }
        }
    }

    public void Dispose() => _dir.Dispose();

    private async Task<IReadOnlyList<ResultLine>> RunAsync(EvalEngine engine, IReadOnlyList<EvalItem> items, EvalRunOptions options, string name)
    {
        using var results = ResultsFile.OpenForAppend(_dir[name]);
        var run = await EvalRunner.RunAsync(engine, items, options, results, progress: null, CancellationToken.None);
        Assert.Empty(run.Failed);
        Assert.False(run.Interrupted);
        Assert.Equal(items.Count, run.Written.Count);
        Assert.All(run.Written, l => Assert.Equal(TrainedModelFixture.ModelId, l.Model));
        return run.Written;
    }

    /// <summary>Each trained question about each clip; the wide clip was never trained on, so its confidences differ.</summary>
    private List<EvalItem> Items()
    {
        var items = new List<EvalItem>();
        foreach (var (video, name) in new[] { (fixture.SmallVideoPath, "small"), (fixture.WideVideoPath, "wide") })
        {
            foreach (var (question, answer) in new[] { (TrainedModelFixture.Sure, "B"), (TrainedModelFixture.Fallback, "C"), (TrainedModelFixture.Unsure, "D") })
            {
                items.Add(new EvalItem(items.Count + 1, $"{name}-{items.Count}", video, question, GroundTruth.Parse(question, answer), name, "trained"));
            }
        }

        return items;
    }
}
