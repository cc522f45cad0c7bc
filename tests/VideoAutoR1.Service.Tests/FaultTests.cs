using System.Net;
using System.Net.Sockets;
using System.Text;

namespace VideoAutoR1.Service.Tests;

/// <summary>Malformed requests and hostile clients: each gets the right status and the server stays healthy.</summary>
[Collection(DefaultServerCollection.Name)]
public sealed class FaultTests(VideoQaServer server) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>After every fault the server still answers its probes.</summary>
    public async Task DisposeAsync()
    {
        using var http = server.Http(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode);
    }

    [Theory]
    [InlineData("{\"question\": \"x\", ", "invalid_json", null)]
    [InlineData("{\"question\": \"x\", \"task\": \"poetry\", \"video\": {\"path\": \"testsrc-4s.mp4\"}}", "invalid_json", "task")]
    [InlineData("{\"question\": \"x\", \"mode\": 2, \"video\": {\"path\": \"testsrc-4s.mp4\"}}", "invalid_json", "mode")]
    [InlineData("{\"question\": \"x\"}", "video_required", "video")]
    [InlineData("{\"question\": \"x\", \"threshold\": 0, \"video\": {\"path\": \"testsrc-4s.mp4\"}}", "threshold_out_of_range", "threshold")]
    [InlineData("{\"question\": \"x\", \"threshold\": 1.5, \"video\": {\"path\": \"testsrc-4s.mp4\"}}", "threshold_out_of_range", "threshold")]
    [InlineData("{\"question\": \"\", \"video\": {\"path\": \"testsrc-4s.mp4\"}}", "question_required", "question")]
    public async Task Malformed_json_requests_get_400_with_a_code(string json, string code, string? field)
    {
        using var http = server.Http();
        using var response = await http.PostAsync("/v1/answers", RestApiTests.Json(json));
        var problem = await Problem.AssertAsync(response, HttpStatusCode.BadRequest, code);
        if (field is not null)
        {
            Assert.Equal(field, problem.GetProperty("field").GetString());
        }
    }

    [Fact]
    public async Task Multipart_without_a_video_part_is_400()
    {
        using var http = server.Http();
        var form = new MultipartFormDataContent { { new StringContent("{\"question\": \"x\"}", Encoding.UTF8, "application/json"), "request" } };
        await Problem.AssertAsync(await http.PostAsync("/v1/answers", form), HttpStatusCode.BadRequest, "video_required");
    }

    [Fact]
    public async Task Unsupported_content_type_is_415()
    {
        using var http = server.Http();
        var response = await http.PostAsync("/v1/answers", new StringContent("question=x", Encoding.UTF8, "text/plain"));
        await Problem.AssertAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_content_type");
    }

    [Fact]
    public async Task Bytes_that_are_not_a_video_are_refused_with_a_typed_error()
    {
        using var http = server.Http();
        using var response = await http.PostAsync("/v1/answers", RestApiTests.Upload("{\"question\": \"x\"}", Encoding.ASCII.GetBytes(new string('x', 5000))));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.UnsupportedMediaType or HttpStatusCode.UnprocessableEntity, body);
        Assert.Contains("\"code\"", body);
    }

    [Fact]
    public async Task Url_to_loopback_is_blocked_before_any_fetch()
    {
        using var http = server.Http();
        var response = await http.PostAsync("/v1/answers", RestApiTests.Json($"{{\"question\": \"x\", \"video\": {{\"url\": \"{server.HttpAddress}healthz\"}}}}"));
        var problem = await Problem.AssertAsync(response, HttpStatusCode.UnprocessableEntity, "url_blocked");
        Assert.Equal("video.url", problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Oversized_upload_with_content_length_is_413_before_the_body_is_read()
    {
        // 2 GiB declared against a 256 KiB limit: the answer must come from the headers, with no body sent at all.
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, server.HttpPort);
        var stream = client.GetStream();
        var head = "POST /v1/answers HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            + $"Content-Length: {2L << 30}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));

        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var statusLine = await reader.ReadLineAsync(timeout.Token);
        Assert.Equal("HTTP/1.1 413 Payload Too Large", statusLine);
        var rest = await reader.ReadToEndAsync(timeout.Token);
        Assert.Contains("\"code\":\"upload_too_large\"", rest);
    }

    [Fact]
    public async Task Oversized_chunked_upload_is_413_as_soon_as_the_cap_is_crossed()
    {
        const string boundary = "boundary-0123456789";
        var parts = $"--{boundary}\r\nContent-Disposition: form-data; name=\"request\"\r\nContent-Type: application/json\r\n\r\n" +
            $"{{\"question\": \"x\"}}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"video\"; filename=\"big.mp4\"\r\n\r\n";
        // Twice the 256 KiB upload cap of the test server: the multipart reader holds some bytes back while it looks
        // for the next boundary, so one chunk past the cap did not always reach the video part's count.
        var reply = await PostOpenChunkedBodyAsync(server.HttpPort, $"multipart/form-data; boundary={boundary}", parts, (256 + 256) * 1024, '\0');
        Assert.StartsWith("HTTP/1.1 413 ", reply, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"upload_too_large\"", reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Slowloris_upload_is_cut_off_by_the_minimum_data_rate()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, server.HttpPort);
        var stream = client.GetStream();
        var head = "POST /v1/answers HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));

        // One byte every 200 ms (5 B/s) against a 1000 B/s minimum with a 2 s grace period.
        var started = DateTime.UtcNow;
        var closed = false;
        var reply = new StringBuilder();
        var buffer = new byte[4096];
        while (DateTime.UtcNow - started < TimeSpan.FromSeconds(30) && !closed)
        {
            try
            {
                await stream.WriteAsync("{"u8.ToArray());
                await Task.Delay(200);
                while (client.Available > 0)
                {
                    var read = await stream.ReadAsync(buffer);
                    if (read == 0)
                    {
                        closed = true;
                        break;
                    }

                    reply.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }

                closed |= client.Client.Poll(0, SelectMode.SelectRead) && client.Available == 0;
            }
            catch (IOException)
            {
                closed = true;
            }
        }

        Assert.True(closed, $"the slow client was still connected after 30 s; got: {reply}");
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15), $"cut off only after {DateTime.UtcNow - started}");
    }

    /// <summary>
    /// Sends POST /v1/answers chunked: <paramref name="prefix"/>, then <paramref name="padding"/> bytes of
    /// <paramref name="fill"/>, and then nothing more, leaving the body open; returns the whole answer. A server that
    /// stops reading at its limit answers while the body is still open; one that waits for the end of the body never
    /// answers. Keep the padding a small multiple of the limit: then the server has read every byte sent when it answers, so it
    /// closes cleanly instead of resetting the connection (which may discard the answer), and no write can race its
    /// close. (Counting what a client managed to write would measure the kernel's loopback buffers, tens of MB here,
    /// not what the server read.)
    /// </summary>
    internal static async Task<string> PostOpenChunkedBodyAsync(int port, string contentType, string prefix, int padding, char fill)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        var head = $"POST /v1/answers HTTP/1.1\r\nHost: localhost\r\nContent-Type: {contentType}\r\nTransfer-Encoding: chunked\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{prefix.Length:x}\r\n{prefix}\r\n"));
        const int chunkSize = 64 * 1024;
        var chunk = Encoding.ASCII.GetBytes($"{chunkSize:x}\r\n{new string(fill, chunkSize)}\r\n");
        for (var sent = 0; sent < padding; sent += chunkSize)
        {
            await stream.WriteAsync(chunk);
        }

        // The answer ends with "Connection: close": read to the end.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadToEndAsync(timeout.Token);
    }

    internal static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"condition not met within {timeout}");
            await Task.Delay(20);
        }
    }
}
