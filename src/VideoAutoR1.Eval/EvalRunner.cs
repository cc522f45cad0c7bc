using System.Diagnostics;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Eval.Grading;
using VideoAutoR1.Media;

namespace VideoAutoR1.Eval;

/// <summary>How a benchmark run asks the engine. A null threshold or token budget takes the engine's default.</summary>
public sealed record EvalRunOptions(AnswerMode Mode, double? Threshold = null, int? MaxNewTokens = null, bool Strict = false);

/// <summary>Where a run stands, after each finished item of this run.</summary>
public sealed record EvalProgress(int Done, int Total, int Failed, double ScoreSum, int Thought, TimeSpan Elapsed)
{
    public double ItemsPerSecond => Elapsed.TotalSeconds > 0 ? (Done + Failed) / Elapsed.TotalSeconds : 0;

    /// <summary>Mean score of the items finished so far (accuracy; IoU for grounding).</summary>
    public double? RunningAccuracy => Done > 0 ? ScoreSum / Done : null;

    public double? ThinkRate => Done > 0 ? Thought / (double)Done : null;

    public TimeSpan? Eta => ItemsPerSecond > 0 ? TimeSpan.FromSeconds((Total - Done - Failed) / ItemsPerSecond) : null;
}

/// <summary>What a run did: the lines it wrote and the items that failed (with the engine's error).</summary>
public sealed record EvalRunResult(IReadOnlyList<ResultLine> Written, IReadOnlyList<EvalProblem> Failed, bool Interrupted);

/// <summary>
/// Runs items through the engine concurrently (up to <see cref="EvalEngine.Concurrency"/> in flight, so continuous
/// batching keeps every slot busy), grades each result as it finishes and appends it to the results file at once.
/// </summary>
public static class EvalRunner
{
    public static async Task<EvalRunResult> RunAsync(
        EvalEngine engine,
        IReadOnlyList<EvalItem> items,
        EvalRunOptions options,
        ResultsFile results,
        IProgress<EvalProgress>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(results);
        var grader = new AnswerGrader();
        var threshold = options.Threshold ?? engine.Options.DefaultThreshold;
        var written = new List<ResultLine>();
        var failed = new List<EvalProblem>();
        var gate = new Lock();
        var clock = Stopwatch.StartNew();
        double scoreSum = 0;
        var thought = 0;

        // Strict mode stops everything at the first failure; Ctrl-C stops everything and keeps what finished.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        EvalProblem? fatal = null;
        try
        {
            await Parallel.ForEachAsync(
                items,
                new ParallelOptions { MaxDegreeOfParallelism = engine.Concurrency, CancellationToken = stop.Token },
                async (item, token) =>
                {
                    EvalProgress snapshot;
                    try
                    {
                        var result = await AnswerAsync(engine.Engine, Request(engine.Engine, item, options), token).ConfigureAwait(false);
                        var line = ResultLine.Grade(item, result, options.Mode, threshold, grader);
                        results.Append(line);
                        lock (gate)
                        {
                            written.Add(line);
                            scoreSum += line.Score;
                            thought += line.Thought ? 1 : 0;
                            snapshot = new EvalProgress(written.Count, items.Count, failed.Count, scoreSum, thought, clock.Elapsed);
                        }
                    }
                    catch (VideoQaException error) when (!token.IsCancellationRequested)
                    {
                        var problem = new EvalProblem(item.Line, item.Id, error.Code, error.Message);
                        lock (gate)
                        {
                            failed.Add(problem);
                            snapshot = new EvalProgress(written.Count, items.Count, failed.Count, scoreSum, thought, clock.Elapsed);
                            if (options.Strict && fatal is null)
                            {
                                fatal = problem;
                                stop.Cancel();
                            }
                        }
                    }
                    catch (VideoQaException) when (token.IsCancellationRequested)
                    {
                        // The engine reports a cancelled request as its own error; here it is the run stopping.
                        throw new OperationCanceledException(token);
                    }

                    progress?.Report(snapshot);
                }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            if (fatal is not null)
            {
                throw new VideoQaException(ErrorKind.InvalidArgument, fatal.Code, $"--strict: {fatal}");
            }

            return new EvalRunResult(written, [.. failed.OrderBy(p => p.Line)], Interrupted: true);
        }

        return new EvalRunResult(written, [.. failed.OrderBy(p => p.Line)], Interrupted: false);
    }

    private static AnswerRequest Request(VideoQaEngine engine, EvalItem item, EvalRunOptions options) =>
        engine.Resolver.Resolve(
            item.Id,
            new VideoSource.ServerPath(Path.GetRelativePath("/", item.VideoPath)),
            item.Question,
            RequestResolver.Empty with { Mode = options.Mode, Threshold = options.Threshold, MaxNewTokens = options.MaxNewTokens });

    /// <summary>A full queue is back-pressure, not a failure: wait as the engine asks and try again.</summary>
    private static async Task<AnswerResult> AnswerAsync(VideoQaEngine engine, AnswerRequest request, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await engine.AnswerAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (VideoQaException error) when (error.Kind == ErrorKind.Overloaded)
            {
                await Task.Delay(error.RetryAfter ?? TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
