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
        using var run = Start(script, args);
        return await run.ResultAsync();
    }

    /// <summary>Starts the script with its stdin open, for scripts that wait for a line from the test.</summary>
    public static NodeRun Start(string script, params string[] args)
    {
        var modules = Path.Combine(RepoPaths.NodeClients, "node_modules");
        Assert.True(
            Directory.Exists(Path.Combine(modules, "@grpc", "grpc-js")) && Directory.Exists(Path.Combine(modules, "openai")),
            $"Node packages are missing in {modules}. Run: npm ci --prefix tests/VideoAutoR1.Service.Tests/node");

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = RepoPaths.NodeClients,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new NodeRun(script, Process.Start(start) ?? throw new InvalidOperationException("node did not start"));
    }
}

/// <summary>A running Node script: a line can be sent to its stdin, and its JSON result awaited.</summary>
internal sealed class NodeRun : IDisposable
{
    private readonly string _script;
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    public NodeRun(string script, Process process)
    {
        _script = script;
        _process = process;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public async Task SendLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    public async Task<JsonElement> ResultAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await _process.WaitForExitAsync(timeout.Token);
        Assert.True(_process.ExitCode == 0, $"node {_script} exited {_process.ExitCode}:\n{await _stderr}\n{await _stdout}");
        return JsonDocument.Parse(await _stdout).RootElement.Clone();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
