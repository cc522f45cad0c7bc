using System.Diagnostics;

namespace VideoAutoR1.Service.Tests;

/// <summary>The public proto passes `buf lint` (STANDARD rules, protos/buf.yaml), run from the npm @bufbuild/buf package.</summary>
public sealed class ProtoLintTests
{
    [Fact]
    public async Task Protos_pass_buf_lint()
    {
        var buf = Path.Combine(RepoPaths.NodeClients, "node_modules", ".bin", "buf");
        Assert.True(File.Exists(buf), $"buf is missing ({buf}). Run: npm ci --prefix tests/VideoAutoR1.Service.Tests/node");

        var start = new ProcessStartInfo(buf) { WorkingDirectory = RepoPaths.Protos, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("lint");
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"buf lint failed:\n{output}");
    }
}
