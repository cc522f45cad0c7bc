using System.Globalization;
using System.Text;

namespace VideoAutoR1.Eval.Calibration;

/// <summary>A calibration of one think-mode run: the τ sweep, both ends, and the τ chosen for a target.</summary>
public sealed record CalibrationReport(
    string Model,
    int Items,
    IReadOnlyList<CalibrationPoint> Grid,
    CalibrationPoint NeverThink,
    CalibrationPoint AlwaysThink,
    CalibrationTarget Target,
    CalibrationPoint? Chosen)
{
    public const string CsvFileName = "calibration.csv";
    public const string PngFileName = "calibration.png";

    public static CalibrationReport Of(IReadOnlyList<ResultLine> thinkRun, IReadOnlyList<double> taus, CalibrationTarget target)
    {
        ArgumentNullException.ThrowIfNull(thinkRun);
        ArgumentNullException.ThrowIfNull(target);
        var grid = AutoModeSimulation.Sweep(thinkRun, taus);
        var always = AutoModeSimulation.AlwaysThink(thinkRun);
        return new CalibrationReport(thinkRun[0].Model, thinkRun.Count, grid, AutoModeSimulation.NeverThink(thinkRun), always, target, target.Choose(grid, always));
    }

    /// <summary>Writes calibration.csv (tau, accuracy, think_rate, mean_tokens) and calibration.png into <paramref name="directory"/>.</summary>
    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var csv = new StringBuilder("tau,accuracy,think_rate,mean_tokens\n");
        foreach (var p in Grid)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{p.Tau:R},{p.Accuracy:R},{p.ThinkRate:R},{p.MeanTokens:R}\n");
        }

        File.WriteAllText(Path.Combine(directory, CsvFileName), csv.ToString());
        CalibrationPlot.Save(Path.Combine(directory, PngFileName), Model, Grid, NeverThink, AlwaysThink, Chosen);
    }
}
