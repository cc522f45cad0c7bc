using VideoAutoR1.Core;
using VideoAutoR1.Core.Grammar;
using VideoAutoR1.Engine;

namespace VideoAutoR1.Eval.Calibration;

/// <summary>What auto mode would have done with one item.</summary>
public sealed record SimulatedItem(string Id, bool Thought, string? FinalAnswer, double Score, int GeneratedTokens);

/// <summary>Auto mode over a whole run at one τ: mean score (accuracy; IoU for grounding), think rate, mean tokens.</summary>
public sealed record CalibrationPoint(double Tau, double Accuracy, double ThinkRate, double MeanTokens);

/// <summary>
/// Auto mode replayed from one think-mode run, without the model. Greedy decoding makes auto mode's output a prefix of
/// think mode's: both decode the same tokens up to the close of the first box, where auto mode stops when
/// mean log p(a1) ≥ ln τ (the engine's rule) and otherwise goes on exactly as think mode did. So each think-mode line
/// (a1, its log confidence, the tokens to a1, a2 and all tokens) tells what auto mode answers and costs at any τ.
/// </summary>
public static class AutoModeSimulation
{
    /// <summary>
    /// Refuses lines that are not one think-mode run of one model (of <paramref name="expectedModel"/> when given):
    /// only think mode records a2 for every item, and mixing models would describe no model.
    /// </summary>
    public static void RequireOneThinkRun(IReadOnlyList<ResultLine> lines, string source, string? expectedModel)
    {
        ArgumentNullException.ThrowIfNull(lines);
        if (lines.Count == 0)
        {
            throw Refused("calibration_input_empty", $"{source} holds no results");
        }

        var think = ResultLine.ModeName(AnswerMode.Think);
        var model = expectedModel ?? lines[0].Model;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line.Mode != think)
            {
                throw Refused("calibration_needs_think_mode", $"{source}: result {i + 1} (id {line.Id}) is from mode {line.Mode}; calibrate needs one run with --mode think");
            }

            if (line.Model != model)
            {
                throw Refused("calibration_model_mismatch", $"{source}: result {i + 1} (id {line.Id}) is from model '{line.Model}', not '{model}'");
            }
        }
    }

    /// <summary>Auto mode at <paramref name="tau"/> for one think-mode line.</summary>
    public static SimulatedItem Simulate(ResultLine line, double tau)
    {
        ArgumentNullException.ThrowIfNull(line);
        return Simulate(line, exits: A1Confidence.Exits(line.A1LogConfidence, tau));
    }

    /// <summary>Auto mode over the run at each τ.</summary>
    public static IReadOnlyList<CalibrationPoint> Sweep(IReadOnlyList<ResultLine> lines, IEnumerable<double> taus) =>
        [.. taus.Select(tau => Aggregate(tau, lines.Select(l => Simulate(l, tau)).ToArray()))];

    /// <summary>The think-mode run itself (τ above every confidence): always think.</summary>
    public static CalibrationPoint AlwaysThink(IReadOnlyList<ResultLine> lines) =>
        Aggregate(1, [.. lines.Select(l => Simulate(l, exits: false))]);

    /// <summary>Direct mode: every item answers a1, fallback first answers included.</summary>
    public static CalibrationPoint NeverThink(IReadOnlyList<ResultLine> lines) =>
        Aggregate(0, [.. lines.Select(l => Simulate(l, exits: true))]);

    private static SimulatedItem Simulate(ResultLine line, bool exits)
    {
        // The first box never closed: no decision was taken, so every mode generated what think mode did.
        if (line.TokensToA1 is not { } toA1)
        {
            return new SimulatedItem(line.Id, line.Thought, line.FinalAnswer, line.Score, line.GeneratedTokens);
        }

        return exits
            ? new SimulatedItem(line.Id, Thought: false, line.A1, line.ScoreA1, toA1)
            : new SimulatedItem(line.Id, Thought: true, line.A2, line.Score, line.GeneratedTokens);
    }

    private static CalibrationPoint Aggregate(double tau, SimulatedItem[] items) =>
        items.Length == 0
            ? new CalibrationPoint(tau, 0, 0, 0)
            : new CalibrationPoint(tau, items.Average(i => i.Score), items.Count(i => i.Thought) / (double)items.Length, items.Average(i => i.GeneratedTokens));

    private static VideoQaException Refused(string code, string message) => new(ErrorKind.InvalidArgument, code, message);
}
