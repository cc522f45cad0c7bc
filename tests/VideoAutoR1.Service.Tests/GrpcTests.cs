using System.Text.Json;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using VideoAutoR1.Service.Grpc.V1;

namespace VideoAutoR1.Service.Tests;

/// <summary>gRPC through Node's @grpc/grpc-js (a client nobody here wrote) and rich error details through Grpc.Net.Client.</summary>
[Collection(DefaultServerCollection.Name)]
public sealed class GrpcTests(VideoQaServer server)
{
    [Fact]
    public async Task Node_grpc_client_runs_unary_streaming_upload_health_and_errors()
    {
        var result = await NodeClient.RunAsync("grpc-client.mjs", $"127.0.0.1:{server.GrpcPort}", RepoPaths.Protos, RepoPaths.SampleVideo);

        Assert.Equal("SERVING", result.GetProperty("health").GetProperty("status").GetString());
        Assert.Equal("SERVING", result.GetProperty("healthAfter").GetProperty("status").GetString());
        Assert.True(result.GetProperty("models").GetProperty("response").GetProperty("models")[0].GetProperty("ready").GetBoolean());

        var unary = result.GetProperty("unary").GetProperty("response").GetProperty("answer");
        AssertAnswer(unary);

        var upload = result.GetProperty("upload").GetProperty("response").GetProperty("answer");
        AssertAnswer(upload);
        Assert.Equal(unary.GetProperty("tokens").GetProperty("visual").GetInt32(), upload.GetProperty("tokens").GetProperty("visual").GetInt32());

        var stream = result.GetProperty("stream");
        Assert.False(stream.TryGetProperty("error", out var streamError), streamError.ToString());
        var kinds = stream.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Equal("completed", kinds[^1]);
        Assert.True(kinds.IndexOf("a1Decided") is -1 or 0, string.Join(",", kinds));
        AssertAnswer(stream.GetProperty("events")[kinds.Count - 1].GetProperty("message"));

        AssertError(result.GetProperty("badThreshold"), StatusCode.InvalidArgument);
        AssertError(result.GetProperty("missingVideo"), StatusCode.InvalidArgument);
    }

    [Fact]
    public async Task Invalid_argument_carries_error_info_and_field_violation()
    {
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new VideoQaService.VideoQaServiceClient(channel);
        var request = VideoQaServer.SampleRequest(new Generation { Threshold = 0 });

        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.AnswerAsync(request));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var status = error.GetRpcStatus()!;
        Assert.Equal("threshold_out_of_range", status.GetDetail<ErrorInfo>()!.Reason);
        Assert.Equal("threshold", status.GetDetail<BadRequest>()!.FieldViolations.Single().Field);
    }

    [Fact]
    public async Task Reflection_lists_the_service()
    {
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var reflection = new global::Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new global::Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("videoqa.v1.VideoQaService", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }

    private static void AssertAnswer(JsonElement answer)
    {
        Assert.StartsWith("vqa-", answer.GetProperty("requestId").GetString());
        Assert.False(string.IsNullOrEmpty(answer.GetProperty("modelId").GetString()));
        Assert.True(answer.GetProperty("tokens").GetProperty("visual").GetInt32() > 0);
        Assert.InRange(answer.GetProperty("tokens").GetProperty("generated").GetInt32(), 1, 6);
        Assert.NotEqual("FINISH_REASON_UNSPECIFIED", answer.GetProperty("finishReason").GetString());
    }

    private static void AssertError(JsonElement call, StatusCode code)
    {
        var error = call.GetProperty("error");
        Assert.Equal((int)code, error.GetProperty("code").GetInt32());
        Assert.True(error.GetProperty("hasStatusDetails").GetBoolean());
    }
}
