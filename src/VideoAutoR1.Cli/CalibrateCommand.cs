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
    public const string Help = "accuracy / think rate / tokens of auto mode over a τ grid from one think-mode eval run: RESULTS --out DIR";

    public static Task<int> RunAsync(string[] args)
    {
        var cli = new CliArgs(args, new HashSet<string> { "out", "model", "target", "grid" }, new HashSet<string>());
        if (cli.Positional.Count != 1)
        {
            throw new CliUsageException("expected one results.jsonl written by 'eval --mode think'");
        }

        var resultsPath = cli.Positional[0];
        if (!File.Exists(resultsPath))
        {
            throw new CliUsageException($"results file not found: {resultsPath}");
        }

        var outDirectory = cli.Required("out");
        var target = CalibrationTarget.Parse(cli.Optional("target") ?? "best");
        var taus = cli.Optional("grid") is { } grid ? TauGrid.Parse(grid) : TauGrid.Default;
        var lines = ResultsFile.Read(resultsPath);
        AutoModeSimulation.RequireOneThinkRun(lines, resultsPath, ExpectedModel(cli.Optional("model")));

        var report = CalibrationReport.Of(lines, taus, target);
        report.Write(outDirectory);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{report.Model}: {report.Items} items, {taus.Count} τ values"));
        Console.WriteLine(Describe("never think (direct)", report.NeverThink));
        Console.WriteLine(Describe("always think", report.AlwaysThink));
        Console.WriteLine(report.Chosen is { } chosen
            ? Describe(string.Create(CultureInfo.InvariantCulture, $"recommended τ = {chosen.Tau:0.####} ({target})"), chosen)
            : $"no τ on the grid meets the target ({target})");
        Console.WriteLine($"wrote {Path.Combine(outDirectory, CalibrationReport.CsvFileName)} and {Path.Combine(outDirectory, CalibrationReport.PngFileName)}");
        return Task.FromResult(report.Chosen is null ? 1 : 0);
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
