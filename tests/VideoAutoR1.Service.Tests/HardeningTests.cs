using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace VideoAutoR1.Service.Tests;

/// <summary>
/// What a hostile or careless client found: every malformed body is a 400 with a code (never a 500), JSON has its
/// own size limit checked while reading, fields are validated before any DNS lookup, a slow body is a 408, error
/// bodies name no server internals, SSE streams start at once and keep the connection alive, and the OpenAI
/// stream adds up to the non-streamed content.
/// </summary>
[Collection(DefaultServerCollection.Name)]
public sealed class HardeningTests(VideoQaServer server)
{
    private const string Boundary = "XYZ";

    [Fact]
    public async Task A_json_body_over_its_own_limit_is_413_from_the_content_length()
    {
        using var http = server.Http();
        var padding = new string(' ', 200 * 1024);
        using var response = await http.PostAsync("/v1/answers", RestApiTests.Json($"{{\"question\": \"x\",{padding} \"video\": {{\"path\": \"testsrc-4s.mp4\"}}}}"));
        await Problem.AssertAsync(response, HttpStatusCode.RequestEntityTooLarge, "json_too_large");
    }

    [Fact]
    public async Task A_chunked_json_body_is_cut_off_as_soon_as_it_crosses_the_limit()
    {
        // JSON whitespace sent chunked (no Content-Length), one 64 KiB chunk past the 64 KiB limit, and the body left
        // open: valid as far as it goes, so only the limit can stop it, and the 413 must come before the body ends.
        var reply = await FaultTests.PostOpenChunkedBodyAsync(server.HttpPort, "application/json", "{", (64 + 64) * 1024, ' ');
        Assert.StartsWith("HTTP/1.1 413 ", reply, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"json_too_large\"", reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fields_are_validated_before_the_video_url_is_resolved()
    {
        using var http = server.Http();
        // .invalid never resolves (RFC 6761): had the lookup run first, the answer would be url_unresolvable.
        using var response = await http.PostAsync("/v1/answers", RestApiTests.Json("{\"question\": \"\", \"video\": {\"url\": \"https://video.invalid/a.mp4\"}}"));
        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "question_required");
    }

    public static TheoryData<string> MalformedMultipart => new()
    {
        "garbage",
        $"--{Boundary}\r\nContent-Disposition: form-data; name=\"request\"\r\n\r\n{{\"question\": \"x\"}}",
        $"--{Boundary}\r\nContent-Disposition: form-data; name=\"request\"\r\nX-Padding: {new string('a', 20 * 1024)}\r\n\r\n{{}}\r\n--{Boundary}--\r\n",
    };

    /// <summary>Garbage under a multipart content type, a body cut off inside its first part, a 20 KB part header.</summary>
    [Theory]
    [MemberData(nameof(MalformedMultipart))]
    public async Task Malformed_or_truncated_multipart_is_400(string body)
    {
        using var http = server.Http();
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={Boundary}");
        await Problem.AssertAsync(await http.PostAsync("/v1/answers", content), HttpStatusCode.BadRequest, "multipart_invalid");
    }

    [Fact]
    public async Task A_second_video_part_is_refused()
    {
        using var http = server.Http();
        var form = RestApiTests.Upload("{\"question\": \"x\"}");
        form.Add(new ByteArrayContent(await File.ReadAllBytesAsync(RepoPaths.SampleVideo)), "video", "second.mp4");
        var problem = await Problem.AssertAsync(await http.PostAsync("/v1/answers", form), HttpStatusCode.BadRequest, "form_part_duplicate");
        Assert.Equal("video", problem.GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("{\"model\":\"m\",\"messages\":[null]}", "user_message_required")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[null]}]}", "invalid_content_part")]
    [InlineData("{\"model\":\"m\",\"messages\":", "invalid_json")]
    public async Task Malformed_chat_completions_are_400(string json, string code)
    {
        using var http = server.Http();
        await Problem.AssertAsync(await http.PostAsync("/v1/chat/completions", RestApiTests.Json(json)), HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task Error_bodies_name_no_server_paths_or_ffmpeg_output()
    {
        using var http = server.Http();
        using var response = await http.PostAsync("/v1/answers", RestApiTests.Upload("{\"question\": \"x\"}", Encoding.ASCII.GetBytes(new string('x', 5000))));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is >= 400 and < 500, body);
        foreach (var leak in new[] { "/tmp", "videoautor1-media", ".video", "ffmpeg", "ffprobe", "Invalid data" })
        {
            Assert.DoesNotContain(leak, body, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_slow_body_is_408()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, server.HttpPort);
        var stream = client.GetStream();
        await stream.WriteAsync("POST /v1/answers HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"u8.ToArray());
        var reply = new StringBuilder();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var reading = stream.ReadAsync(buffer, timeout.Token).AsTask();
        while (!reading.IsCompleted)
        {
            // One byte every 200 ms against a 1000 B/s minimum with a 2 s grace period.
            try
            {
                await stream.WriteAsync(" "u8.ToArray(), timeout.Token);
            }
            catch (IOException)
            {
                break;
            }

            await Task.WhenAny(reading, Task.Delay(200, timeout.Token));
        }

        var read = await reading;
        reply.Append(Encoding.ASCII.GetString(buffer, 0, read));
        Assert.StartsWith("HTTP/1.1 408", reply.ToString());
        Assert.Contains("\"code\":\"request_body_timeout\"", reply.ToString());
    }

    [Fact]
    public async Task An_sse_stream_sends_its_headers_at_once_and_keep_alive_comments_while_it_waits()
    {
        using var http = server.Http();
        // The untrained default model writes no box: its only event is "done", after every token.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/answers/stream")
        {
            Content = RestApiTests.Json("{\"question\": \"x\", \"max_new_tokens\": 300, \"video\": {\"path\": \"testsrc-4s.mp4\"}}"),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        var text = await response.Content.ReadAsStringAsync();
        var firstEvent = text.IndexOf("event:", StringComparison.Ordinal);
        Assert.True(text.IndexOf(": keep-alive\n\n", StringComparison.Ordinal) is >= 0 and var keepAlive && keepAlive < firstEvent, text[..Math.Min(400, text.Length)]);
        Assert.Contains("event: done\n", text);
    }

    [Fact]
    public async Task Openai_streamed_content_adds_up_to_the_non_streamed_content()
    {
        var dataUrl = "data:video/mp4;base64," + Convert.ToBase64String(await File.ReadAllBytesAsync(RepoPaths.SampleVideo));
        string Body(bool stream) => JsonSerializer.Serialize(new
        {
            model = "m",
            stream,
            max_tokens = 12,
            messages = new object[]
            {
                new { role = "user", content = new object[] { new { type = "video_url", video_url = new { url = dataUrl } }, new { type = "text", text = "What is shown?" } } },
            },
        });

        using var http = server.Http();
        using var plain = await http.PostAsync("/v1/chat/completions", RestApiTests.Json(Body(stream: false)));
        Assert.True(plain.IsSuccessStatusCode, await plain.Content.ReadAsStringAsync());
        var content = JsonDocument.Parse(await plain.Content.ReadAsStringAsync()).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();

        using var streamed = await http.PostAsync("/v1/chat/completions", RestApiTests.Json(Body(stream: true)));
        var deltas = new StringBuilder();
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(await streamed.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            if (item.Data != "[DONE]"
                && JsonDocument.Parse(item.Data).RootElement.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var piece)
                && piece.ValueKind == JsonValueKind.String)
            {
                deltas.Append(piece.GetString());
            }
        }

        Assert.False(string.IsNullOrEmpty(content));
        Assert.Equal(content, deltas.ToString());
    }
}
