using System.Net.ServerSentEvents;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using VideoAutoR1.Core;
using VideoAutoR1.Core.Grammar;
using VideoAutoR1.Engine;
using VideoAutoR1.Service.Errors;
using VideoAutoR1.Service.OpenApi;
using VideoAutoR1.Service.Options;
using VideoAutoR1.Service.Requests;

namespace VideoAutoR1.Service.Apis;

/// <summary>REST: ask about a video (JSON or multipart), unary or as server-sent events; list models.</summary>
public static class AnswersApi
{
    public static RouteGroupBuilder MapAnswersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").WithTags("Answers");

        api.MapPost("/answers", AnswerAsync)
            .WithName("Answer")
            .WithSummary("Answer a question about a video.")
            .WithDescription("JSON body with video.url or video.path, or multipart/form-data with a 'request' JSON part and a 'video' file part.")
            .WithMetadata(new AskBodyMetadata(typeof(AskRequest), typeof(AskUploadForm)))
            .ProducesVideoQaProblems();

        api.MapPost("/answers/stream", StreamAsync)
            .WithName("AnswerStream")
            .WithSummary("Answer as server-sent events: a1, rationale*, a2, done (or error).")
            .WithDescription("Events: 'a1' {a1, confidence, is_fallback, will_think} as soon as the first box closes, 'rationale' {text} deltas, 'a2' {a2}, 'done' (the full answer); ': keep-alive' comments while waiting. Failures found before the stream starts (validation, overload, shutdown) are Problem Details with a status code; later ones (media, inference, the shutdown drain) are an 'error' event carrying Problem Details.")
            .WithMetadata(new AskBodyMetadata(typeof(AskRequest), typeof(AskUploadForm)))
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesVideoQaProblems();

        api.MapGet("/models", ListModels)
            .WithName("ListModels")
            .WithSummary("The model this server answers with (OpenAI-compatible list).");

        return api;
    }

    /// <summary>The multipart form, for the OpenAPI document only: "request" is an <see cref="AskRequest"/> as JSON.</summary>
    public sealed record AskUploadForm(IFormFile Video, string Request);

    public static async Task<Ok<AskResponse>> AnswerAsync(HttpContext context, AskInputReader reader, AnswerRequestFactory factory, AnswerGateway gateway)
    {
        var request = await BuildAsync(context, reader, factory);
        var result = await gateway.AnswerAsync("rest", request, context.RequestAborted);
        return TypedResults.Ok(AskResponse.From(result));
    }

    public static async Task<EventStreamResult> StreamAsync(
        HttpContext context, AskInputReader reader, AnswerRequestFactory factory, AnswerGateway gateway,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, IOptionsMonitor<ServiceOptions> options)
    {
        var request = await BuildAsync(context, reader, factory);
        var events = await gateway.StartStreamAsync("sse", request, context.RequestAborted);
        return new EventStreamResult(ToSse(events, json.Value.SerializerOptions), TimeSpan.FromSeconds(options.CurrentValue.SseKeepAliveSeconds));
    }

    public static Ok<ModelList> ListModels(AnswerGateway gateway)
    {
        var status = gateway.Status;
        return TypedResults.Ok(new ModelList("list", [new ModelCard(status.ModelId, "model", "videoautor1", status.Ready, status.Architecture)]));
    }

    private static async Task<AnswerRequest> BuildAsync(HttpContext context, AskInputReader reader, AnswerRequestFactory factory)
    {
        var requestId = AnswerRequestFactory.NewRequestId(context);
        var (video, ask) = await reader.ReadAsync(context);
        return await factory.CreateAsync(requestId, video, ask.ToQuery(), context.RequestAborted);
    }

    /// <summary>Engine events as SSE items; a failure after the first event becomes a final "error" event.</summary>
    internal static async IAsyncEnumerable<SseItem<string>> ToSse(IAsyncEnumerable<AnswerEvent> events, JsonSerializerOptions json)
    {
        await using var enumerator = events.GetAsyncEnumerator();
        while (true)
        {
            SseItem<string> item;
            try
            {
                if (!await enumerator.MoveNextAsync())
                {
                    yield break;
                }

                item = ToSse(enumerator.Current, json);
            }
            catch (VideoQaException error) when (error.Kind != ErrorKind.Cancelled)
            {
                item = new SseItem<string>(JsonSerializer.Serialize(ProblemFactory.From(error), json), "error");
            }

            yield return item;
            if (item.EventType is "error" or "done")
            {
                yield break;
            }
        }
    }

    private static SseItem<string> ToSse(AnswerEvent e, JsonSerializerOptions json) => e switch
    {
        AnswerEvent.A1Decided a1 => new(JsonSerializer.Serialize(new A1Event(a1.A1, A1Confidence.Value(a1.LogConfidence), a1.IsFallback, a1.WillThink), json), "a1"),
        AnswerEvent.RationaleDelta delta => new(JsonSerializer.Serialize(new RationaleEvent(delta.Text), json), "rationale"),
        AnswerEvent.A2Decided a2 => new(JsonSerializer.Serialize(new A2Event(a2.A2), json), "a2"),
        AnswerEvent.Completed done => new(JsonSerializer.Serialize(AskResponse.From(done.Result), json), "done"),
        _ => throw new InvalidOperationException($"Unknown engine event {e.GetType().Name}."),
    };

    /// <summary>Documents the Problem Details statuses every answer endpoint can return.</summary>
    public static RouteHandlerBuilder ProducesVideoQaProblems(this RouteHandlerBuilder builder) => builder
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
        .ProducesProblem(StatusCodes.Status429TooManyRequests)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
        .ProducesProblem(StatusCodes.Status504GatewayTimeout);
}
