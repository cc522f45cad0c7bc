using System.CommandLine;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Media;
using static TorchSharp.torch;

namespace VideoAutoR1.Cli;

/// <summary>
/// <c>device-check [--model DIR] [--device cuda:0|cpu] [--dtype bfloat16|float16|float32] [--tokens N] [--video FILE]</c>:
/// the one command that says whether a host (or a container on it) really serves on its accelerator. It loads the model
/// the way the service does, answers one question about the shipped sample clip twice (the first run warms up kernels
/// and allocators), and prints the device, the dtype and the second run's prefill and decode throughput.
/// Without --device it takes cuda:0 when libtorch sees a CUDA device, else the CPU; bf16 on CUDA, fp32 on the CPU.
/// </summary>
public static class DeviceCheckCommand
{
    public static Command Create()
    {
        var model = CliOptions.ModelDirectory();
        var device = CliOptions.Device("torch device, e.g. cuda:0 or cpu; default cuda:0 when libtorch sees one");
        var dtype = CliOptions.DType("bfloat16, float16 or float32; default bfloat16 on CUDA, float32 on the CPU");
        var tokens = CliOptions.Integer("--tokens", "tokens to decode per run (default 64)");
        var video = CliOptions.Text("--video", "the clip to answer; default the bundled sample");
        var command = new Command("device-check", "load the model on a device, answer the sample clip, print device, dtype and tokens/s")
        {
            model, device, dtype, tokens, video,
        };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(model), parse.GetValue(device), parse.GetValue(dtype), parse.GetValue(tokens), parse.GetValue(video)));
        return command;
    }

    private static async Task<int> RunAsync(string? modelDirectory, string? deviceName, string? dtypeName, int? tokenCount, string? videoFile)
    {
        var cudaDevices = cuda.is_available() ? cuda.device_count() : 0;
        var device = deviceName ?? (cudaDevices > 0 ? "cuda:0" : "cpu");
        if (device.StartsWith("cuda", StringComparison.Ordinal) && cudaDevices == 0)
        {
            throw new VideoQaException(
                ErrorKind.Unavailable, "no_cuda_device",
                $"--device {device}: libtorch sees no CUDA device (a CPU build of libtorch, no driver, or no GPU passed to the container)");
        }

        var dtype = dtypeName ?? (device == "cpu" ? "float32" : "bfloat16");
        var tokens = tokenCount ?? 64;
        var videoPath = videoFile ?? Path.Combine(AppContext.BaseDirectory, "samples", "testsrc-4s.mp4");
        if (!File.Exists(videoPath))
        {
            throw new CliUsageException($"video file not found: {videoPath}");
        }

        await using var host = await EngineHost.StartAsync(new Dictionary<string, string?>
        {
            ["Engine:ModelDirectory"] = modelDirectory,
            ["Engine:Device"] = device,
            ["Engine:DType"] = dtype,
            ["Engine:MaxBatchSize"] = "1",
        });
        var video = await File.ReadAllBytesAsync(videoPath);
        AnswerResult? result = null;
        for (var run = 0; run < 2; run++)
        {
            // Think mode: the decode runs on past the first box, up to --tokens, whatever the model's confidence.
            result = await host.Engine.AnswerAsync(
                host.Engine.Resolver.Resolve(
                    $"device-check-{run}",
                    new VideoSource.Bytes(video, Path.GetFileName(videoPath)),
                    new QuestionSpec("What is shown in the video?", ["Colour bars", "A cat", "A city street", "Text"], TaskKind.MultipleChoice),
                    RequestResolver.Empty with { Mode = AnswerMode.Think, MaxNewTokens = tokens }),
                CancellationToken.None);
        }

        var t = result!.Timings;
        var decodeSeconds = t.Total - t.Queue - t.Media - t.Vision - t.Prefill;
        var decodeTokens = result.Tokens.Generated - 1;   // the first token comes out of the prefill
        if (decodeTokens < 1)
        {
            throw new VideoQaException(ErrorKind.Internal, "no_decode_step", "the model ended its answer at the first token: no decode step to time");
        }

        Console.WriteLine(FormattableString.Invariant($"device   {device} ({cudaDevices} CUDA device(s) visible to libtorch)"));
        Console.WriteLine(FormattableString.Invariant($"dtype    {dtype}"));
        Console.WriteLine(FormattableString.Invariant($"model    {result.ModelId}"));
        Console.WriteLine(FormattableString.Invariant($"prefill  {result.Tokens.Prompt} tokens ({result.Tokens.Visual} visual) in {t.Vision + t.Prefill:F3} s (vision {t.Vision:F3} s): {result.Tokens.Prompt / (t.Vision + t.Prefill):F1} tokens/s"));
        Console.WriteLine(FormattableString.Invariant($"decode   {decodeTokens} tokens in {decodeSeconds:F3} s: {decodeTokens / decodeSeconds:F1} tokens/s (batch 1, second of 2 runs)"));
        return 0;
    }
}
