using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Media;
using VideoAutoR1.Service.Apis;

namespace VideoAutoR1.Service.OpenApi;

/// <summary>Puts a realistic example on each request/response schema, serialized exactly as the API writes it.</summary>
public sealed class ExamplesSchemaFilter(IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json) : ISchemaFilter
{
    private static readonly AnswerResult ExampleResult = new(
        "vqa-3f2b9c0e8d7a4c1b9e6f5a4b3c2d1e0f", "videoauto-r1-mini", "B", Math.Log(0.991), false, null, null, "B", false,
        "\\boxed{B}", FinishReason.EarlyExit, new TokenCounts(412, 288, 4), new AnswerTimings(0.002, 0.41, 0.12, 0.35, 0.93, 0.95));

    private static readonly Dictionary<Type, object> Examples = new()
    {
        [typeof(AskRequest)] = new AskRequest(
            "What is the person in the video doing?", ["Cooking", "Running", "Reading", "Sleeping"], TaskKind.MultipleChoice, AnswerMode.Auto,
            0.97, Video: new VideoReference(Url: "https://example.com/clip.mp4"), Sampling: new VideoSamplingRequest(Fps: 2, MaxFrames: 64)),
        [typeof(AskResponse)] = AskResponse.From(ExampleResult),
        [typeof(ChatCompletionRequest)] = new ChatCompletionRequest(
            "videoauto-r1-mini",
            [new ChatMessage("user", JsonSerializer.SerializeToElement(new object[]
            {
                new { type = "video_url", video_url = new { url = "https://example.com/clip.mp4" } },
                new { type = "text", text = "How many people appear in the video?" },
            }))],
            Videoautor1: new VideoAutoR1Options(Task: TaskKind.Numeric, Threshold: 0.97)),
        [typeof(A1Event)] = new A1Event("B", 0.991, false, false),
    };

    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is OpenApiSchema concrete && Examples.TryGetValue(context.Type, out var example))
        {
            concrete.Examples = [JsonSerializer.SerializeToNode(example, context.Type, json.Value.SerializerOptions)!];
        }
    }
}
