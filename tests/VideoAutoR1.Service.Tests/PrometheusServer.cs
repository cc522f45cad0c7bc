using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace VideoAutoR1.Service.Tests;

/// <summary>
/// A real Prometheus (Debian's `prometheus`, installed by scripts/prerequisites.sh) scraping one target every two seconds
/// and evaluating the repository's own rule file, with its data in a temporary folder removed on dispose.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly HttpClient _http;

    private PrometheusServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public static string RuleFile => Path.Combine(RepoPaths.Root, "deploy", "prometheus", "alerts.yml");

    public static async Task<PrometheusServer> StartAsync(Uri target)
    {
        var directory = Directory.CreateTempSubdirectory("videoautor1-prometheus-").FullName;
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 2s
              scrape_timeout: 2s
              evaluation_interval: 2s
            rule_files:
              - {RuleFile}
            scrape_configs:
              - job_name: videoautor1
                static_configs:
                  - targets: ["{target.Authority}"]
                    # As a ServiceMonitor in the deployment's namespace labels its targets (job = the Service's name).
                    labels:
                      namespace: videoautor1
            """);

        var port = VideoQaServer.FreePort();
        var start = new ProcessStartInfo("prometheus") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
                 {
                     $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory, "data")}",
                     $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
                 })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(process, directory, port);
        await server.WaitUntilAsync(async () => (await server._http.GetAsync("/-/ready")).IsSuccessStatusCode, "Prometheus ready");
        return server;
    }

    /// <summary>Runs an instant query; throws with Prometheus' own error text when the expression is invalid.</summary>
    public async Task<JsonElement> QueryAsync(string promql)
    {
        using var response = await _http.GetAsync("/api/v1/query?query=" + Uri.EscapeDataString(promql));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (body.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"Prometheus rejected `{promql}`: {body}");
        }

        return body.GetProperty("data").GetProperty("result");
    }

    /// <summary>The loaded rule groups with each rule's evaluation health.</summary>
    public async Task<JsonElement> RulesAsync() =>
        (await _http.GetFromJsonAsync<JsonElement>("/api/v1/rules")).GetProperty("data").GetProperty("groups");

    /// <summary>The single value of a scalar-like query, or null while it has no samples.</summary>
    public async Task<double?> ValueAsync(string promql)
    {
        var result = await QueryAsync(promql);
        return result.GetArrayLength() == 0
            ? null
            : double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for: {what}");
            }

            await Task.Delay(250);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
