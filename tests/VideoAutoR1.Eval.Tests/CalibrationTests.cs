using VideoAutoR1.Core;
using VideoAutoR1.Eval.Calibration;

namespace VideoAutoR1.Eval.Tests;

/// <summary>Auto mode replayed from think-mode lines, the τ chosen for each target, and what calibrate refuses.</summary>
public sealed class CalibrationTests
{
    private static readonly ResultLine[] Run =
    [
        Lines.Think("sure-right", 0.99, a1Right: true, a2Right: true, toA1: 3, generated: 50),
        Lines.Think("confident-wrong", 0.95, a1Right: false, a2Right: true, toA1: 3, generated: 60),
        Lines.Think("unsure-fixed", 0.60, a1Right: false, a2Right: true, toA1: 3, generated: 70),
        Lines.Think("fallback", null, a1Right: false, a2Right: true, toA1: 12, generated: 80),
    ];

    [Fact]
    public void An_item_exits_with_a1_when_its_confidence_reaches_tau_and_otherwise_costs_the_whole_think_run()
    {
        var exits = AutoModeSimulation.Simulate(Run[2], tau: 0.6);
        Assert.Equal((false, "B", 0.0, 3), (exits.Thought, exits.FinalAnswer, exits.Score, exits.GeneratedTokens));

        var thinks = AutoModeSimulation.Simulate(Run[2], tau: 0.61);
        Assert.Equal((true, "A", 1.0, 70), (thinks.Thought, thinks.FinalAnswer, thinks.Score, thinks.GeneratedTokens));

        // No confidence (the fallback answer): thinks at every τ.
        Assert.True(AutoModeSimulation.Simulate(Run[3], tau: 0.01).Thought);
    }

    [Fact]
    public void A_first_box_that_never_closed_costs_what_the_think_run_cost_at_every_tau()
    {
        var unclosed = Lines.Think("x", null, false, false, generated: 64) with { A1 = null, A2 = null, FinalAnswer = null, Thought = false, TokensToA1 = null };
        var simulated = AutoModeSimulation.Simulate(unclosed, tau: 0.5);
        Assert.Equal((false, null, 64), (simulated.Thought, simulated.FinalAnswer, simulated.GeneratedTokens));
    }

    [Fact]
    public void The_sweep_ends_are_direct_mode_and_think_mode()
    {
        var never = AutoModeSimulation.NeverThink(Run);
        Assert.Equal((0.25, 0.0, 5.25), (never.Accuracy, never.ThinkRate, never.MeanTokens));
        var always = AutoModeSimulation.AlwaysThink(Run);
        Assert.Equal((1.0, 1.0, 65.0), (always.Accuracy, always.ThinkRate, always.MeanTokens));

        var grid = AutoModeSimulation.Sweep(Run, [0.5, 0.9, 0.97, 1.0]);
        Assert.Equal([0.25, 0.5, 0.75, 1.0], grid.Select(p => p.ThinkRate));
        Assert.Equal([0.5, 0.75, 1.0, 1.0], grid.Select(p => p.Accuracy));
        Assert.Equal([22.25, 39, 53.25, 65], grid.Select(p => p.MeanTokens));
    }

    [Fact]
    public void Each_target_chooses_its_tau()
    {
        var grid = AutoModeSimulation.Sweep(Run, [0.5, 0.9, 0.97, 1.0]);
        var always = AutoModeSimulation.AlwaysThink(Run);

        Assert.Equal(0.97, CalibrationTarget.Parse("best").Choose(grid, always)!.Tau);
        Assert.Equal(0.5, CalibrationTarget.Parse("think-rate:0.3").Choose(grid, always)!.Tau);
        Assert.Equal(0.97, CalibrationTarget.Parse("within:0").Choose(grid, always)!.Tau);
        Assert.Equal(0.9, CalibrationTarget.Parse("within:0.25").Choose(grid, always)!.Tau);
        Assert.Null(CalibrationTarget.Parse("think-rate:0.1").Choose(grid, always));
        Assert.Equal("target_invalid", Assert.Throws<VideoQaException>(() => CalibrationTarget.Parse("think-rate:2")).Code);
    }

    [Fact]
    public void Results_of_another_mode_or_of_two_models_are_refused()
    {
        var auto = Assert.Throws<VideoQaException>(() => AutoModeSimulation.RequireOneThinkRun([Run[0], Run[1] with { Mode = "auto" }], "r.jsonl", null));
        Assert.Equal("calibration_needs_think_mode", auto.Code);
        Assert.Contains("result 2 (id confident-wrong)", auto.Message);

        var mixed = Assert.Throws<VideoQaException>(() => AutoModeSimulation.RequireOneThinkRun([Run[0], Run[1] with { Model = "other" }], "r.jsonl", null));
        Assert.Equal("calibration_model_mismatch", mixed.Code);

        var wrong = Assert.Throws<VideoQaException>(() => AutoModeSimulation.RequireOneThinkRun(Run, "r.jsonl", "expected-model"));
        Assert.Equal("calibration_model_mismatch", wrong.Code);
    }

    [Fact]
    public void Grids_parse_ranges_and_lists_and_refuse_tau_outside_zero_one()
    {
        Assert.Equal([0.5, 0.75, 1.0], TauGrid.Parse("0.5:0.25:1"));
        Assert.Equal([0.9, 0.97], TauGrid.Parse("0.97,0.9"));
        Assert.Equal("grid_invalid", Assert.Throws<VideoQaException>(() => TauGrid.Parse("0:0.5:1")).Code);
        Assert.Contains(0.97, TauGrid.Default);
        Assert.Contains(0.995, TauGrid.Default);
    }

    [Fact]
    public void The_report_writes_the_csv_and_a_png()
    {
        using var dir = new TempDir();
        var report = CalibrationReport.Of(Run, [0.5, 0.9, 0.97, 1.0], new CalibrationTarget.Best());
        report.Write(dir.Path);

        var csv = File.ReadAllLines(dir[CalibrationReport.CsvFileName]);
        Assert.Equal(["tau,accuracy,think_rate,mean_tokens", "0.5,0.5,0.25,22.25", "0.9,0.75,0.5,39"], csv[..3]);
        var png = File.ReadAllBytes(dir[CalibrationReport.PngFileName]);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        Assert.True(png.Length > 10_000, $"a {png.Length}-byte PNG is too small to hold two panels");
    }
}
