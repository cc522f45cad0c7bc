using System.Globalization;
using Spectre.Console;
using VideoAutoR1.Eval;

namespace VideoAutoR1.Cli;

/// <summary>The evaluation summary as a console table: one row overall, per benchmark and per category.</summary>
internal static class SummaryTable
{
    public static void Write(EvalSummary summary)
    {
        // Redirected output has no terminal width: keep the 14 columns on one line rather than folding them.
        var console = AnsiConsole.Create(new AnsiConsoleSettings());
        if (!console.Profile.Capabilities.Interactive)
        {
            console.Profile.Width = Math.Max(console.Profile.Width, 160);
        }

        var table = new Table { Border = TableBorder.Simple };
        table.Title = new TableTitle(Markup.Escape($"{summary.Model} · {summary.Mode}{(summary.Threshold is { } t ? string.Create(CultureInfo.InvariantCulture, $" τ={t}") : "")}"));
        foreach (var column in new[] { "group", "items", "acc a1", "acc a2", "acc final", "mIoU", "R@0.3", "R@0.5", "R@0.7", "think", "tokens", "a1 conf", "p50 s", "p95 s" })
        {
            table.AddColumn(new TableColumn(column) { Alignment = column == "group" ? Justify.Left : Justify.Right });
        }

        Row(table, "all", summary.Overall);
        foreach (var benchmark in summary.Benchmarks)
        {
            Row(table, benchmark.Name, benchmark.Metrics);
            if (benchmark.Categories.Count > 1 || benchmark.Categories.Any(c => c.Name != EvalSummary.Unnamed))
            {
                foreach (var category in benchmark.Categories)
                {
                    Row(table, "  " + category.Name, category.Metrics);
                }
            }
        }

        console.Write(table);
        if (summary.InputProblemCount + summary.FailedItemCount > 0)
        {
            console.WriteLine($"skipped: {summary.InputProblemCount} bad input line(s), {summary.FailedItemCount} failed item(s) (listed in summary.json)");
        }
    }

    private static void Row(Table table, string name, EvalMetrics m) =>
        table.AddRow(
            Markup.Escape(name),
            m.Items.ToString(CultureInfo.InvariantCulture),
            ProgressText.Percent(m.AccuracyA1),
            ProgressText.Percent(m.AccuracyA2),
            ProgressText.Percent(m.AccuracyFinal),
            ProgressText.Percent(m.MeanIou),
            ProgressText.Percent(m.RecallAt03),
            ProgressText.Percent(m.RecallAt05),
            ProgressText.Percent(m.RecallAt07),
            ProgressText.Percent(m.ThinkRate),
            m.MeanGeneratedTokens.ToString("0.0", CultureInfo.InvariantCulture),
            m.MeanA1Confidence is { } c ? c.ToString("0.000", CultureInfo.InvariantCulture) : "-",
            m.LatencyP50S.ToString("0.00", CultureInfo.InvariantCulture),
            m.LatencyP95S.ToString("0.00", CultureInfo.InvariantCulture));
}
