using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace VideoAutoR1.Engine;

/// <summary>
/// The engine's instruments on meter "VideoAutoR1" (OpenTelemetry naming, UCUM units). Tags are bounded:
/// model, mode, and per instrument one enum-like tag (outcome, decision, token type). Never request ids or text.
/// </summary>
public sealed class EngineMetrics : IDisposable
{
    public const string MeterName = "VideoAutoR1";

    private static readonly double[] SecondsBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120, 300];
    private static readonly long[] TokenBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768];

    // Dense near the thresholds people use (0.9–0.99): most confident answers sit there.
    private static readonly double[] ConfidenceBuckets = [0.1, 0.25, 0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 1.0];

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _decisions;
    private readonly Counter<long> _tokens;
    private readonly Histogram<long> _generatedTokens;
    private readonly Histogram<double> _a1Confidence;
    private readonly Histogram<double> _timeToA1;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<double> _queueDuration;
    private readonly UpDownCounter<long> _queueDepth;
    private readonly UpDownCounter<long> _batchSize;

    public EngineMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _requests = _meter.CreateCounter<long>(
            "videoautor1.requests", "{request}", "Finished requests by outcome (completed, failed, cancelled, timed_out, rejected).");
        _decisions = _meter.CreateCounter<long>(
            "videoautor1.a1.decisions", "{request}",
            "What happened when the first box closed: early_exit or thinking. Think rate = thinking / all decisions.");
        _tokens = _meter.CreateCounter<long>(
            "videoautor1.tokens", "{token}", "Tokens processed, by type: prompt (text incl. video), visual, generated.");
        _generatedTokens = _meter.CreateHistogram(
            "videoautor1.generated_tokens", "{token}", "Generated tokens per finished request.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
        _a1Confidence = _meter.CreateHistogram(
            "videoautor1.a1.confidence", "1", "exp(mean log p) of the first answer's span; the number compared with tau.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ConfidenceBuckets });
        _timeToA1 = _meter.CreateHistogram(
            "videoautor1.time_to_a1", "s", "From arrival to the close of the first box.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _requestDuration = _meter.CreateHistogram(
            "videoautor1.request.duration", "s", "End-to-end latency of finished requests (media, queue, prefill, decode).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _queueDuration = _meter.CreateHistogram(
            "videoautor1.queue.duration", "s", "Time a prepared request waited for a KV-cache slot.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _queueDepth = _meter.CreateUpDownCounter<long>(
            "videoautor1.queue.depth", "{request}", "Prepared requests waiting for admission.");
        _batchSize = _meter.CreateUpDownCounter<long>(
            "videoautor1.batch.size", "{sequence}", "Sequences in the running decode batch.");
    }

    /// <summary>Registers the KV-cache gauge; the callback must only read fields (it runs on the exporter's thread).</summary>
    public void ObserveKvCacheUsage(string model, Func<double> usedFraction) =>
        _meter.CreateObservableGauge(
            "videoautor1.kv_cache.usage", () => new Measurement<double>(usedFraction(), new KeyValuePair<string, object?>("model", model)),
            "1", "Fraction of the KV-cache token capacity held by running sequences.");

    public void RequestFinished(string model, AnswerMode mode, string outcome, double? durationSeconds)
    {
        var tags = Tags(model, mode);
        if (durationSeconds is { } seconds && _requestDuration.Enabled)
        {
            _requestDuration.Record(seconds, tags);
        }

        tags.Add("outcome", outcome);
        _requests.Add(1, tags);
    }

    public void Decided(string model, AnswerMode mode, bool earlyExit, double? confidence, double timeToA1Seconds)
    {
        var tags = Tags(model, mode);
        _timeToA1.Record(timeToA1Seconds, tags);
        if (confidence is { } value)
        {
            _a1Confidence.Record(value, tags);
        }

        tags.Add("decision", earlyExit ? "early_exit" : "thinking");
        _decisions.Add(1, tags);
    }

    public void Tokens(string model, AnswerMode mode, TokenCounts counts)
    {
        var tags = Tags(model, mode);
        _generatedTokens.Record(counts.Generated, tags);
        AddTokens(counts.Prompt, "prompt", tags);
        AddTokens(counts.Visual, "visual", tags);
        AddTokens(counts.Generated, "generated", tags);
    }

    public void Queued(string model, AnswerMode mode, int delta) => _queueDepth.Add(delta, Tags(model, mode));

    /// <summary>A request took a KV-cache slot after <paramref name="queueSeconds"/> in the queue.</summary>
    public void Admitted(string model, AnswerMode mode, double queueSeconds)
    {
        var tags = Tags(model, mode);
        _queueDepth.Add(-1, tags);
        _queueDuration.Record(queueSeconds, tags);
    }

    /// <summary>A request left the queue without a slot (cancelled, timed out, shut down): no queue time is recorded.</summary>
    public void Dequeued(string model, AnswerMode mode) => _queueDepth.Add(-1, Tags(model, mode));

    public void BatchChanged(string model, AnswerMode mode, int delta) => _batchSize.Add(delta, Tags(model, mode));

    public void Dispose() => _meter.Dispose();

    private static TagList Tags(string model, AnswerMode mode) =>
        new() { { "model", model }, { "mode", ModeName(mode) } };

    internal static string ModeName(AnswerMode mode) => mode switch
    {
        AnswerMode.Auto => "auto",
        AnswerMode.Think => "think",
        AnswerMode.Direct => "direct",
        _ => throw new UnreachableException(),
    };

    private void AddTokens(int count, string type, TagList tags)
    {
        tags.Add("type", type);
        _tokens.Add(count, tags);
    }
}
