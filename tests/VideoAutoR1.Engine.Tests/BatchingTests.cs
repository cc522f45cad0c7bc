using VideoAutoR1.Core;
using VideoAutoR1.Media;

namespace VideoAutoR1.Engine.Tests;

/// <summary>
/// Continuous batching must not change greedy output: every request's text, token count and confidence are the same
/// alone and batched with others of different prompt and output lengths, joining and leaving at different steps.
/// Runs on the untrained model in think mode, so every request decodes its full token budget of arbitrary tokens.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class BatchingTests(EngineFixture fixture)
{
    private static readonly QuestionSpec ShortQuestion = new("What happens?", [], TaskKind.Open);

    private static readonly QuestionSpec LongQuestion = new(
        "Describe, in order, every object that appears in the video and the colour of each one.", EngineFixture.Colors, TaskKind.MultipleChoice);

    [Fact]
    public async Task Greedy_output_is_identical_alone_and_in_a_simultaneous_batch()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.RandomModelDirectory);
        var requests = Mix();

        var alone = await RunAloneAsync(harness.Engine, requests);
        var together = await Task.WhenAll(requests.Select(r => harness.Engine.AnswerAsync(r, CancellationToken.None)));

        AssertSameOutputs(alone, together);
    }

    [Fact]
    public async Task Greedy_output_is_identical_when_requests_join_a_running_batch_at_different_steps()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.RandomModelDirectory);
        var requests = Mix();

        var alone = await RunAloneAsync(harness.Engine, requests);
        var staggered = new List<Task<AnswerResult>>();
        foreach (var request in requests)
        {
            staggered.Add(harness.Engine.AnswerAsync(request, CancellationToken.None));
            await Task.Delay(40);
        }

        AssertSameOutputs(alone, await Task.WhenAll(staggered));
    }

    [Fact]
    public async Task Greedy_output_is_identical_when_more_requests_than_slots_queue_and_take_freed_slots()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.RandomModelDirectory, new Dictionary<string, string?> { ["MaxBatchSize"] = "2" });
        var requests = Mix().Concat(Mix()).ToArray();

        var alone = await RunAloneAsync(harness.Engine, requests);
        var queued = await Task.WhenAll(requests.Select(r => harness.Engine.AnswerAsync(r, CancellationToken.None)));

        AssertSameOutputs(alone, queued);
    }

    [Fact]
    public async Task Cancelling_one_request_fails_it_alone_and_frees_its_slot()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.RandomModelDirectory);
        var requests = Mix();
        var alone = await RunAloneAsync(harness.Engine, requests);

        using var cancel = new CancellationTokenSource();
        var victim = harness.Engine.AnswerAsync(
            Requests.For(fixture.WideVideoPath, LongQuestion, AnswerMode.Think, maxNewTokens: 1000), cancel.Token);
        var others = requests.Select(r => harness.Engine.AnswerAsync(r, CancellationToken.None)).ToArray();
        await WaitUntilAsync(() => harness.Engine.Status.RunningSequences > 0);
        cancel.Cancel();

        var error = await Assert.ThrowsAsync<VideoQaException>(() => victim);
        Assert.Equal(ErrorKind.Cancelled, error.Kind);
        AssertSameOutputs(alone, await Task.WhenAll(others));
        await WaitUntilAsync(() => harness.Engine.Status.RunningSequences == 0);
    }

    [Fact]
    public async Task An_exception_in_one_sequence_fails_only_that_request()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.RandomModelDirectory);
        var requests = Mix();
        var alone = await RunAloneAsync(harness.Engine, requests);

        // Same numbers, wrong row width: the vision tower refuses it inside the engine's batched prefill.
        var video = fixture.SmallVideo;
        var malformed = video with { PatchDim = video.PatchDim / 2 };
        var broken = harness.Engine.AnswerAsync(Requests.For(fixture.SmallVideoPath, ShortQuestion, AnswerMode.Think), malformed, CancellationToken.None);
        var others = requests.Select(r => harness.Engine.AnswerAsync(r, CancellationToken.None)).ToArray();

        var error = await Assert.ThrowsAsync<VideoQaException>(() => broken);
        Assert.Equal("video_grid_mismatch", error.Code);
        AssertSameOutputs(alone, await Task.WhenAll(others));

        var after = await harness.Engine.AnswerAsync(requests[0], CancellationToken.None);
        AssertSameOutputs([alone[0]], [after]);
    }

    [Fact]
    public async Task A_request_past_its_deadline_fails_with_deadline_exceeded()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.RandomModelDirectory);

        var error = await Assert.ThrowsAsync<VideoQaException>(() => harness.Engine.AnswerAsync(
            Requests.For(fixture.SmallVideoPath, ShortQuestion, AnswerMode.Think, maxNewTokens: 900, timeout: TimeSpan.FromMilliseconds(500)),
            CancellationToken.None));

        Assert.Equal(ErrorKind.DeadlineExceeded, error.Kind);
        await WaitUntilAsync(() => harness.Engine.Status.RunningSequences == 0);
    }

    /// <summary>Different videos (72 vs 32 visual tokens), prompt lengths and output budgets.</summary>
    private AnswerRequest[] Mix() =>
    [
        Requests.For(fixture.SmallVideoPath, ShortQuestion, AnswerMode.Think, maxNewTokens: 12),
        Requests.For(fixture.WideVideoPath, LongQuestion, AnswerMode.Think, maxNewTokens: 30),
        Requests.For(fixture.SmallVideoPath, LongQuestion, AnswerMode.Think, maxNewTokens: 21),
        Requests.For(fixture.WideVideoPath, ShortQuestion, AnswerMode.Think, maxNewTokens: 5),
    ];

    private static async Task<AnswerResult[]> RunAloneAsync(VideoQaEngine engine, IEnumerable<AnswerRequest> requests)
    {
        var results = new List<AnswerResult>();
        foreach (var request in requests)
        {
            results.Add(await engine.AnswerAsync(request, CancellationToken.None));
        }

        return [.. results];
    }

    private static void AssertSameOutputs(IReadOnlyList<AnswerResult> expected, IReadOnlyList<AnswerResult> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Tokens, actual[i].Tokens);
            Assert.Equal(expected[i].Text, actual[i].Text);
            Assert.Equal(expected[i].A1LogConfidence, actual[i].A1LogConfidence);
            Assert.Equal(expected[i].FinishReason, actual[i].FinishReason);
        }
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 60 s");
            await Task.Delay(10);
        }
    }
}
