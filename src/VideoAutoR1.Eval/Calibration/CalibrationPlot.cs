using ScottPlot;

namespace VideoAutoR1.Eval.Calibration;

/// <summary>
/// calibration.png: accuracy against think rate (left) and against mean generated tokens (right) over the τ grid, with
/// the never-think (direct) and always-think (think) points and the chosen τ marked.
/// </summary>
public static class CalibrationPlot
{
    public static void Save(
        string path, string title, IReadOnlyList<CalibrationPoint> grid, CalibrationPoint neverThink, CalibrationPoint alwaysThink, CalibrationPoint? chosen)
    {
        ArgumentNullException.ThrowIfNull(grid);
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        Panel(multiplot.GetPlot(0), $"{title}: accuracy vs think rate", "think rate (%)", p => 100 * p.ThinkRate, grid, neverThink, alwaysThink, chosen);
        Panel(multiplot.GetPlot(1), "accuracy vs mean generated tokens", "mean generated tokens", p => p.MeanTokens, grid, neverThink, alwaysThink, chosen);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        multiplot.SavePng(path, 1400, 560);
    }

    private static void Panel(
        Plot plot,
        string title,
        string xLabel,
        Func<CalibrationPoint, double> x,
        IReadOnlyList<CalibrationPoint> grid,
        CalibrationPoint neverThink,
        CalibrationPoint alwaysThink,
        CalibrationPoint? chosen)
    {
        var curve = plot.Add.Scatter(grid.Select(x).ToArray(), grid.Select(p => 100 * p.Accuracy).ToArray());
        curve.LegendText = "auto mode, τ grid";
        curve.MarkerSize = 4;
        Mark(plot, x(neverThink), neverThink.Accuracy, MarkerShape.FilledSquare, Colors.DarkGray, "never think (direct)");
        Mark(plot, x(alwaysThink), alwaysThink.Accuracy, MarkerShape.FilledDiamond, Colors.Black, "always think");
        if (chosen is not null)
        {
            Mark(plot, x(chosen), chosen.Accuracy, MarkerShape.FilledCircle, Colors.Red, $"chosen τ = {chosen.Tau:0.###}");
        }

        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel("accuracy (%)");
        plot.ShowLegend(Edge.Bottom);
    }

    private static void Mark(Plot plot, double x, double accuracy, MarkerShape shape, Color color, string label)
    {
        var marker = plot.Add.Marker(x, 100 * accuracy, shape, 12, color);
        marker.LegendText = label;
    }
}
