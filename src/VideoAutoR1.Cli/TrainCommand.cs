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
    public const string Help = "train a small VideoAuto-R1 on the synthetic world (warm-up + GRPO): --out DIR [--seed 1] [--recipe mini|tiny]";

    public static async Task<int> RunAsync(string[] args)
    {
        var cli = new CliArgs(args,
            new HashSet<string> { "out", "seed", "recipe", "train-per-family", "validation-per-family", "warmup-steps", "grpo-steps", "rollouts", "threads", "ffmpeg", "init", "warmup-lr" },
            new HashSet<string> { "no-progress" });
        var output = cli.Required("out");
        var defaults = new TrainingOptions();
        var options = defaults with
        {
            Seed = cli.OptionalInt("seed") ?? defaults.Seed,
            Recipe = cli.Optional("recipe") switch
            {
                null or "mini" => new MiniModelRecipe(),
                "tiny" => MiniModelRecipe.Tiny,
                var other => throw new CliUsageException($"--recipe must be mini or tiny, got '{other}'"),
            },
            TrainPerFamily = cli.OptionalInt("train-per-family") ?? defaults.TrainPerFamily,
            ValidationPerFamily = cli.OptionalInt("validation-per-family") ?? defaults.ValidationPerFamily,
            WarmupSteps = cli.OptionalInt("warmup-steps") ?? defaults.WarmupSteps,
            GrpoSteps = cli.OptionalInt("grpo-steps") ?? defaults.GrpoSteps,
            Rollouts = cli.OptionalInt("rollouts") ?? defaults.Rollouts,
            TorchThreads = cli.OptionalInt("threads") ?? defaults.TorchThreads,
            InitFrom = cli.Optional("init"),
            WarmupLearningRate = cli.OptionalDouble("warmup-lr") ?? defaults.WarmupLearningRate,
        };
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
        var renderer = new WorldRenderer(cli.Optional("ffmpeg") ?? "ffmpeg");
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
            result = await RunWithProgressAsync(trainer, output, !cli.Flag("no-progress"), interrupt.Token);
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
