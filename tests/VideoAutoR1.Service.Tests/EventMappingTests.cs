using System.Text.Json;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Service.Apis;
using VideoAutoR1.Service.Grpc;

namespace VideoAutoR1.Service.Tests;

/// <summary>
/// The three stream encodings (SSE, OpenAI chunks, gRPC messages) of the engine's event contract, fed a full
/// think-once-answer-twice sequence. The untrained test model never closes a box, so the integration tests only see
/// Completed; these pin the a1 → rationale → a2 → done mapping.
/// </summary>
public sealed class EventMappingTests
{
    private static readonly JsonSerializerOptions Json = CreateJson();

    private static readonly AnswerResult Result = new(
        "vqa-1", "tiny", "B", Math.Log(0.5), true, "look again", "C", "C", false, "\\boxed{B}<think>look again</think>\\boxed{C}",
        FinishReason.Stop, new TokenCounts(100, 80, 12), new AnswerTimings(0, 0.1, 0.1, 0.1, 0.2, 0.5));

    private static readonly AnswerEvent[] ThinkingRun =
    [
        new AnswerEvent.A1Decided("B", Math.Log(0.5), false, true),
        new AnswerEvent.RationaleDelta("look "),
        new AnswerEvent.RationaleDelta("again"),
        new AnswerEvent.A2Decided("C"),
        new AnswerEvent.Completed(Result),
    ];

    [Fact]
    public async Task Sse_emits_a1_rationale_a2_done_in_order()
    {
        var items = await Collect(AnswersApi.ToSse(Events(ThinkingRun), Json));

        Assert.Equal(["a1", "rationale", "rationale", "a2", "done"], items.Select(i => i.EventType));
        var a1 = JsonDocument.Parse(items[0].Data).RootElement;
        Assert.Equal("B", a1.GetProperty("a1").GetString());
        Assert.Equal(0.5, a1.GetProperty("confidence").GetDouble(), 12);
        Assert.True(a1.GetProperty("will_think").GetBoolean());
        Assert.Equal("look again", string.Concat(items.Where(i => i.EventType == "rationale").Select(i => JsonDocument.Parse(i.Data).RootElement.GetProperty("text").GetString())));
        Assert.Equal("C", JsonDocument.Parse(items[3].Data).RootElement.GetProperty("a2").GetString());
        Assert.Equal("C", JsonDocument.Parse(items[4].Data).RootElement.GetProperty("final_answer").GetString());
    }

    [Fact]
    public async Task Sse_turns_a_failure_after_a1_into_a_final_error_event()
    {
        var failure = new VideoQaException(ErrorKind.DeadlineExceeded, "deadline_exceeded", "too slow");
        var items = await Collect(AnswersApi.ToSse(Events(ThinkingRun[..2], failure), Json));

        Assert.Equal(["a1", "rationale", "error"], items.Select(i => i.EventType));
        var problem = JsonDocument.Parse(items[2].Data).RootElement;
        Assert.Equal(504, problem.GetProperty("status").GetInt32());
        Assert.Equal("deadline_exceeded", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Openai_chunks_rebuild_the_template_and_end_with_done()
    {
        var items = await Collect(OpenAiChatApi.Chunks(Events(ThinkingRun), "chatcmpl-1", 0, "tiny", Json));

        Assert.Equal("[DONE]", items[^1].Data);
        var chunks = items[..^1].Select(i => JsonDocument.Parse(i.Data).RootElement).ToList();
        var content = string.Concat(chunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var text) ? text.GetString() : null));
        Assert.Equal(Result.Text, content);
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("stop", chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal("C", chunks[^1].GetProperty("videoautor1").GetProperty("a2").GetString());
        Assert.All(chunks[..^1], c => Assert.False(c.TryGetProperty("usage", out _)));
    }

    [Fact]
    public void Grpc_messages_keep_the_event_kinds_and_values()
    {
        var messages = ThinkingRun.Select(GrpcMapping.ToProto).ToList();

        Assert.Equal(
            [Grpc.V1.AnswerStreamResponse.EventOneofCase.A1Decided, Grpc.V1.AnswerStreamResponse.EventOneofCase.RationaleDelta,
             Grpc.V1.AnswerStreamResponse.EventOneofCase.RationaleDelta, Grpc.V1.AnswerStreamResponse.EventOneofCase.A2Decided,
             Grpc.V1.AnswerStreamResponse.EventOneofCase.Completed],
            messages.Select(m => m.EventCase));
        Assert.Equal(0.5, messages[0].A1Decided.Confidence, 12);
        Assert.True(messages[0].A1Decided.WillThink);
        var answer = messages[4].Completed;
        Assert.Equal(("B", "C", "C", true), (answer.A1, answer.A2, answer.FinalAnswer, answer.Thought));
        Assert.Equal(Grpc.V1.FinishReason.Stop, answer.FinishReason);
        Assert.Equal(0.2, answer.Timings.TimeToA1, 12);
    }

    private static JsonSerializerOptions CreateJson()
    {
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ServiceComposition.ConfigureJson(json);
        return json;
    }

    private static async IAsyncEnumerable<AnswerEvent> Events(AnswerEvent[] events, Exception? thenThrow = null)
    {
        foreach (var e in events)
        {
            await Task.Yield();
            yield return e;
        }

        if (thenThrow is not null)
        {
            throw thenThrow;
        }
    }

    private static async Task<List<T>> Collect<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source)
        {
            list.Add(item);
        }

        return list;
    }
}
