using System.Net;
using System.Text.Json;

namespace VideoAutoR1.Service.Tests;

/// <summary>Probes and metrics: answered from snapshots, never by the engine thread.</summary>
[Collection(DefaultServerCollection.Name)]
public sealed class OperationsTests(VideoQaServer server)
{
    [Fact]
    public async Task Probes_answer_while_the_engine_is_busy()
    {
        using var http = server.Http();
        var busy = http.PostAsync("/v1/answers", RestApiTests.Json("{\"question\": \"x\", \"mode\": \"think\", \"max_new_tokens\": 300, \"video\": {\"path\": \"testsrc-4s.mp4\"}}"));
        using var probes = server.Http(TimeSpan.FromSeconds(5));
        for (var i = 0; i < 20 && !busy.IsCompleted; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await probes.GetAsync("/healthz")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await probes.GetAsync("/readyz")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await probes.GetAsync("/metrics")).StatusCode);
        }

        using var answered = await busy;
        Assert.True(answered.IsSuccessStatusCode, await answered.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_expose_service_engine_aspnetcore_and_runtime_instruments()
    {
        using var http = server.Http();
        using var answered = await http.PostAsync("/v1/answers", RestApiTests.Json("{\"question\": \"x\", \"max_new_tokens\": 2, \"video\": {\"path\": \"testsrc-4s.mp4\"}}"));
        Assert.True(answered.IsSuccessStatusCode);

        var text = await ScrapeUntilAsync(http, "videoautor1_service_requests_total{");

        Assert.Contains("videoautor1_service_requests_total{", text);
        Assert.Contains("http_server_request_duration_seconds_bucket", text);
        Assert.Contains("dotnet_gc_collections_total", text);
        Assert.Matches("(?m)^videoautor1_[a-z_]+", text.Replace("videoautor1_service_", string.Empty));
    }

    /// <summary>The Prometheus exporter caches a scrape briefly; polls /metrics until <paramref name="series"/> shows.</summary>
    internal static async Task<string> ScrapeUntilAsync(HttpClient http, string series)
    {
        var text = string.Empty;
        for (var i = 0; i < 50 && !text.Contains(series, StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            text = await http.GetStringAsync("/metrics");
        }

        return text;
    }
}
