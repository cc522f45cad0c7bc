using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Training;
using VideoAutoR1.World;

namespace VideoAutoR1.Cli;

/// <summary>
/// <c>train --out DIR [--seed N] [--recipe mini|tiny] [--train-per-family N] [--warmup-steps N] [--grpo-steps N]
/// [--rollouts N] [--ffmpeg PATH]</c>: trains a VideoAuto-R1 miniature on the synthetic world (warm-up, then GRPO with
/// the dual-answer reward) and writes a model directory the engine serves (<c>DIR/model</c>), curves and a summary.
/// </summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var output = CliOptions.Text("--out", "run directory: model/, clips/, curves.csv, curves.png, training.json", required: true);
        var seed = CliOptions.Integer("--seed", "seed of the data, the initial weights and the sampling (default 2, the shipped model's)");
        var recipe = CliOptions.Choice("--recipe", "model size (default mini, the shipped model's)", new MiniModelRecipe(),
            ("mini", new MiniModelRecipe()), ("tiny", MiniModelRecipe.Tiny));
        var trainPerFamily = CliOptions.Integer("--train-per-family", "training clips per family (default 200)");
        var validationPerFamily = CliOptions.Integer("--validation-per-family", "validation clips per family (default 10)");
        var warmupSteps = CliOptions.Integer("--warmup-steps", "supervised warm-up steps (default 2600)");
        var warmupLr = CliOptions.Number("--warmup-lr", "peak warm-up learning rate (default 3e-3)");
        var grpoSteps = CliOptions.Integer("--grpo-steps", "GRPO steps (default 60)");
        var rollouts = CliOptions.Integer("--rollouts", "GRPO group size (default 8)");
        var threads = CliOptions.Integer("--threads", "torch threads (default 1)");
        var init = CliOptions.Text("--init", "continue from this model directory instead of random weights");
        var ffmpeg = CliOptions.Text("--ffmpeg", "the ffmpeg program (default: ffmpeg on PATH)");
        var noProgress = CliOptions.Flag("--no-progress", "no progress bars or progress lines");
        var command = new Command("train", "train a small VideoAuto-R1 on the synthetic world (warm-up + GRPO)")
        {
            output, seed, recipe, trainPerFamily, validationPerFamily, warmupSteps, warmupLr, grpoSteps, rollouts, threads, init, ffmpeg, noProgress,
        };
        command.SetAction((parse, _) =>
        {
            var defaults = new TrainingOptions();
            var options = defaults with
            {
                Seed = parse.GetValue(seed) ?? defaults.Seed,
                Recipe = parse.GetValue(recipe)!,
                TrainPerFamily = parse.GetValue(trainPerFamily) ?? defaults.TrainPerFamily,
                ValidationPerFamily = parse.GetValue(validationPerFamily) ?? defaults.ValidationPerFamily,
                WarmupSteps = parse.GetValue(warmupSteps) ?? defaults.WarmupSteps,
                WarmupLearningRate = parse.GetValue(warmupLr) ?? defaults.WarmupLearningRate,
                GrpoSteps = parse.GetValue(grpoSteps) ?? defaults.GrpoSteps,
                Rollouts = parse.GetValue(rollouts) ?? defaults.Rollouts,
                TorchThreads = parse.GetValue(threads) ?? defaults.TorchThreads,
                InitFrom = parse.GetValue(init),
            };
            return RunAsync(parse.GetValue(output)!, options, parse.GetValue(ffmpeg) ?? "ffmpeg", !parse.GetValue(noProgress));
        });
        return command;
    }

    private static async Task<int> RunAsync(string output, TrainingOptions options, string ffmpeg, bool showProgress)
    {
        try
        {
            options.Validate();
        }
        catch (System.ComponentModel.DataAnnotations.ValidationException error)
        {
            throw new CliUsageException(error.Message);
        }

        // Fail on what can be checked in a second before minutes of work: the output must be writable, ffmpeg present.
        Directory.CreateDirectory(output);
        var probe = Path.Combine(output, $".write-test-{Environment.ProcessId}");
        await File.WriteAllTextAsync(probe, "");
        File.Delete(probe);
        var renderer = new WorldRenderer(ffmpeg);
        await renderer.CheckAsync();

        using var interrupt = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            interrupt.Cancel();
        };

        var trainer = new Trainer(options, DefaultModel.TokenizerSourceDirectory, renderer);
        var clock = Stopwatch.StartNew();
        TrainingResult result;
        try
        {
            result = await RunWithProgressAsync(trainer, output, showProgress, interrupt.Token);
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            Console.Error.WriteLine("train: interrupted; nothing was saved");
            return 130;
        }

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"train: {result.Parameters:N0} parameters, vocabulary {result.VocabularySize}, {clock.Elapsed.TotalMinutes:0.0} min; " +
            $"validation reward {result.InitialReward:0.00} -> {result.FinalReward:0.00}; auto accuracy (τ {options.Threshold}): {string.Join(", ", result.ValidationAccuracy.Select(p => $"{p.Key} {100 * p.Value:0}%"))}, think ratio {100 * result.ValidationThinkRatio:0}%"));
        Console.WriteLine(result.ModelDirectory);
        return 0;
    }

    private static async Task<TrainingResult> RunWithProgressAsync(Trainer trainer, string output, bool showProgress, CancellationToken ct)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (!showProgress || !console.Profile.Capabilities.Interactive)
        {
            return await trainer.RunAsync(output, showProgress ? new PlainProgress() : null, ct);
        }

        TrainingResult? result = null;
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var progress = new Progress<TrainingStatus>(status =>
                {
                    if (status.Phase == "validation")
                    {
                        return;
                    }

                    if (!tasks.TryGetValue(status.Phase, out var task))
                    {
                        tasks[status.Phase] = task = context.AddTask(status.Phase, maxValue: Math.Max(1, status.Steps));
                    }

                    task.Value = status.Step;
                    task.Description = Markup.Escape(Describe(status));
                });
                result = await trainer.RunAsync(output, progress, ct);
            });
        return result!;
    }

    /// <summary>phase, step, loss or reward, validation accuracy, as one line.</summary>
    private static string Describe(TrainingStatus s) => string.Create(CultureInfo.InvariantCulture,
        $"{s.Phase} {s.Step}/{s.Steps} {s.Metric} {s.Value:0.###} | validation auto accuracy {(s.ValidationAccuracy is { } a ? $"{100 * a:0.0}%" : "-")}");

    /// <summary>Logs and CI: a line every few seconds and every validation pass, instead of redrawn bars.</summary>
    private sealed class PlainProgress : IProgress<TrainingStatus>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _last = TimeSpan.Zero;

        public void Report(TrainingStatus value)
        {
            if (value.Phase == "validation" || _clock.Elapsed - _last >= TimeSpan.FromSeconds(15))
            {
                _last = _clock.Elapsed;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"train [{_clock.Elapsed:hh\\:mm\\:ss}]: {Describe(value)}{(value.Detail is { } d ? " | " + d : "")}"));
            }
        }
    }
}
