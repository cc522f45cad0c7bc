using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Media;
using VideoAutoR1.Service.Options;
using VideoAutoR1.Service.Requests;

namespace VideoAutoR1.Service.Apis;

/// <summary>
/// OpenAI-compatible <c>POST /v1/chat/completions</c>: a video_url part (http(s) URL or data: URI) plus text in the
/// last user message. The message content is the model's output for the kept part; <c>videoautor1</c> carries
/// a1/a2/confidence/thought. Other roles' messages are ignored: the model runs with its own system prompt.
/// </summary>
public static class OpenAiChatApi
{
    public static RouteHandlerBuilder MapOpenAiChatApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/v1/chat/completions", CompleteAsync)
            .WithTags("OpenAI-compatible")
            .WithName("ChatCompletions")
            .WithSummary("OpenAI-style chat completion over a video (video_url part + text); stream: true gives chat.completion.chunk events and [DONE].")
            .Accepts<ChatCompletionRequest>("application/json")
            .Produces<ChatCompletion>()
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesVideoQaProblems();

    public static async Task<IResult> CompleteAsync(
        HttpContext context,
        ChatCompletionRequest body,
        AnswerRequestFactory factory,
        AnswerGateway gateway,
        IOptionsMonitor<ServiceOptions> options,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
    {
        var requestId = AnswerRequestFactory.NewRequestId(context);
        var (videoUrl, text) = LastUserTurn(body);
        var video = await VideoOf(videoUrl, factory, options.CurrentValue.MaxUploadBytes, context.RequestAborted);
        var ext = body.Videoautor1 ?? new VideoAutoR1Options();
        var query = new QuestionQuery(
            text, ext.Options, ext.Task, ext.Mode, ext.Threshold, body.MaxCompletionTokens ?? body.MaxTokens,
            body.Temperature, body.TopP, body.Seed, ext.TimeoutSeconds, ext.Sampling);
        var request = factory.Create(requestId, video, query);
        var id = $"chatcmpl-{requestId}";
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (!body.Stream)
        {
            var r = await gateway.AnswerAsync("openai", request, context.RequestAborted);
            return TypedResults.Ok(new ChatCompletion(
                id, "chat.completion", created, r.ModelId,
                [new ChatChoice(0, new ChatResponseMessage("assistant", r.Text), FinishReason(r.FinishReason))],
                ChatUsage.From(r.Tokens), VideoAutoR1Answer.From(r)));
        }

        var events = await gateway.StartStreamAsync("openai", request, context.RequestAborted);
        var model = gateway.Status.ModelId;
        return TypedResults.ServerSentEvents(Chunks(events, id, created, model, json.Value.SerializerOptions));
    }

    /// <summary>
    /// Streamed content is rebuilt from the engine's events in the output template's form
    /// (<c>\boxed{a1}&lt;think&gt;…&lt;/think&gt;\boxed{a2}</c>); the last chunk carries the full result.
    /// </summary>
    internal static async IAsyncEnumerable<SseItem<string>> Chunks(
        IAsyncEnumerable<AnswerEvent> events, string id, long created, string model, JsonSerializerOptions json)
    {
        SseItem<string> Chunk(ChunkDelta delta, string? finish = null, AnswerResult? result = null) => new(JsonSerializer.Serialize(
            new ChatCompletionChunk(id, "chat.completion.chunk", created, model, [new ChunkChoice(0, delta, finish)],
                result is null ? null : ChatUsage.From(result.Tokens), result is null ? null : VideoAutoR1Answer.From(result)), json));

        yield return Chunk(new ChunkDelta("assistant", string.Empty));
        var inRationale = false;
        await foreach (var e in events)
        {
            switch (e)
            {
                case AnswerEvent.A1Decided a1:
                    yield return Chunk(new ChunkDelta(Content: $"\\boxed{{{a1.A1}}}"));
                    break;
                case AnswerEvent.RationaleDelta delta:
                    yield return Chunk(new ChunkDelta(Content: inRationale ? delta.Text : "<think>" + delta.Text));
                    inRationale = true;
                    break;
                case AnswerEvent.A2Decided a2:
                    yield return Chunk(new ChunkDelta(Content: (inRationale ? "</think>" : "<think></think>") + $"\\boxed{{{a2.A2}}}"));
                    inRationale = false;
                    break;
                case AnswerEvent.Completed done:
                    yield return Chunk(new ChunkDelta(Content: inRationale ? "</think>" : null), FinishReason(done.Result.FinishReason), done.Result);
                    break;
            }
        }

        yield return new SseItem<string>("[DONE]");
    }

    private static string FinishReason(Engine.FinishReason reason) => reason == Engine.FinishReason.Length ? "length" : "stop";

    private static (string VideoUrl, string Text) LastUserTurn(ChatCompletionRequest body)
    {
        var user = body.Messages?.LastOrDefault(m => m.Role == "user")
            ?? throw Invalid("user_message_required", "messages must contain a user message.", "messages");
        if (user.Content.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("video_required", "The user message must be an array of content parts with one video_url part.", "messages.content");
        }

        string? videoUrl = null;
        var text = new StringBuilder();
        foreach (var element in user.Content.EnumerateArray())
        {
            var part = element.Deserialize<ContentPart>(OpenAiJson)
                ?? throw Invalid("invalid_content_part", "A content part is null.", "messages.content");
            switch (part.Type)
            {
                case "text":
                    text.Append(text.Length > 0 ? "\n" : string.Empty).Append(part.Text);
                    break;
                case "video_url" when part.VideoUrl?.Url is { } url:
                    videoUrl = videoUrl is null ? url : throw Invalid("too_many_videos", "Exactly one video_url part is supported.", "messages.content");
                    break;
                default:
                    throw Invalid("unsupported_content_part", $"Content part type '{part.Type}' is not supported (use text and video_url).", "messages.content");
            }
        }

        return (videoUrl ?? throw Invalid("video_required", "The user message has no video_url part.", "messages.content"), text.ToString());
    }

    private static async Task<VideoSource> VideoOf(string url, AnswerRequestFactory factory, long maxBytes, CancellationToken cancellationToken)
    {
        if (!url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            return await factory.UrlAsync(url, cancellationToken);
        }

        var comma = url.IndexOf(',', StringComparison.Ordinal);
        var header = comma > 0 ? url[5..comma] : string.Empty;
        if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid("invalid_data_uri", "Only base64 data: URIs are supported (data:video/mp4;base64,...).", "messages.content.video_url");
        }

        var payload = url.AsSpan(comma + 1);
        if ((long)payload.Length / 4 * 3 > maxBytes)
        {
            throw AskInputReader.TooLarge(maxBytes);
        }

        var bytes = new byte[payload.Length / 4 * 3];
        if (!Convert.TryFromBase64Chars(payload, bytes, out var written) || written == 0)
        {
            throw Invalid("invalid_data_uri", "The data: URI is not valid base64.", "messages.content.video_url");
        }

        return new VideoSource.Bytes(bytes.AsMemory(0, written));
    }

    private static readonly JsonSerializerOptions OpenAiJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static VideoQaException Invalid(string code, string message, string field) =>
        new(ErrorKind.InvalidArgument, code, message) { Field = field };
}
