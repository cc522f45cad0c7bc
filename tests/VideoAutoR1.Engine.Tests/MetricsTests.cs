using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace VideoAutoR1.Engine.Tests;

/// <summary>The engine's instruments, observed with a MeterListener on the host's own meter factory.</summary>
[Collection(EngineCollection.Name)]
public sealed class MetricsTests(EngineFixture fixture)
{
    [Fact]
    public async Task Requests_decisions_tokens_and_latencies_are_recorded_with_model_and_mode_labels()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.TrainedModelDirectory);
        var measurements = new ConcurrentQueue<(string Name, string? Unit, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EngineMetrics.MeterName && instrument.Meter.Scope == harness.MeterFactory)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => measurements.Enqueue((i.Name, i.Unit, v, ToDictionary(tags))));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => measurements.Enqueue((i.Name, i.Unit, v, ToDictionary(tags))));
        listener.Start();

        var exited = await harness.Engine.AnswerAsync(Requests.For(fixture.SmallVideoPath, EngineFixture.Confident), CancellationToken.None);
        var thought = await harness.Engine.AnswerAsync(Requests.For(fixture.SmallVideoPath, EngineFixture.Fallback), CancellationToken.None);
        listener.RecordObservableInstruments();

        var all = measurements.ToList();
        var requests = all.Where(m => m.Name == "videoautor1.requests").ToList();
        Assert.Equal(2, requests.Count);
        Assert.All(requests, m =>
        {
            Assert.Equal("completed", m.Tags["outcome"]);
            Assert.Equal("test-model", m.Tags["model"]);
            Assert.Equal("auto", m.Tags["mode"]);
        });

        var decisions = all.Where(m => m.Name == "videoautor1.a1.decisions").Select(m => m.Tags["decision"]).ToList();
        Assert.Equal(["early_exit", "thinking"], decisions);

        var generated = all.Where(m => m.Name == "videoautor1.generated_tokens").ToList();
        Assert.Equal([exited.Tokens.Generated, thought.Tokens.Generated], generated.Select(m => (int)m.Value));
        Assert.All(generated, m => Assert.Equal("{token}", m.Unit));
        var tokenTypes = all.Where(m => m.Name == "videoautor1.tokens").GroupBy(m => (string)m.Tags["type"]!).ToDictionary(g => g.Key, g => g.Sum(m => m.Value));
        Assert.Equal(exited.Tokens.Visual + thought.Tokens.Visual, tokenTypes["visual"]);
        Assert.Equal(exited.Tokens.Prompt + thought.Tokens.Prompt, tokenTypes["prompt"]);

        // Only the confident answer has a confidence; the fallback has none.
        var confidence = Assert.Single(all, m => m.Name == "videoautor1.a1.confidence");
        Assert.Equal(exited.A1Confidence!.Value, confidence.Value, precision: 12);

        Assert.Equal(2, all.Count(m => m.Name == "videoautor1.time_to_a1" && m.Unit == "s"));
        var durations = all.Where(m => m.Name == "videoautor1.request.duration").ToList();
        Assert.Equal(2, durations.Count);
        Assert.All(durations, m => Assert.Equal("s", m.Unit));
        Assert.Equal(exited.Timings.Total, durations[0].Value, precision: 9);

        // Gauges return to zero once nothing waits or runs.
        Assert.Equal(0, all.Where(m => m.Name == "videoautor1.queue.depth").Sum(m => m.Value));
        Assert.Equal(0, all.Where(m => m.Name == "videoautor1.batch.size").Sum(m => m.Value));
        Assert.Contains(all, m => m.Name == "videoautor1.kv_cache.usage" && m.Unit == "1");

        // Bounded labels only: never a request id or free text.
        Assert.All(all, m => Assert.Subset(new HashSet<string> { "model", "mode", "outcome", "decision", "type" }, m.Tags.Keys.ToHashSet()));
    }

    [Fact]
    public async Task A_request_cancelled_in_the_queue_leaves_the_depth_gauge_but_records_no_queue_time()
    {
        await using var harness = await EngineHarness.StartAsync(
            fixture.RandomModelDirectory, new Dictionary<string, string?> { ["MaxBatchSize"] = "1" });
        var measurements = new ConcurrentQueue<(string Name, double Value, string? Outcome)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EngineMetrics.MeterName && instrument.Meter.Scope == harness.MeterFactory)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => measurements.Enqueue((i.Name, v, Outcome(tags))));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => measurements.Enqueue((i.Name, v, Outcome(tags))));
        listener.Start();

        using var running = new CancellationTokenSource();
        using var waiting = new CancellationTokenSource();
        var first = harness.Engine.AnswerAsync(Requests.For(fixture.SmallVideoPath, EngineFixture.Confident, AnswerMode.Think, maxNewTokens: 900), running.Token);
        await BatchingTests.WaitUntilAsync(() => harness.Engine.Status.RunningSequences == 1);
        var second = harness.Engine.AnswerAsync(Requests.For(fixture.SmallVideoPath, EngineFixture.Confident), waiting.Token);
        await BatchingTests.WaitUntilAsync(() => harness.Engine.Status.QueueDepth == 1);
        await waiting.CancelAsync();
        await Assert.ThrowsAsync<Core.VideoQaException>(() => second);
        await running.CancelAsync();
        await Assert.ThrowsAsync<Core.VideoQaException>(() => first);
        await BatchingTests.WaitUntilAsync(() => measurements.Count(m => m.Name == "videoautor1.requests") == 2);

        var all = measurements.ToList();
        Assert.Single(all, m => m.Name == "videoautor1.queue.duration");
        Assert.Equal(0, all.Where(m => m.Name == "videoautor1.queue.depth").Sum(m => m.Value));
        Assert.Equal(["cancelled", "cancelled"], all.Where(m => m.Name == "videoautor1.requests").Select(m => m.Outcome));
    }

    private static string? Outcome(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var (key, value) in tags)
        {
            if (key == "outcome")
            {
                return value as string;
            }
        }

        return null;
    }

    private static Dictionary<string, object?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, object?>();
        foreach (var (key, value) in tags)
        {
            result[key] = value;
        }

        return result;
    }
}
