using Xunit.Abstractions;

namespace VideoAutoR1.Engine.Tests;

/// <summary>
/// 1,000 small requests must leave no tensors alive on the engine thread and must not grow native memory.
/// RSS may rise to a plateau while allocators warm up (TorchSharp #1034), so it is measured after a warm-up.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class LeakTests(EngineFixture fixture, ITestOutputHelper output)
{
    private const int WarmUp = 100;
    private const int Measured = 1000;
    private const long RssGrowthBoundBytes = 64L << 20;

    // Written by the engine thread's idle probe, read by the test.
    private volatile EngineTorchStatistics? _idle;

    [Fact]
    public async Task A_thousand_requests_leave_no_live_tensors_and_flat_rss()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.TrainedModelDirectory, new Dictionary<string, string?> { ["MaxBatchSize"] = "8" });
        // Media is not under test here: one preprocessed video, so 1,000 requests do not run ffmpeg 1,000 times.
        AnswerRequest request() => Requests.For(fixture.SmallVideoPath, EngineFixture.Confident, AnswerMode.Direct);
        harness.Engine.SetIdleProbe(() => _idle = EngineTorchStatistics.OfCurrentThread());

        await RunAsync(harness.Engine, request, WarmUp);
        var before = await IdleStatisticsAsync(harness.Engine);
        var rssBefore = ResidentBytes();

        await RunAsync(harness.Engine, request, Measured);
        var after = await IdleStatisticsAsync(harness.Engine);
        var rssAfter = ResidentBytes();

        output.WriteLine($"RSS {rssBefore >> 20} MiB -> {rssAfter >> 20} MiB after {Measured} requests (bound +{RssGrowthBoundBytes >> 20} MiB)");
        output.WriteLine($"engine-thread tensors: before {before}, after {after}");
        Assert.Equal(before.LiveTensors, after.LiveTensors);
        Assert.True(after.CreatedInScope > before.CreatedInScope, "the requests created tensors inside dispose scopes");
        Assert.Equal(after.CreatedInScope - before.CreatedInScope, after.DisposedInScope - before.DisposedInScope);
        Assert.True(rssAfter - rssBefore < RssGrowthBoundBytes, $"RSS grew by {(rssAfter - rssBefore) >> 20} MiB");
    }

    private async Task RunAsync(VideoQaEngine engine, Func<AnswerRequest> request, int count)
    {
        // Eight in flight at a time, so sequences keep joining and leaving the running batch.
        var gate = new SemaphoreSlim(8);
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var result = await engine.AnswerAsync(request(), fixture.SmallVideo, CancellationToken.None);
                Assert.Equal("B", result.A1);
            }
            finally
            {
                gate.Release();
            }
        });
        await Task.WhenAll(tasks);
    }

    /// <summary>The snapshot the engine thread takes once idle again (a later one than any taken while busy).</summary>
    private async Task<EngineTorchStatistics> IdleStatisticsAsync(VideoQaEngine engine)
    {
        var previous = _idle;
        await BatchingTests.WaitUntilAsync(() => engine.Status.RunningSequences == 0 && _idle is { } now && !ReferenceEquals(now, previous));
        return _idle!;
    }

    private static long ResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
}
