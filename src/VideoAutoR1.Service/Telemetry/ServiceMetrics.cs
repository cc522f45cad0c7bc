using System.Diagnostics.Metrics;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;

namespace VideoAutoR1.Service.Telemetry;

/// <summary>Front-end instruments (meter "VideoAutoR1.Service"); the engine's own meter is "VideoAutoR1".</summary>
public sealed class ServiceMetrics : IDisposable
{
    public const string MeterName = "VideoAutoR1.Service";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<long> _uploadBytes;

    public ServiceMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _requests = _meter.CreateCounter<long>(
            "videoautor1.service.requests", unit: "{request}", description: "Answer requests by API surface and outcome (ok or the error code).");
        _uploadBytes = _meter.CreateHistogram<long>(
            "videoautor1.service.upload.size", unit: "By", description: "Size of uploaded videos.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1 << 16, 1 << 18, 1 << 20, 1 << 22, 1 << 24, 1 << 26, 1 << 28, 1 << 30] });
    }

    public void Completed(string api, AnswerResult result) => Count(api, "ok", result.FinishReason.ToString());

    public VideoQaException Failed(string api, VideoQaException error)
    {
        Count(api, error.Code, null);
        return error;
    }

    public void Uploaded(long bytes)
    {
        if (_uploadBytes.Enabled)
        {
            _uploadBytes.Record(bytes);
        }
    }

    public void Dispose() => _meter.Dispose();

    private void Count(string api, string outcome, string? finishReason)
    {
        if (_requests.Enabled)
        {
            _requests.Add(1, new KeyValuePair<string, object?>("api", api), new KeyValuePair<string, object?>("outcome", outcome),
                new KeyValuePair<string, object?>("finish_reason", finishReason));
        }
    }
}
