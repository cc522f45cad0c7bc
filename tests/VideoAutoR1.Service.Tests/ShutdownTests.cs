using System.Diagnostics;
using System.Net;
using System.Text;

namespace VideoAutoR1.Service.Tests;

/// <summary>
/// SIGTERM to the real service process: requests still running when the drain budget ends get a clear 503
/// (unary) or an SSE "error" event, never a dropped connection; new ones are refused; the process exits 0 without
/// an unhandled exception.
/// </summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Sigterm_fails_long_requests_with_503_and_an_sse_error_event_and_exits_0()
    {
        var port = VideoQaServer.FreePort();
        using var service = StartService(port, drainBudget: "00:00:01");
        var stderr = new StringBuilder();
        service.ErrorDataReceived += (_, e) => stderr.AppendLine(e.Data);
        service.OutputDataReceived += (_, e) => stderr.AppendLine(e.Data);
        service.BeginErrorReadLine();
        service.BeginOutputReadLine();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(3) };
        await WaitReadyAsync(http, service);

        // Far more tokens than fit in the 1 s drain budget.
        const string Long = "{\"question\": \"x\", \"mode\": \"think\", \"max_new_tokens\": 4000, \"video\": {\"path\": \"testsrc-4s.mp4\"}}";
        var unary = http.PostAsync("/v1/answers", RestApiTests.Json(Long));
        using var streamRequest = new HttpRequestMessage(HttpMethod.Post, "/v1/answers/stream") { Content = RestApiTests.Json(Long) };
        using var stream = await http.SendAsync(streamRequest, HttpCompletionOption.ResponseHeadersRead);
        var streamed = stream.Content.ReadAsStringAsync();
        await WaitRunningAsync(http, 2);

        using (var kill = Process.Start("kill", ["-TERM", service.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var answered = await unary;
        var problem = await Problem.AssertAsync(answered, HttpStatusCode.ServiceUnavailable, "shutting_down");
        Assert.Equal(JsonValueKindNumber, problem.GetProperty("retry_after_seconds").ValueKind);
        var events = await streamed;
        Assert.Contains("event: error\n", events);
        Assert.Contains("\"code\":\"shutting_down\"", events);

        using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await service.WaitForExitAsync(exited.Token);
        Assert.True(service.ExitCode == 0, $"exit code {service.ExitCode}: {stderr}");
        Assert.DoesNotContain("Unhandled exception", stderr.ToString());
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNumber = System.Text.Json.JsonValueKind.Number;

    private static Process StartService(int port, string drainBudget)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var argument in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "VideoAutoR1.Service.dll"),
            $"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{port}",
            $"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{VideoQaServer.FreePort()}",
            $"--Media:ServerPathRoot={Path.Combine(RepoPaths.Root, "samples")}",
            "--Media:MaxFrames=8",
            "--Engine:TorchThreads=1",
            // The random model never closes a box, so its requests run until the drain budget is spent.
            $"--Engine:ModelDirectory={RandomModelDirectory.Location}",
            $"--Engine:ShutdownGrace={drainBudget}",
            "--Logging:LogLevel:Default=Warning",
        })
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info)!;
    }

    private static async Task WaitReadyAsync(HttpClient http, Process service)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (true)
        {
            Assert.False(service.HasExited, "the service exited during start-up");
            try
            {
                using var response = await http.GetAsync("/readyz");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline, "the service was not ready within 3 minutes");
            await Task.Delay(250);
        }
    }

    private static async Task WaitRunningAsync(HttpClient http, int running)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            var engine = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/readyz")).RootElement
                .GetProperty("checks").GetProperty("engine").GetProperty("data");
            if (engine.GetProperty("running_sequences").GetInt32() >= running)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "the requests never started running");
            await Task.Delay(50);
        }
    }
}
