using System.Globalization;
using ScottPlot;

namespace VideoAutoR1.Training;

/// <summary>
/// One logged point. Warm-up steps carry the loss; GRPO steps the rollouts' mean reward, a1/a2 accuracy, think ratio
/// (the share auto mode at τ would think on) and mean response length; validation rows the same from greedy decoding.
/// </summary>
public sealed record CurvePoint(
    string Phase, int Step, double? Loss, double? Reward, double A1Accuracy, double A2Accuracy, double FinalAccuracy, double ThinkRatio, double MeanTokens)
{
    public const string Header = "phase,step,loss,reward,a1_accuracy,a2_accuracy,final_accuracy,think_ratio,mean_tokens";

    public string ToCsv() => string.Join(',',
        Phase, Step.ToString(CultureInfo.InvariantCulture), Number(Loss), Number(Reward), Number(A1Accuracy), Number(A2Accuracy),
        Number(FinalAccuracy), Number(ThinkRatio), Number(MeanTokens));

    private static string Number(double? value) => value?.ToString("0.#####", CultureInfo.InvariantCulture) ?? "";
}

/// <summary>curves.csv and curves.png of a training run.</summary>
public sealed class TrainingCurves
{
    private readonly List<CurvePoint> _points = [];

    public IReadOnlyList<CurvePoint> Points => _points;

    public void Add(CurvePoint point) => _points.Add(point);

    public void Save(string directory)
    {
        File.WriteAllLines(Path.Combine(directory, "curves.csv"), _points.Select(p => p.ToCsv()).Prepend(CurvePoint.Header));
        var multiplot = new Multiplot();
        multiplot.AddPlots(4);
        Panel(multiplot.GetPlot(0), "warm-up loss (cross-entropy per completion token)", "loss", ("warmup", p => p.Loss));
        Panel(multiplot.GetPlot(1), "mean dual-answer reward", "reward",
            ("grpo", p => p.Reward, "GRPO rollouts (T = 1)"), ("validation", p => p.Reward, "validation (greedy)"));
        Panel(multiplot.GetPlot(2), "validation accuracy (greedy)", "accuracy",
            ("validation", p => p.A1Accuracy, "a1"), ("validation", p => p.A2Accuracy, "a2"), ("validation", p => p.FinalAccuracy, "auto final"));
        Panel(multiplot.GetPlot(3), "validation think ratio and response length", "ratio / tokens ÷ 100",
            ("validation", p => p.ThinkRatio, "think ratio"), ("validation", p => p.MeanTokens / 100, "mean tokens ÷ 100"));
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(2, 2);
        multiplot.SavePng(Path.Combine(directory, "curves.png"), 1400, 900);
    }

    private void Panel(Plot plot, string title, string yLabel, params (string Phase, Func<CurvePoint, double?> Y, string? Label)[] series)
    {
        foreach (var (phase, y, label) in series)
        {
            var rows = _points.Where(p => p.Phase == phase && y(p) is not null).ToArray();
            if (rows.Length == 0)
            {
                continue;
            }

            // Steps are counted across phases so warm-up and GRPO share one axis.
            var line = plot.Add.Scatter(rows.Select(p => (double)p.Step).ToArray(), rows.Select(p => y(p)!.Value).ToArray());
            line.MarkerSize = rows.Length > 50 ? 0 : 4;
            if (label is not null)
            {
                line.LegendText = label;
            }
        }

        plot.Title(title);
        plot.XLabel("step (warm-up, then GRPO)");
        plot.YLabel(yLabel);
        if (series.Any(s => s.Label is not null))
        {
            plot.ShowLegend(Edge.Bottom);
        }
    }

    private void Panel(Plot plot, string title, string yLabel, (string Phase, Func<CurvePoint, double?> Y) series) =>
        Panel(plot, title, yLabel, (series.Phase, series.Y, null));
}
