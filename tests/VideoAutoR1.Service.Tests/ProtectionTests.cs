using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using VideoAutoR1.Service.Grpc.V1;

namespace VideoAutoR1.Service.Tests;

public sealed class ApiKeyTests(SecuredVideoQaServer server) : IClassFixture<SecuredVideoQaServer>
{
    [Fact]
    public async Task Rest_requires_a_key_and_accepts_both_header_forms()
    {
        using var http = server.Http();
        const string body = "{\"question\": \"x\", \"max_new_tokens\": 1, \"video\": {\"path\": \"testsrc-4s.mp4\"}}";
        await Problem.AssertAsync(await http.PostAsync("/v1/answers", RestApiTests.Json(body)), HttpStatusCode.Unauthorized, "api_key_invalid");

        var wrong = new HttpRequestMessage(HttpMethod.Post, "/v1/answers") { Content = RestApiTests.Json(body) };
        wrong.Headers.Add("x-api-key", "wrong-key-0123456789abcdef");
        await Problem.AssertAsync(await http.SendAsync(wrong), HttpStatusCode.Unauthorized, "api_key_invalid");

        var header = new HttpRequestMessage(HttpMethod.Post, "/v1/answers") { Content = RestApiTests.Json(body) };
        header.Headers.Add("x-api-key", SecuredVideoQaServer.ApiKey);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(header)).StatusCode);

        var bearer = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SecuredVideoQaServer.ApiKey);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(bearer)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task Grpc_without_a_key_is_unauthenticated_and_with_one_is_served()
    {
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new VideoQaService.VideoQaServiceClient(channel);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.ListModelsAsync(new ListModelsRequest()));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);

        var models = await client.ListModelsAsync(new ListModelsRequest(), new Metadata { { "authorization", $"Bearer {SecuredVideoQaServer.ApiKey}" } });
        Assert.Single(models.Models);
    }
}

public sealed class NarrowServerTests(NarrowVideoQaServer server) : IClassFixture<NarrowVideoQaServer>
{
    [Fact]
    public async Task Overload_is_429_with_retry_after_and_nothing_hangs()
    {
        using var http = server.Http(TimeSpan.FromMinutes(3));
        const string body = "{\"question\": \"x\", \"mode\": \"think\", \"max_new_tokens\": 200, \"video\": {\"path\": \"testsrc-4s.mp4\"}}";
        var calls = Enumerable.Range(0, 6).Select(_ => http.PostAsync("/v1/answers", RestApiTests.Json(body))).ToList();
        var responses = await Task.WhenAll(calls);

        var rejected = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(rejected);
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, r.StatusCode.ToString()));
        foreach (var response in rejected)
        {
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            var problem = await Problem.AssertAsync(response, HttpStatusCode.TooManyRequests, "queue_full");
            Assert.True(problem.GetProperty("retry_after_seconds").GetInt32() >= 1);
        }
    }

    [Fact]
    public async Task Grpc_overload_is_resource_exhausted_with_retry_info()
    {
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new VideoQaService.VideoQaServiceClient(channel);
        var request = VideoQaServer.SampleRequest(new Generation { Mode = AnswerMode.Think, MaxNewTokens = 200 });
        var calls = Enumerable.Range(0, 6).Select(async _ =>
        {
            try
            {
                await client.AnswerAsync(request);
                return null;
            }
            catch (RpcException e)
            {
                return e;
            }
        }).ToList();
        var errors = (await Task.WhenAll(calls)).OfType<RpcException>().ToList();

        var exhausted = Assert.Single(errors.GroupBy(e => e.StatusCode)).ToList();
        Assert.Equal(StatusCode.ResourceExhausted, exhausted[0].StatusCode);
        var retry = exhausted[0].GetRpcStatus()!.GetDetail<Google.Rpc.RetryInfo>()!;
        Assert.True(retry.RetryDelay.ToTimeSpan() >= TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Url_that_answers_404_is_a_422_source_error()
    {
        var port = VideoQaServer.FreePort();
        await using var origin = WebApplication.CreateBuilder().Build();
        origin.Urls.Clear();
        origin.Urls.Add($"http://127.0.0.1:{port}");
        origin.MapGet("/missing.mp4", () => Results.NotFound());
        await origin.StartAsync();
        var url = $"http://127.0.0.1:{port}/missing.mp4";

        using var http = server.Http();
        var response = await http.PostAsync("/v1/answers", RestApiTests.Json($"{{\"question\": \"x\", \"video\": {{\"url\": \"{url}\"}}}}"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, body);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"code\"", body);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode);
    }
}
