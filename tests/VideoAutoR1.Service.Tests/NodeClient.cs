using System.Diagnostics;
using System.Text.Json;

namespace VideoAutoR1.Service.Tests;

/// <summary>
/// Runs a Node script from tests/VideoAutoR1.Service.Tests/node against the server. The packages are installed by
/// `npm ci --prefix tests/VideoAutoR1.Service.Tests/node` (CI does this); without them the test fails, loudly.
/// </summary>
internal static class NodeClient
{
    public static async Task<JsonElement> RunAsync(string script, params string[] args)
    {
        var modules = Path.Combine(RepoPaths.NodeClients, "node_modules");
        Assert.True(
            Directory.Exists(Path.Combine(modules, "@grpc", "grpc-js")) && Directory.Exists(Path.Combine(modules, "openai")),
            $"Node packages are missing in {modules}. Run: npm ci --prefix tests/VideoAutoR1.Service.Tests/node");

        var start = new ProcessStartInfo("node") { WorkingDirectory = RepoPaths.NodeClients, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"node {script} exited {process.ExitCode}:\n{await stderr}\n{await stdout}");
        return JsonDocument.Parse(await stdout).RootElement.Clone();
    }
}
