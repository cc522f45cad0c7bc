using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using VideoAutoR1.Engine;

namespace VideoAutoR1.Service.Tests;

/// <summary>REST and SSE against the real engine on loopback Kestrel.</summary>
[Collection(DefaultServerCollection.Name)]
public sealed class RestApiTests(VideoQaServer server)
{
    private const string QuestionJson = """
        "question": "What pattern is shown?", "options": ["Colour bars", "A face", "Text", "Nothing"], "mode": "think", "max_new_tokens": 6
        """;

    public static MultipartFormDataContent Upload(string requestJson, byte[]? video = null)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent(requestJson, Encoding.UTF8, "application/json"), "request" },
        };
        var file = new ByteArrayContent(video ?? File.ReadAllBytes(RepoPaths.SampleVideo));
        file.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
        form.Add(file, "video", "testsrc-4s.mp4");
        return form;
    }

    [Fact]
    public async Task Multipart_upload_is_answered_with_the_full_result()
    {
        using var http = server.Http();
        using var response = await http.PostAsync("/v1/answers", Upload($"{{{QuestionJson}}}"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);

        var answer = JsonDocument.Parse(body).RootElement;
        Assert.StartsWith("vqa-", answer.GetProperty("request_id").GetString());
        Assert.Equal(response.Headers.GetValues("x-request-id").Single(), answer.GetProperty("request_id").GetString());
        Assert.False(string.IsNullOrEmpty(answer.GetProperty("model_id").GetString()));
        var tokens = answer.GetProperty("tokens");
        Assert.True(tokens.GetProperty("visual").GetInt32() > 0);
        Assert.True(tokens.GetProperty("prompt").GetInt32() > tokens.GetProperty("visual").GetInt32());
        Assert.InRange(tokens.GetProperty("generated").GetInt32(), 1, 6);
        Assert.True(answer.GetProperty("timings").GetProperty("total").GetDouble() > 0);
        Assert.Contains(answer.GetProperty("finish_reason").GetString(), new[] { "early_exit", "stop", "length" });
        foreach (var member in new[] { "a1", "confidence", "thought", "rationale", "a2", "final_answer", "a1_is_fallback", "text" })
        {
            Assert.True(answer.TryGetProperty(member, out _), member);
        }
    }

    [Fact]
    public async Task Server_path_is_answered()
    {
        using var http = server.Http();
        using var response = await http.PostAsync("/v1/answers", Json($$"""{ {{QuestionJson}}, "video": { "path": "testsrc-4s.mp4" } }"""));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Sse_streams_events_in_order_and_ends_with_done()
    {
        using var http = server.Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/answers/stream") { Content = Upload($"{{{QuestionJson}}}") };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        var events = new List<(string Event, JsonElement Data)>();
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            events.Add((item.EventType, JsonDocument.Parse(item.Data).RootElement.Clone()));
        }

        var order = events.Select(e => e.Event).ToList();
        Assert.Equal("done", order[^1]);
        Assert.Equal(1, order.Count(e => e == "done"));
        Assert.True(order.IndexOf("a1") is -1 or 0, string.Join(",", order));
        Assert.True(order.LastIndexOf("rationale") < Math.Max(order.IndexOf("a2"), order.Count - 1));
        var done = events[^1].Data;
        Assert.Equal(events.Any(e => e.Event == "a1"), done.GetProperty("a1").ValueKind == JsonValueKind.String);
        Assert.StartsWith("vqa-", done.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task Models_lists_the_loaded_model()
    {
        using var http = server.Http();
        var models = await http.GetFromJsonAsync<JsonElement>("/v1/models");
        var model = Assert.Single(models.GetProperty("data").EnumerateArray());
        Assert.True(model.GetProperty("ready").GetBoolean());
        Assert.False(string.IsNullOrEmpty(model.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task OpenApi_document_describes_the_endpoints_with_examples()
    {
        using var http = server.Http();
        var document = await http.GetStringAsync("/swagger/v1/swagger.json");
        var root = JsonDocument.Parse(document).RootElement;
        var paths = root.GetProperty("paths");
        foreach (var path in new[] { "/v1/answers", "/v1/answers/stream", "/v1/models", "/v1/chat/completions" })
        {
            Assert.True(paths.TryGetProperty(path, out _), path);
        }

        var schemas = root.GetProperty("components").GetProperty("schemas");
        var example = schemas.GetProperty("AskRequest").GetProperty("examples")[0];
        Assert.Equal("multiple_choice", example.GetProperty("task").GetString());
        Assert.True(schemas.GetProperty("AskResponse").TryGetProperty("examples", out _));

        // Every row of the request-ranges table is in the schema of the field it governs, with its range and code.
        foreach (var row in RequestResolver.Ranges)
        {
            var (schema, name) = row.Field.StartsWith("sampling.", StringComparison.Ordinal)
                ? ("VideoSamplingRequest", row.Field["sampling.".Length..])
                : ("AskRequest", row.Field);
            var description = schemas.GetProperty(schema).GetProperty("properties").GetProperty(name).GetProperty("description").GetString();
            Assert.Contains($"Range {row.Interval}", description, StringComparison.Ordinal);
            Assert.Contains(row.Code, description, StringComparison.Ordinal);
        }

        var threshold = schemas.GetProperty("AskRequest").GetProperty("properties").GetProperty("threshold");
        Assert.Equal(1, threshold.GetProperty("maximum").GetDouble());
        using var ui = await http.GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
