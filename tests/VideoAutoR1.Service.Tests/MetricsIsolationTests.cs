namespace VideoAutoR1.Service.Tests;

/// <summary>
/// Two servers in one process (as the test suite runs them): disposing one must not switch off the other's
/// instruments. OpenTelemetry subscribes to meters by name, so without per-host filtering the second server's
/// counters were merged into the first's streams and ended with the second server.
/// </summary>
public sealed class MetricsIsolationTests
{
    [Fact]
    public async Task A_servers_counters_survive_another_server_in_the_process_being_disposed()
    {
        await using var kept = new VideoQaServer();
        await ((IAsyncLifetime)kept).InitializeAsync();
        var other = new VideoQaServer();
        await ((IAsyncLifetime)other).InitializeAsync();

        using var http = kept.Http();
        using var otherHttp = other.Http();
        await AskAsync(http);
        await AskAsync(otherHttp);
        await ((IAsyncLifetime)other).DisposeAsync();

        await AskAsync(http);
        var text = await OperationsTests.ScrapeUntilAsync(http, "videoautor1_service_requests_total{");

        Assert.Contains("videoautor1_service_requests_total{", text);
        Assert.Contains("videoautor1_requests_total{", text);
    }

    private static async Task AskAsync(HttpClient http)
    {
        using var answered = await http.PostAsync("/v1/answers", RestApiTests.Json("{\"question\": \"x\", \"max_new_tokens\": 2, \"video\": {\"path\": \"testsrc-4s.mp4\"}}"));
        Assert.True(answered.IsSuccessStatusCode, await answered.Content.ReadAsStringAsync());
    }
}
