using System.CommandLine;
using System.Globalization;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Eval;
using VideoAutoR1.Eval.Calibration;

namespace VideoAutoR1.Cli;

/// <summary>
/// <c>calibrate results.jsonl --out DIR [--model DIR|ID] [--target best|think-rate:R|within:E] [--grid start:step:end]</c>:
/// from one think-mode eval run, the accuracy, think rate and mean tokens auto mode would give at each τ, without the
/// model; writes calibration.csv and calibration.png and prints the recommended τ.
/// </summary>
public static class CalibrateCommand
{
    public static Command Create()
    {
        var results = CliOptions.Path("results", "results.jsonl written by 'eval --mode think'", optional: true);
        var outDirectory = CliOptions.Text("--out", "directory for calibration.csv and calibration.png", required: true);
        var model = CliOptions.Text("--model", "the model the run must be from (directory or id)");
        var target = CliOptions.Text("--target", "best | think-rate:R | within:E (default best)");
        var grid = CliOptions.Text("--grid", "start:step:end or a comma list of τ in (0, 1]");
        var command = new Command("calibrate", "accuracy / think rate / tokens of auto mode over a τ grid from one think-mode eval run")
        {
            results, outDirectory, model, target, grid,
        };
        command.SetAction(parse => Run(parse.GetValue(results), parse.GetValue(outDirectory)!, parse.GetValue(model), parse.GetValue(target), parse.GetValue(grid)));
        return command;
    }

    private static int Run(string? resultsPath, string outDirectory, string? model, string? targetText, string? grid)
    {
        if (resultsPath is null)
        {
            throw new CliUsageException("expected one results.jsonl written by 'eval --mode think'");
        }

        if (!File.Exists(resultsPath))
        {
            throw new CliUsageException($"results file not found: {resultsPath}");
        }

        var target = CalibrationTarget.Parse(targetText ?? "best");
        var taus = grid is not null ? TauGrid.Parse(grid) : TauGrid.Default;
        var lines = ResultsFile.Read(resultsPath);
        AutoModeSimulation.RequireOneThinkRun(lines, resultsPath, ExpectedModel(model));

        var report = CalibrationReport.Of(lines, taus, target);
        report.Write(outDirectory);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{report.Model}: {report.Items} items, {taus.Count} τ values"));
        Console.WriteLine(Describe("never think (direct)", report.NeverThink));
        Console.WriteLine(Describe("always think", report.AlwaysThink));
        Console.WriteLine(report.Chosen is { } chosen
            ? Describe(string.Create(CultureInfo.InvariantCulture, $"recommended τ = {chosen.Tau:0.####} ({target})"), chosen)
            : $"no τ on the grid meets the target ({target})");
        Console.WriteLine($"wrote {Path.Combine(outDirectory, CalibrationReport.CsvFileName)} and {Path.Combine(outDirectory, CalibrationReport.PngFileName)}");
        return report.Chosen is null ? 1 : 0;
    }

    /// <summary>The model id eval records for --model: the directory's name (or the default model's id).</summary>
    private static string? ExpectedModel(string? model) =>
        model is null ? null
        : model == DefaultModel.ModelId ? model
        : Directory.Exists(model) ? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(model)))
        : model;

    private static string Describe(string name, CalibrationPoint p) =>
        string.Create(CultureInfo.InvariantCulture, $"{name}: accuracy {100 * p.Accuracy:0.0}%, think rate {100 * p.ThinkRate:0.0}%, mean tokens {p.MeanTokens:0.0}");
}
