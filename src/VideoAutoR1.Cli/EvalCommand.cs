using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Spectre.Console;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Eval;

namespace VideoAutoR1.Cli;

/// <summary>
/// <c>eval [--model DIR] --data FILE [--format F] [--video-root DIR] [--mode auto|think|direct] [--threshold τ]
/// --out results.jsonl</c>: runs a benchmark through the in-process engine (continuous batching), appending one graded
/// line per item to --out as it finishes. Ids already in --out are skipped, so an interrupted run resumes where it
/// stopped. Ends with a summary table and summary.json.
/// </summary>
public static class EvalCommand
{
    public const string Help = "run a benchmark through the engine: --data FILE --out results.jsonl [--mode think] (resumable)";

    private static readonly HashSet<string> OptionNames =
    [
        "model", "data", "format", "segments", "video-root", "mode", "threshold", "max-new-tokens", "out", "summary",
        "batch-size", "dtype", "device", "max-frames", "limit", "set",
    ];

    private static readonly HashSet<string> FlagNames = ["strict", "no-progress"];

    public static async Task<int> RunAsync(string[] args)
    {
        var cli = new CliArgs(args, OptionNames, FlagNames);
        if (cli.Positional.Count > 0)
        {
            throw new CliUsageException($"unexpected argument '{cli.Positional[0]}'");
        }

        var dataPath = cli.Required("data");
        if (!File.Exists(dataPath) && !Directory.Exists(dataPath))
        {
            throw new CliUsageException($"data file not found: {dataPath}");
        }

        var mode = ParseMode(cli.Optional("mode"));
        var outPath = cli.Required("out");
        var summaryPath = cli.Optional("summary") ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(outPath))!, "summary.json");
        var strict = cli.Flag("strict");
        var videoRoot = Path.GetFullPath(cli.Optional("video-root") ?? Path.GetDirectoryName(Path.GetFullPath(dataPath))!);
        var format = EvalFormats.Parse(cli.Optional("format") ?? EvalFormats.Jsonl);

        var dataset = EvalDataset.From(EvalFormats.Read(format, dataPath, cli.Optional("segments")), videoRoot);
        foreach (var problem in dataset.Problems)
        {
            Console.Error.WriteLine($"{dataPath}: {problem}");
        }

        if (strict && dataset.Problems.Count > 0)
        {
            throw new VideoQaException(ErrorKind.InvalidArgument, "input_invalid", $"{dataset.Problems.Count} bad input line(s) and --strict");
        }

        var options = new EvalRunOptions(mode, cli.OptionalDouble("threshold"), cli.OptionalInt("max-new-tokens"), strict);
        using var results = ResultsFile.OpenForAppend(outPath);
        var done = results.Existing.Select(l => l.Id).ToHashSet(StringComparer.Ordinal);
        var limit = cli.OptionalInt("limit") ?? int.MaxValue;
        var todo = dataset.Items.Take(limit).Where(i => !done.Contains(i.Id)).ToArray();

        using var interrupt = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // The first Ctrl-C stops cleanly (finished lines are already on disk); a second one kills.
            e.Cancel = !interrupt.IsCancellationRequested;
            interrupt.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            await using var engine = await StartEngineAsync(cli, interrupt.Token);
            var threshold = mode == AnswerMode.Auto ? options.Threshold ?? engine.Options.DefaultThreshold : (double?)null;
            RefuseOtherRuns(outPath, results.Existing, engine.ModelId, mode, threshold);
            if (results.Existing.Count > 0)
            {
                Console.Error.WriteLine($"eval: {results.Existing.Count} results already in {outPath}; {todo.Length} items to run");
            }

            var run = await RunWithProgressAsync(engine, todo, options, results, !cli.Flag("no-progress"), interrupt.Token);
            foreach (var failure in run.Failed)
            {
                Console.Error.WriteLine($"{dataPath}: {failure}");
            }

            var inDataset = dataset.Items.Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
            var lines = results.Existing.Concat(run.Written).Where(l => inDataset.Contains(l.Id)).ToArray();
            var summary = EvalSummary.Of(lines, engine.ModelId, ResultLine.ModeName(mode), threshold, dataset.Problems, run.Failed);
            await File.WriteAllTextAsync(summaryPath, JsonSerializer.Serialize(summary, SummaryJson));
            SummaryTable.Write(summary);
            if (run.Interrupted)
            {
                Console.Error.WriteLine($"eval: interrupted; {lines.Length} results in {outPath}; run the same command again to resume");
                return 130;
            }

            return 0;
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            Console.Error.WriteLine("eval: interrupted before the engine was ready");
            return 130;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    internal static readonly JsonSerializerOptions SummaryJson = new(ResultLine.Json) { WriteIndented = true };

    private static async Task<EvalEngine> StartEngineAsync(CliArgs cli, CancellationToken cancellationToken)
    {
        var modelDirectory = cli.Optional("model");
        if (modelDirectory is not null && !Directory.Exists(modelDirectory))
        {
            throw new CliUsageException($"model directory not found: {modelDirectory}");
        }

        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Engine:ModelDirectory"] = modelDirectory,
        };
        Put(settings, "Engine:MaxBatchSize", cli.Optional("batch-size"));
        Put(settings, "Engine:DType", cli.Optional("dtype"));
        Put(settings, "Engine:Device", cli.Optional("device"));
        Put(settings, "Media:MaxFrames", cli.Optional("max-frames"));
        foreach (var assignment in cli.All("set"))
        {
            var equals = assignment.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliUsageException($"--set takes Section:Key=value, got '{assignment}'");
            }

            settings[assignment[..equals]] = assignment[(equals + 1)..];
        }

        try
        {
            return await EvalEngine.StartAsync(settings, cancellationToken);
        }
        catch (OptionsValidationException error)
        {
            throw new CliUsageException(error.Message);
        }
    }

    private static void Put(Dictionary<string, string?> settings, string key, string? value)
    {
        if (value is not null)
        {
            settings[key] = value;
        }
    }

    /// <summary>Appending to another model's or mode's results would mix two runs into one file.</summary>
    private static void RefuseOtherRuns(string outPath, IReadOnlyList<ResultLine> existing, string model, AnswerMode mode, double? threshold)
    {
        var modeName = ResultLine.ModeName(mode);
        if (existing.FirstOrDefault(l => l.Model != model || l.Mode != modeName || l.Threshold != threshold) is { } other)
        {
            throw new VideoQaException(
                ErrorKind.InvalidArgument,
                "results_from_another_run",
                $"{outPath} holds results of model '{other.Model}' in mode {other.Mode}{ThresholdText(other.Threshold)} (id {other.Id}); "
                + $"this run is model '{model}' in mode {modeName}{ThresholdText(threshold)}: choose another --out");
        }
    }

    private static string ThresholdText(double? threshold) =>
        threshold is { } t ? string.Create(CultureInfo.InvariantCulture, $" at τ {t}") : "";

    private static async Task<EvalRunResult> RunWithProgressAsync(
        EvalEngine engine, IReadOnlyList<EvalItem> items, EvalRunOptions options, ResultsFile results, bool showProgress, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (!showProgress || items.Count == 0)
        {
            return await EvalRunner.RunAsync(engine, items, options, results, null, cancellationToken);
        }

        if (!console.Profile.Capabilities.Interactive)
        {
            // Logs and CI: one plain line every few seconds instead of a redrawn bar.
            return await EvalRunner.RunAsync(engine, items, options, results, new PlainProgress(), cancellationToken);
        }

        EvalRunResult? outcome = null;
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(ProgressText.Of(new EvalProgress(0, items.Count, 0, 0, 0, TimeSpan.Zero)), maxValue: items.Count);
                var progress = new LatestProgress(p =>
                {
                    task.Value = p.Done + p.Failed;
                    task.Description = Markup.Escape(ProgressText.Of(p));
                });
                outcome = await EvalRunner.RunAsync(engine, items, options, results, progress, cancellationToken);
            });
        return outcome!;
    }

    private static AnswerMode ParseMode(string? text) => text switch
    {
        null or "auto" => AnswerMode.Auto,
        "think" => AnswerMode.Think,
        "direct" => AnswerMode.Direct,
        _ => throw new CliUsageException($"--mode must be auto, think or direct, got '{text}'"),
    };

    /// <summary>Applies reports in order of progress: they arrive from many threads, possibly out of order.</summary>
    private sealed class LatestProgress(Action<EvalProgress> apply) : IProgress<EvalProgress>
    {
        private readonly Lock _lock = new();
        private int _seen = -1;

        public void Report(EvalProgress value)
        {
            lock (_lock)
            {
                if (value.Done + value.Failed > _seen)
                {
                    _seen = value.Done + value.Failed;
                    apply(value);
                }
            }
        }
    }

    private sealed class PlainProgress : IProgress<EvalProgress>
    {
        private static readonly TimeSpan Every = TimeSpan.FromSeconds(10);
        private readonly Lock _lock = new();
        private TimeSpan _last = TimeSpan.Zero;

        public void Report(EvalProgress value)
        {
            lock (_lock)
            {
                var finished = value.Done + value.Failed == value.Total;
                if (finished || value.Elapsed - _last >= Every)
                {
                    _last = value.Elapsed;
                    Console.Error.WriteLine("eval: " + ProgressText.Of(value));
                }
            }
        }
    }
}

/// <summary>items done, items/s, ETA, running accuracy and think rate, as one line.</summary>
internal static class ProgressText
{
    public static string Of(EvalProgress p)
    {
        var eta = p.Eta is { } t ? t.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) : "--:--:--";
        var failed = p.Failed > 0 ? $", {p.Failed} failed" : "";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{p.Done + p.Failed}/{p.Total} items{failed}, {p.ItemsPerSecond:0.00} items/s, ETA {eta}, accuracy {Percent(p.RunningAccuracy)}, think rate {Percent(p.ThinkRate)}");
    }

    public static string Percent(double? fraction) =>
        fraction is { } f ? (100 * f).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "-";
}
