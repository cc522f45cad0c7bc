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
/// last user message. The message content is <see cref="Content"/> of the result, streamed or not; <c>videoautor1</c>
/// carries a1/a2/confidence/thought. Other roles' messages are ignored: the model runs with its own system prompt.
/// The body is read within <see cref="ServiceOptions.MaxChatBodyBytes"/> (JSON plus the largest data: URL).
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
        AnswerRequestFactory factory,
        AnswerGateway gateway,
        IOptionsMonitor<ServiceOptions> options,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
    {
        var requestId = AnswerRequestFactory.NewRequestId(context);
        var service = options.CurrentValue;
        if (!context.Request.HasJsonContentType())
        {
            throw new VideoQaException(ErrorKind.UnsupportedMedia, "unsupported_content_type", "Send the chat completion request as application/json.");
        }

        var body = await JsonBody.ReadAsync<ChatCompletionRequest>(context, service.MaxChatBodyBytes(factory.MaxUploadBytes), json.Value.SerializerOptions);
        var (videoUrl, text) = LastUserTurn(body);
        var video = VideoOf(videoUrl, factory, factory.MaxUploadBytes);
        var ext = body.Videoautor1 ?? new VideoAutoR1Options();
        var query = new QuestionQuery(
            text, ext.Options, ext.Task, ext.Mode, ext.Threshold, body.MaxCompletionTokens ?? body.MaxTokens,
            body.Temperature, body.TopP, body.Seed, ext.TimeoutSeconds, ext.Sampling);
        var request = await factory.CreateAsync(requestId, video, query, context.RequestAborted);
        var id = $"chatcmpl-{requestId}";
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (!body.Stream)
        {
            var r = await gateway.AnswerAsync("openai", request, context.RequestAborted);
            return TypedResults.Ok(new ChatCompletion(
                id, "chat.completion", created, r.ModelId,
                [new ChatChoice(0, new ChatResponseMessage("assistant", Content(r)), FinishReason(r.FinishReason))],
                ChatUsage.From(r.Tokens), VideoAutoR1Answer.From(r)));
        }

        var events = await gateway.StartStreamAsync("openai", request, context.RequestAborted);
        var model = gateway.Status.ModelId;
        return new EventStreamResult(Chunks(events, id, created, model, json.Value.SerializerOptions), TimeSpan.FromSeconds(service.SseKeepAliveSeconds));
    }

    /// <summary>
    /// The message content: the answer in the output template's form (<c>\boxed{a1}</c>, and when the model thought
    /// <c>&lt;think&gt;rationale&lt;/think&gt;\boxed{a2}</c>), or the raw text when the model wrote no first box.
    /// The stream's deltas add up to exactly this.
    /// </summary>
    internal static string Content(AnswerResult r)
    {
        if (r.A1 is null)
        {
            return r.Text;
        }

        var content = new StringBuilder($"\\boxed{{{r.A1}}}");
        if (r.Thought)
        {
            content.Append("<think>").Append(r.Rationale).Append("</think>");
            if (r.A2 is { } a2)
            {
                content.Append($"\\boxed{{{a2}}}");
            }
        }

        return content.ToString();
    }

    /// <summary>
    /// Streamed content is the template's pieces as the engine decides them (a1's box, rationale deltas, a2's box);
    /// the last chunk carries what <see cref="Content"/> has beyond them and the full result, so the deltas always
    /// add up to the non-streamed content. A failure after the stream started is an OpenAI-style error chunk.
    /// </summary>
    internal static async IAsyncEnumerable<SseItem<string>> Chunks(
        IAsyncEnumerable<AnswerEvent> events, string id, long created, string model, JsonSerializerOptions json)
    {
        SseItem<string> Chunk(ChunkDelta delta, string? finish = null, AnswerResult? result = null) => new(JsonSerializer.Serialize(
            new ChatCompletionChunk(id, "chat.completion.chunk", created, model, [new ChunkChoice(0, delta, finish)],
                result is null ? null : ChatUsage.From(result.Tokens), result is null ? null : VideoAutoR1Answer.From(result)), json));

        yield return Chunk(new ChunkDelta("assistant", string.Empty));
        var streamed = new StringBuilder();
        var opened = false;
        await using var enumerator = events.GetAsyncEnumerator();
        while (await NextAsync(enumerator) is var (next, failure) && (next is not null || failure is not null))
        {
            if (failure is not null)
            {
                var error = new { message = failure.Message, type = failure.Kind.ToString(), code = failure.Code };
                yield return new SseItem<string>(JsonSerializer.Serialize(new { error }, json));
                break;
            }

            if (next is AnswerEvent.Completed done)
            {
                var full = Content(done.Result);
                var rest = full.StartsWith(streamed.ToString(), StringComparison.Ordinal) ? full[streamed.Length..] : string.Empty;
                yield return Chunk(new ChunkDelta(Content: rest.Length > 0 ? rest : null), FinishReason(done.Result.FinishReason), done.Result);
                continue;
            }

            var piece = next switch
            {
                AnswerEvent.A1Decided a1 => $"\\boxed{{{a1.A1}}}",
                AnswerEvent.RationaleDelta delta => (opened ? "" : "<think>") + delta.Text,
                AnswerEvent.A2Decided a2 => (opened ? "" : "<think>") + $"</think>\\boxed{{{a2.A2}}}",
                _ => string.Empty,
            };
            opened |= next is AnswerEvent.RationaleDelta;
            if (piece.Length > 0)
            {
                streamed.Append(piece);
                yield return Chunk(new ChunkDelta(Content: piece));
            }
        }

        yield return new SseItem<string>("[DONE]");
    }

    /// <summary>The next event, or the typed failure that ended the stream; both null at its end.</summary>
    private static async Task<(AnswerEvent? Next, VideoQaException? Failure)> NextAsync(IAsyncEnumerator<AnswerEvent> events)
    {
        try
        {
            return (await events.MoveNextAsync() ? events.Current : null, null);
        }
        catch (VideoQaException error) when (error.Kind != ErrorKind.Cancelled)
        {
            return (null, error);
        }
    }

    private static string FinishReason(Engine.FinishReason reason) => reason == Engine.FinishReason.Length ? "length" : "stop";

    private static (string VideoUrl, string Text) LastUserTurn(ChatCompletionRequest body)
    {
        var user = body.Messages?.LastOrDefault(m => m is { Role: "user" })
            ?? throw VideoQaException.InvalidArgument("user_message_required", "messages", "messages must contain a user message.");
        if (user.Content.ValueKind != JsonValueKind.Array)
        {
            throw VideoQaException.InvalidArgument("video_required", "messages.content", "The user message must be an array of content parts with one video_url part.");
        }

        string? videoUrl = null;
        var text = new StringBuilder();
        foreach (var element in user.Content.EnumerateArray())
        {
            var part = element.Deserialize<ContentPart>(OpenAiJson)
                ?? throw VideoQaException.InvalidArgument("invalid_content_part", "messages.content", "A content part is null.");
            switch (part.Type)
            {
                case "text":
                    text.Append(text.Length > 0 ? "\n" : string.Empty).Append(part.Text);
                    break;
                case "video_url" when part.VideoUrl?.Url is { } url:
                    videoUrl = videoUrl is null ? url : throw VideoQaException.InvalidArgument("too_many_videos", "messages.content", "Exactly one video_url part is supported.");
                    break;
                default:
                    throw VideoQaException.InvalidArgument("unsupported_content_part", "messages.content", $"Content part type '{part.Type}' is not supported (use text and video_url).");
            }
        }

        return (videoUrl ?? throw VideoQaException.InvalidArgument("video_required", "messages.content", "The user message has no video_url part."), text.ToString());
    }

    private static VideoSource VideoOf(string url, AnswerRequestFactory factory, long maxBytes)
    {
        if (!url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            return factory.Url(url);
        }

        var comma = url.IndexOf(',', StringComparison.Ordinal);
        var header = comma > 0 ? url[5..comma] : string.Empty;
        if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
        {
            throw VideoQaException.InvalidArgument("invalid_data_uri", "messages.content.video_url", "Only base64 data: URIs are supported (data:video/mp4;base64,...).");
        }

        var payload = url.AsSpan(comma + 1);
        if ((long)payload.Length / 4 * 3 > maxBytes)
        {
            throw AskInputReader.TooLarge(maxBytes);
        }

        var bytes = new byte[payload.Length / 4 * 3];
        if (!Convert.TryFromBase64Chars(payload, bytes, out var written) || written == 0)
        {
            throw VideoQaException.InvalidArgument("invalid_data_uri", "messages.content.video_url", "The data: URI is not valid base64.");
        }

        return new VideoSource.Bytes(bytes.AsMemory(0, written));
    }

    private static readonly JsonSerializerOptions OpenAiJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
