using System.CommandLine;
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
    public static Command Create()
    {
        var model = CliOptions.ModelDirectory();
        var data = CliOptions.Text("--data", "benchmark file (or folder, for --format mvbench)", required: true);
        var format = CliOptions.Text("--format", "jsonl (default), videomme, mvbench, charades-sta or nextgqa");
        var segments = CliOptions.Text("--segments", "NExT-GQA grounding JSON");
        var videoRoot = CliOptions.Text("--video-root", "folder the items' video paths are under; default the data file's folder");
        var mode = Modes.Option();
        var threshold = CliOptions.Number("--threshold", "τ for --mode auto");
        var maxNewTokens = CliOptions.Integer("--max-new-tokens", "generated-token budget per item");
        var output = CliOptions.Text("--out", "results.jsonl to append to (resumable)", required: true);
        var summary = CliOptions.Text("--summary", "summary.json path; default next to --out");
        var batchSize = CliOptions.Text("--batch-size", "Engine:MaxBatchSize");
        var dtype = CliOptions.DType();
        var device = CliOptions.Device();
        var maxFrames = CliOptions.Text("--max-frames", "Media:MaxFrames");
        var limit = CliOptions.Integer("--limit", "run at most this many items");
        var set = CliOptions.Repeated("--set", "any setting, Section:Key=value (repeatable)");
        var strict = CliOptions.Flag("--strict", "a bad input line is fatal");
        var noProgress = CliOptions.Flag("--no-progress", "no progress bar or progress lines");
        var command = new Command("eval", "run a benchmark through the engine: --data FILE --out results.jsonl [--mode think] (resumable)")
        {
            model, data, format, segments, videoRoot, mode, threshold, maxNewTokens, output, summary, batchSize, dtype, device, maxFrames, limit, set,
            strict, noProgress,
        };
        command.SetAction((parse, _) => RunAsync(new EvalArguments(
            parse.GetValue(model), parse.GetValue(data)!, parse.GetValue(format), parse.GetValue(segments), parse.GetValue(videoRoot),
            parse.GetValue(mode) ?? AnswerMode.Auto, parse.GetValue(threshold), parse.GetValue(maxNewTokens), parse.GetValue(output)!,
            parse.GetValue(summary), parse.GetValue(batchSize), parse.GetValue(dtype), parse.GetValue(device), parse.GetValue(maxFrames),
            parse.GetValue(limit), parse.GetValue(set) ?? [], parse.GetValue(strict), parse.GetValue(noProgress))));
        return command;
    }

    private static async Task<int> RunAsync(EvalArguments cli)
    {
        var dataPath = cli.Data;
        if (!File.Exists(dataPath) && !Directory.Exists(dataPath))
        {
            throw new CliUsageException($"data file not found: {dataPath}");
        }

        var mode = cli.Mode;
        var outPath = cli.Out;
        var summaryPath = cli.Summary ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(outPath))!, "summary.json");
        var strict = cli.Strict;
        var videoRoot = Path.GetFullPath(cli.VideoRoot ?? Path.GetDirectoryName(Path.GetFullPath(dataPath))!);
        var format = EvalFormats.Parse(cli.Format ?? EvalFormats.Jsonl);

        var dataset = EvalDataset.From(EvalFormats.Read(format, dataPath, cli.Segments), videoRoot);
        foreach (var problem in dataset.Problems)
        {
            Console.Error.WriteLine($"{dataPath}: {problem}");
        }

        if (strict && dataset.Problems.Count > 0)
        {
            throw new VideoQaException(ErrorKind.InvalidArgument, "input_invalid", $"{dataset.Problems.Count} bad input line(s) and --strict");
        }

        var options = new EvalRunOptions(mode, cli.Threshold, cli.MaxNewTokens, strict);
        using var results = ResultsFile.OpenForAppend(outPath);
        var done = results.Existing.Select(l => l.Id).ToHashSet(StringComparer.Ordinal);
        var limit = cli.Limit ?? int.MaxValue;
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

            var run = await RunWithProgressAsync(engine, todo, options, results, !cli.NoProgress, interrupt.Token);
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

    private static async Task<EvalEngine> StartEngineAsync(EvalArguments cli, CancellationToken cancellationToken)
    {
        var modelDirectory = cli.Model;
        if (modelDirectory is not null && !Directory.Exists(modelDirectory))
        {
            throw new CliUsageException($"model directory not found: {modelDirectory}");
        }

        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Engine:ModelDirectory"] = modelDirectory,
        };
        Put(settings, "Engine:MaxBatchSize", cli.BatchSize);
        Put(settings, "Engine:DType", cli.DType);
        Put(settings, "Engine:Device", cli.Device);
        Put(settings, "Media:MaxFrames", cli.MaxFrames);
        foreach (var assignment in cli.Set)
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

/// <summary>The eval command line, parsed and typed.</summary>
internal sealed record EvalArguments(
    string? Model,
    string Data,
    string? Format,
    string? Segments,
    string? VideoRoot,
    AnswerMode Mode,
    double? Threshold,
    int? MaxNewTokens,
    string Out,
    string? Summary,
    string? BatchSize,
    string? DType,
    string? Device,
    string? MaxFrames,
    int? Limit,
    string[] Set,
    bool Strict,
    bool NoProgress);
