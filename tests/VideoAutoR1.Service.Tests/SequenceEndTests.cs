using System.Net;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using VideoAutoR1.Service.Grpc.V1;

// Sequences that end early, mid-decode: the client goes away or the deadline passes. The sequence must leave the batch
// at the next step and the server must keep serving. Each scenario runs on its own server so that an engine that
// fails one takes down only that test, not the suites sharing the default server.
namespace VideoAutoR1.Service.Tests;

/// <summary>An SSE client that disconnects mid-stream.</summary>
public sealed class RestDisconnectTests(VideoQaServer server) : IClassFixture<VideoQaServer>
{
    [Fact]
    public async Task Client_that_disconnects_mid_stream_leaves_the_batch()
    {
        using var http = server.Http();
        using (var cts = new CancellationTokenSource())
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/answers/stream")
            {
                Content = RestApiTests.Json("{\"question\": \"x\", \"mode\": \"think\", \"max_new_tokens\": 4000, \"video\": {\"path\": \"testsrc-4s.mp4\"}}"),
            };
            // The stream's headers come at once; the client goes away while it reads the body.
            using var stream = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            var reading = (await stream.Content.ReadAsStreamAsync(cts.Token)).CopyToAsync(Stream.Null, cts.Token);
            await FaultTests.WaitForAsync(async () => (await server.EngineAsync()).Running > 0, TimeSpan.FromSeconds(60));
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
        }

        await FaultTests.WaitForAsync(async () => await server.EngineAsync() is { Running: 0, Queued: 0 }, TimeSpan.FromSeconds(30));
        using var response = await http.PostAsync("/v1/answers", RestApiTests.Json("{\"question\": \"x\", \"max_new_tokens\": 2, \"video\": {\"path\": \"testsrc-4s.mp4\"}}"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }
}

/// <summary>A grpc-js client that cancels its AnswerStream mid-decode.</summary>
public sealed class GrpcCancelTests(VideoQaServer server) : IClassFixture<VideoQaServer>
{
    [Fact]
    public async Task Grpc_client_that_cancels_mid_stream_leaves_the_batch()
    {
        // The script cancels its AnswerStream call when told to: once the sequence is decoding, long before its 4000
        // tokens are done, however long media and prefill took on this machine.
        using var run = NodeClient.Start("grpc-cancel.mjs", $"127.0.0.1:{server.GrpcPort}", RepoPaths.Protos, RepoPaths.SampleVideo);
        await FaultTests.WaitForAsync(async () => (await server.EngineAsync()).Running > 0, TimeSpan.FromSeconds(60));
        await run.SendLineAsync("cancel");
        var result = await run.ResultAsync();

        Assert.Equal(1, result.GetProperty("code").GetInt32()); // CANCELLED
        await FaultTests.WaitForAsync(async () => await server.EngineAsync() is { Running: 0, Queued: 0 }, TimeSpan.FromSeconds(30));
        using var http = server.Http();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode);
    }
}

/// <summary>A REST request over its own time limit: 504.</summary>
public sealed class RestDeadlineTests(VideoQaServer server) : IClassFixture<VideoQaServer>
{
    [Fact]
    public async Task Request_over_its_time_limit_is_504_and_leaves_the_batch()
    {
        using var http = server.Http();
        var started = DateTime.UtcNow;
        using var response = await http.PostAsync("/v1/answers", RestApiTests.Json(
            "{\"question\": \"x\", \"mode\": \"think\", \"max_new_tokens\": 4000, \"timeout_seconds\": 3, \"video\": {\"path\": \"testsrc-4s.mp4\"}}"));
        var problem = await Problem.AssertAsync(response, HttpStatusCode.GatewayTimeout, "deadline_exceeded");
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15));
        Assert.Equal(response.Headers.GetValues("x-request-id").Single(), problem.GetProperty("request_id").GetString());
        await FaultTests.WaitForAsync(async () => await server.EngineAsync() is { Running: 0, Queued: 0 }, TimeSpan.FromSeconds(30));
    }
}

/// <summary>A gRPC request over its own time limit: DEADLINE_EXCEEDED with ErrorInfo.</summary>
public sealed class GrpcDeadlineTests(VideoQaServer server) : IClassFixture<VideoQaServer>
{
    [Fact]
    public async Task Request_over_its_time_limit_is_deadline_exceeded()
    {
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new VideoQaService.VideoQaServiceClient(channel);
        var request = VideoQaServer.SampleRequest(new Generation { Mode = AnswerMode.Think, MaxNewTokens = 4000, TimeoutSeconds = 3 });

        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.AnswerAsync(request, deadline: DateTime.UtcNow.AddMinutes(2)));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Equal("deadline_exceeded", error.GetRpcStatus()!.GetDetail<ErrorInfo>()!.Reason);
    }
}
