using System.Collections.Concurrent;
using System.Diagnostics;
using VideoAutoR1.Core;
using VideoAutoR1.Media;

namespace VideoAutoR1.Engine.Tests;

/// <summary>
/// The engine's spans, observed with an ActivityListener on source "VideoAutoR1". Each request runs under its own
/// ambient activity standing in for the ASP.NET Core request span, and spans are picked by its trace id so spans of
/// tests running in parallel do not interfere.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class TracingTests(EngineFixture fixture)
{
    private static readonly string[] Phases = ["videoqa.media", "videoqa.queue", "videoqa.prefill", "videoqa.decode"];

    private static readonly HashSet<string> AllowedTags =
    [
        "videoautor1.mode", "gen_ai.request.model", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
        "videoautor1.visual_tokens", "videoautor1.finish_reason", "videoautor1.decision", "videoautor1.a1.confidence",
        "videoautor1.batch.size", "error.type",
    ];

    [Fact]
    public async Task Confident_and_thinking_requests_each_record_an_answer_span_with_nested_phase_spans()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.TrainedModelDirectory);
        using var recorder = new SpanRecorder();

        var (exitedTrace, exited) = await AnswerUnderRequestSpan(harness, Requests.For(fixture.SmallVideoPath, EngineFixture.Confident));
        var (thoughtTrace, thought) = await AnswerUnderRequestSpan(harness, Requests.For(fixture.SmallVideoPath, EngineFixture.Fallback));

        Assert.Equal(FinishReason.EarlyExit, exited.FinishReason);
        Assert.True(thought.Thought);
        var exitedAnswer = AssertRequestSpans(recorder.InTrace(exitedTrace.TraceId), exitedTrace, exited, "early_exit");
        var thoughtAnswer = AssertRequestSpans(recorder.InTrace(thoughtTrace.TraceId), thoughtTrace, thought, "thinking");

        Assert.Equal(exited.A1Confidence!.Value, (double)exitedAnswer.GetTagItem("videoautor1.a1.confidence")!, precision: 12);
        Assert.Equal("early_exit", exitedAnswer.GetTagItem("videoautor1.finish_reason"));
        // The fallback first answer carries no confidence, so no tag either.
        Assert.Null(thoughtAnswer.GetTagItem("videoautor1.a1.confidence"));
        Assert.Equal("stop", thoughtAnswer.GetTagItem("videoautor1.finish_reason"));

        // Never the question or its options in a tag.
        var texts = new[] { EngineFixture.Confident.Question, EngineFixture.Fallback.Question }.Concat(EngineFixture.Colors);
        foreach (var span in recorder.InTrace(exitedTrace.TraceId).Concat(recorder.InTrace(thoughtTrace.TraceId)))
        {
            Assert.Subset(AllowedTags, span.TagObjects.Select(t => t.Key).ToHashSet());
            Assert.DoesNotContain(span.TagObjects, t => t.Value is string s && texts.Any(text => s.Contains(text, StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task Refused_request_ends_its_answer_span_with_an_error_status_and_code()
    {
        // A prompt longer than a cache slot is the engine's own refusal (field rules are the resolver's, before the engine).
        await using var harness = await EngineHarness.StartAsync(
            fixture.RandomModelDirectory, new Dictionary<string, string?> { ["MaxTokensPerSequence"] = "64" });
        using var recorder = new SpanRecorder();

        using var requestSpan = new Activity("http-request").Start();
        var error = await Assert.ThrowsAsync<VideoQaException>(() => harness.Engine.AnswerAsync(
            Requests.For(fixture.WideVideoPath, EngineFixture.Confident), CancellationToken.None));
        requestSpan.Stop();

        Assert.Equal("prompt_too_long", error.Code);
        var answer = Assert.Single(recorder.InTrace(requestSpan.TraceId), s => s.OperationName == "videoqa.answer");
        Assert.Equal(requestSpan.SpanId, answer.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Error, answer.Status);
        Assert.Equal("prompt_too_long", answer.StatusDescription);
        Assert.Equal("prompt_too_long", answer.GetTagItem("error.type"));
    }

    [Fact]
    public async Task Undecodable_video_fails_the_media_span_and_the_answer_span()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.TrainedModelDirectory);
        using var recorder = new SpanRecorder();
        var request = Requests.For(fixture.SmallVideoPath, EngineFixture.Confident)
            .WithVideo(new VideoSource.Bytes("not a video at all"u8.ToArray(), "broken.mp4"));

        using var requestSpan = new Activity("http-request").Start();
        var error = await Assert.ThrowsAsync<VideoQaException>(() => harness.Engine.AnswerAsync(request, CancellationToken.None));
        requestSpan.Stop();

        Assert.Equal(ErrorKind.UnsupportedMedia, error.Kind);
        var spans = recorder.InTrace(requestSpan.TraceId);
        Assert.Equal(["videoqa.media", "videoqa.answer"], spans.Select(s => s.OperationName));
        Assert.All(spans, span =>
        {
            Assert.Equal(ActivityStatusCode.Error, span.Status);
            Assert.Equal(error.Code, span.StatusDescription);
        });
        Assert.Equal(spans[1].SpanId, spans[0].ParentSpanId);
    }

    [Fact]
    public async Task Request_cancelled_while_decoding_ends_its_answer_span_with_the_cancelled_code()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.RandomModelDirectory);
        using var recorder = new SpanRecorder();
        using var cancel = new CancellationTokenSource();

        using var requestSpan = new Activity("http-request").Start();
        var running = harness.Engine.AnswerAsync(
            Requests.For(fixture.SmallVideoPath, EngineFixture.Confident, AnswerMode.Think, maxNewTokens: 900), cancel.Token);
        await BatchingTests.WaitUntilAsync(() => harness.Engine.Status.RunningSequences == 1);
        cancel.Cancel();
        var error = await Assert.ThrowsAsync<VideoQaException>(() => running);
        requestSpan.Stop();

        Assert.Equal("cancelled", error.Code);
        var answer = Assert.Single(recorder.InTrace(requestSpan.TraceId), s => s.OperationName == "videoqa.answer");
        Assert.Equal(ActivityStatusCode.Error, answer.Status);
        Assert.Equal("cancelled", answer.StatusDescription);
        Assert.Null(answer.GetTagItem("videoautor1.decision"));

        // The engine thread records the decode span when it frees the slot, which may be after the caller saw the error.
        await BatchingTests.WaitUntilAsync(() => recorder.InTrace(requestSpan.TraceId).Count == 5);
        var spans = recorder.InTrace(requestSpan.TraceId);
        Assert.Equal(Phases.Order(), spans.Where(s => s != answer).Select(s => s.OperationName).Order());
        Assert.All(spans.Where(s => s != answer), s => Assert.Equal(answer.SpanId, s.ParentSpanId));
        var decode = Assert.Single(spans, s => s.OperationName == "videoqa.decode");
        Assert.Null(decode.GetTagItem("videoautor1.finish_reason"));
    }

    private static async Task<(ActivityContext Trace, AnswerResult Result)> AnswerUnderRequestSpan(EngineHarness harness, AnswerRequest request)
    {
        using var requestSpan = new Activity("http-request").Start();
        var result = await harness.Engine.AnswerAsync(request, CancellationToken.None);
        return (requestSpan.Context, result);
    }

    /// <summary>Checks one request's spans (in stop order) and returns its answer span.</summary>
    private static Activity AssertRequestSpans(IReadOnlyList<Activity> spans, ActivityContext requestSpan, AnswerResult result, string decision)
    {
        // Stop order is the phase order: media, queue, prefill and decode each end before the next, the answer last.
        Assert.Equal([.. Phases, "videoqa.answer"], spans.Select(s => s.OperationName));
        var answer = spans[^1];
        Assert.Equal(requestSpan.SpanId, answer.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Unset, answer.Status);
        Assert.Equal(decision, answer.GetTagItem("videoautor1.decision"));
        Assert.Equal("test-model", answer.GetTagItem("gen_ai.request.model"));
        Assert.Equal("auto", answer.GetTagItem("videoautor1.mode"));
        Assert.Equal(result.Tokens.Prompt, answer.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(result.Tokens.Generated, answer.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(result.Tokens.Visual, answer.GetTagItem("videoautor1.visual_tokens"));

        var phases = spans.Take(Phases.Length).ToList();
        Assert.All(phases, phase =>
        {
            Assert.Equal(answer.SpanId, phase.ParentSpanId);
            Assert.Equal(answer.TraceId, phase.TraceId);
            Assert.True(phase.StartTimeUtc >= answer.StartTimeUtc, $"{phase.OperationName} starts before its parent");
            Assert.True(End(phase) <= End(answer), $"{phase.OperationName} ends after its parent");
        });
        for (var i = 1; i < phases.Count; i++)
        {
            Assert.True(phases[i].StartTimeUtc >= End(phases[i - 1]), $"{phases[i].OperationName} starts before {phases[i - 1].OperationName} ends");
        }

        var prefill = phases[2];
        var decode = phases[3];
        Assert.Equal(result.Tokens.Prompt, prefill.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(result.Tokens.Visual, prefill.GetTagItem("videoautor1.visual_tokens"));
        Assert.Equal(End(prefill), decode.StartTimeUtc);
        Assert.Equal(result.Tokens.Generated, decode.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(answer.GetTagItem("videoautor1.finish_reason"), decode.GetTagItem("videoautor1.finish_reason"));
        return answer;
    }

    private static DateTime End(Activity activity) => activity.StartTimeUtc + activity.Duration;

    /// <summary>Records every stopped span of source "VideoAutoR1", in stop order.</summary>
    private sealed class SpanRecorder : IDisposable
    {
        private readonly ConcurrentQueue<Activity> _stopped = new();
        private readonly ActivityListener _listener;

        public SpanRecorder()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == EngineTracing.SourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = _stopped.Enqueue,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public IReadOnlyList<Activity> InTrace(ActivityTraceId traceId) => _stopped.Where(a => a.TraceId == traceId).ToList();

        public void Dispose() => _listener.Dispose();
    }
}
