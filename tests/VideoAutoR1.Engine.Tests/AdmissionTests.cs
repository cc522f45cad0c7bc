using Microsoft.Extensions.DependencyInjection;
using VideoAutoR1.Core;

namespace VideoAutoR1.Engine.Tests;

/// <summary>Overload, impossible requests and shutdown.</summary>
[Collection(EngineCollection.Name)]
public sealed class AdmissionTests(EngineFixture fixture)
{
    private static readonly QuestionSpec Question = new("What happens?", [], TaskKind.Open);

    [Fact]
    public async Task A_full_queue_refuses_with_overloaded_and_a_retry_hint()
    {
        await using var harness = await EngineHarness.StartAsync(
            fixture.RandomModelDirectory, new Dictionary<string, string?> { ["MaxBatchSize"] = "1", ["MaxQueueLength"] = "1" });
        using var cleanup = new CancellationTokenSource();
        var running = harness.Engine.AnswerAsync(Long(), cleanup.Token);
        await BatchingTests.WaitUntilAsync(() => harness.Engine.Status.RunningSequences == 1);
        var queued = harness.Engine.AnswerAsync(Long(), cleanup.Token);
        await BatchingTests.WaitUntilAsync(() => harness.Engine.Status.QueueDepth == 1);

        var error = await Assert.ThrowsAsync<VideoQaException>(() => harness.Engine.AnswerAsync(Long(), CancellationToken.None));

        Assert.Equal(ErrorKind.Overloaded, error.Kind);
        Assert.Equal("queue_full", error.Code);
        Assert.NotNull(error.RetryAfter);
        cleanup.Cancel();
        await Assert.ThrowsAsync<VideoQaException>(() => running);
        await Assert.ThrowsAsync<VideoQaException>(() => queued);
    }

    [Fact]
    public async Task A_prompt_that_can_never_fit_a_cache_slot_is_refused_at_once()
    {
        await using var harness = await EngineHarness.StartAsync(
            fixture.RandomModelDirectory, new Dictionary<string, string?> { ["MaxTokensPerSequence"] = "64" });

        var error = await Assert.ThrowsAsync<VideoQaException>(() => harness.Engine.AnswerAsync(
            Requests.For(fixture.WideVideoPath, Question), CancellationToken.None));

        Assert.Equal(ErrorKind.TooLarge, error.Kind);
        Assert.Equal("prompt_too_long", error.Code);
        Assert.Equal(0, harness.Engine.Status.QueueDepth);
    }

    [Fact]
    public async Task Shutdown_lets_running_requests_finish_within_the_grace_period_and_refuses_new_ones()
    {
        var harness = await EngineHarness.StartAsync(fixture.RandomModelDirectory, new Dictionary<string, string?> { ["ShutdownGrace"] = "00:01:00" });
        await using var _ = harness;
        // Preprocessed videos, so both are admitted in the same step instead of racing through media.
        var running = new[]
        {
            harness.Engine.AnswerAsync(Requests.For(fixture.SmallVideoPath, Question, AnswerMode.Think, maxNewTokens: 120), fixture.SmallVideo, CancellationToken.None),
            harness.Engine.AnswerAsync(Requests.For(fixture.WideVideoPath, Question, AnswerMode.Think, maxNewTokens: 90), fixture.WideVideo, CancellationToken.None),
        };
        await BatchingTests.WaitUntilAsync(() => harness.Engine.Status.RunningSequences == 2);

        var stopping = harness.StopAsync();
        await BatchingTests.WaitUntilAsync(() => !harness.Engine.Status.Ready);
        var refused = await Assert.ThrowsAsync<VideoQaException>(() => harness.Engine.AnswerAsync(Long(), CancellationToken.None));
        await stopping;

        Assert.Equal(ErrorKind.Unavailable, refused.Kind);
        Assert.Equal("shutting_down", refused.Code);
        // Both finished normally (their own stop or their token budget), none was cut off by the shutdown.
        var results = await Task.WhenAll(running);
        Assert.All(results, r => Assert.True(r.FinishReason == FinishReason.Stop || r.Tokens.Generated == (r.RequestId == results[0].RequestId ? 120 : 90)));
    }

    [Fact]
    public async Task Shutdown_cancels_what_is_still_running_when_the_grace_period_ends()
    {
        var harness = await EngineHarness.StartAsync(fixture.RandomModelDirectory, new Dictionary<string, string?> { ["ShutdownGrace"] = "00:00:00.2" });
        await using var _ = harness;
        var running = harness.Engine.AnswerAsync(Long(), CancellationToken.None);
        await BatchingTests.WaitUntilAsync(() => harness.Engine.Status.RunningSequences == 1);

        await harness.StopAsync();

        var error = await Assert.ThrowsAsync<VideoQaException>(() => running);
        Assert.Equal(ErrorKind.Unavailable, error.Kind);
        Assert.Equal("shutting_down", error.Code);
    }

    [Fact]
    public async Task Shutdown_cut_short_by_the_host_fails_running_requests_as_shutting_down_and_does_not_throw()
    {
        // The reported crash: the host's timeout ended the wait inside StopAsync with a TaskCanceledException.
        var harness = await EngineHarness.StartAsync(fixture.RandomModelDirectory, new Dictionary<string, string?> { ["ShutdownGrace"] = "00:10:00" });
        await using var _ = harness;
        var running = harness.Engine.AnswerAsync(Long(), CancellationToken.None);
        await BatchingTests.WaitUntilAsync(() => harness.Engine.Status.RunningSequences == 1);

        await harness.Engine.StoppingAsync(CancellationToken.None);
        Assert.False(harness.Engine.Status.Ready);
        // The host's shutdown timeout has already passed: StopAsync must end the drain there, and not throw.
        await harness.Engine.StopAsync(new CancellationToken(canceled: true));

        var error = await Assert.ThrowsAsync<VideoQaException>(() => running);
        Assert.Equal(ErrorKind.Unavailable, error.Kind);
        Assert.Equal("shutting_down", error.Code);
        Assert.NotNull(error.RetryAfter);
    }

    [Fact]
    public async Task The_hosts_shutdown_timeout_is_above_the_drain_budget()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.RandomModelDirectory, new Dictionary<string, string?> { ["ShutdownGrace"] = "00:00:45" });
        var host = harness.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.Extensions.Hosting.HostOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(45) + EngineOptions.HostShutdownMargin, host.ShutdownTimeout);
    }

    private AnswerRequest Long() => Requests.For(fixture.SmallVideoPath, Question, AnswerMode.Think, maxNewTokens: 900);
}
