using static TorchSharp.torch;

namespace VideoAutoR1.Cli.Tests;

/// <summary>
/// <c>videoautor1 device-check</c> on this machine's CPU libtorch: the report names the device and dtype and times the
/// decode on the bundled sample clip; asking for CUDA where libtorch sees none is a one-line error, not a crash.
/// </summary>
public sealed class DeviceCheckCommandTests(AskFixture fixture) : IClassFixture<AskFixture>
{
    [Fact]
    public void On_the_cpu_it_prints_the_device_the_dtype_and_decode_tokens_per_second()
    {
        var result = Cli.Run("device-check", "--model", fixture.ModelDirectory, "--device", "cpu", "--tokens", "8");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.StdoutLines;
        Assert.StartsWith("device   cpu ", lines[0], StringComparison.Ordinal);
        Assert.Equal("dtype    float32", lines[1]);
        Assert.Matches(@"^prefill  \d+ tokens \(\d+ visual\) in \d+\.\d{3} s \(vision \d+\.\d{3} s\): \d+\.\d tokens/s$", lines[3]);
        Assert.Matches(@"^decode   [1-7] tokens in \d+\.\d{3} s: \d+\.\d tokens/s \(batch 1, second of 2 runs\)$", lines[4]);
    }

    [SkippableFact]
    public void Cuda_where_libtorch_sees_no_cuda_device_is_a_one_line_error()
    {
        Skip.If(cuda.is_available(), "libtorch sees a CUDA device here");

        Cli.Run("device-check", "--device", "cuda:0").AssertOneLineError("no_cuda_device");
    }
}
