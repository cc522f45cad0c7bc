using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using TorchSharp;
using VideoAutoR1.Model;
using static TorchSharp.torch;

namespace VideoAutoR1.Bench;

/// <summary>
/// Peak resident memory while loading a generated multi-GB sharded checkpoint (the <see cref="ModelBench"/> config,
/// random weights), measured in a fresh child process: VmHWM from /proc/self/status against the loaded weights' bytes.
/// The loader must not hold a second copy of the weights (target: peak ≤ 1.15 × weights).
/// </summary>
public static class ModelLoadBench
{
    private const long ShardBytes = 1L << 30;

    public static async Task<int> RunAsync(string[] args)
    {
        if (BenchArgs.Value(args, "--measure") is { } measureDir)
        {
            return Measure(measureDir, BenchArgs.Value(args, "--load-dtype") ?? "fp32");
        }

        var diskDtype = BenchArgs.Value(args, "--disk-dtype") ?? "fp32";
        var dir = Directory.CreateTempSubdirectory("videoautor1-load-bench-");
        try
        {
            var bytes = Generate(dir.FullName, ModelBench.MidSizeConfig(), diskDtype == "bf16" ? ScalarType.BFloat16 : ScalarType.Float32);
            Console.WriteLine($"checkpoint: {bytes / 1e9:0.00} GB of {diskDtype} in {Directory.GetFiles(dir.FullName, "*.safetensors").Length} shards ({dir.FullName})");
            var status = 0;
            foreach (var loadDtype in BenchArgs.Strings(args, "--load-dtype", diskDtype == "bf16" ? ["bf16", "fp32"] : ["fp32", "bf16"]))
            {
                status |= await RunChild(dir.FullName, loadDtype);
            }

            return status;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    // Writes the checkpoint shard by shard, one tensor in memory at a time, plus config.json and the index.
    private static long Generate(string dir, Qwen2_5_VLConfig config, ScalarType dtype)
    {
        File.WriteAllText(Path.Combine(dir, Qwen2_5_VLConfig.FileName), config.ToJson());
        var map = new JsonObject();
        var shard = new List<(string Name, Tensor Tensor)>();
        long shardBytes = 0, total = 0;
        var shardIndex = 0;
        var generator = new Generator(5);
        void Flush()
        {
            var file = $"model-{++shardIndex:00000}.safetensors";
            SafeTensorsFile.Write(Path.Combine(dir, file), shard);
            shard.ForEach(s => { map[s.Name] = file; s.Tensor.Dispose(); });
            shard.Clear();
            shardBytes = 0;
        }

        foreach (var (name, shape) in Qwen2_5_VLForConditionalGeneration.ParameterShapes(config))
        {
            var tensor = (randn(shape, ScalarType.Float32, generator: generator) * 0.02).to(dtype);
            var size = tensor.numel() * tensor.ElementSize;
            if (shardBytes + size > ShardBytes && shard.Count > 0)
            {
                Flush();
            }

            shard.Add((name, tensor));
            shardBytes += size;
            total += size;
        }

        Flush();
        File.WriteAllText(Path.Combine(dir, CheckpointIndex.IndexFile), new JsonObject { ["weight_map"] = map }.ToJsonString());
        return total;
    }

    private static async Task<int> RunChild(string dir, string loadDtype)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ModelLoadBench).Assembly.Location);
        }

        foreach (var arg in new[] { "model-load", "--measure", dir, "--load-dtype", loadDtype })
        {
            start.ArgumentList.Add(arg);
        }

        using var child = Process.Start(start)!;
        await child.WaitForExitAsync();
        return child.ExitCode;
    }

    private static int Measure(string dir, string loadDtype)
    {
        var dtype = loadDtype == "bf16" ? ScalarType.BFloat16 : ScalarType.Float32;
        using (var warm = ones(4))
        {
            // Touch libtorch so the baseline includes the native runtime.
            warm.sum().Dispose();
        }

        var baseline = ProcStatus("VmRSS");
        var clock = Stopwatch.StartNew();
        using var model = Qwen2_5_VLForConditionalGeneration.Load(dir, new ModelLoadOptions(dtype));
        var seconds = clock.Elapsed.TotalSeconds;
        var weights = model.named_parameters().Sum(p => p.parameter.numel() * p.parameter.ElementSize);
        var peak = ProcStatus("VmHWM");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"load as {loadDtype}: weights {weights / 1e9:0.000} GB, {seconds:0.0} s; RSS before load {baseline / 1e9:0.000} GB, " +
            $"peak RSS {peak / 1e9:0.000} GB = {(double)peak / weights:0.000} x weights (peak above the pre-load baseline: {(double)(peak - baseline) / weights:0.000} x)"));
        return 0;
    }

    // /proc/self/status values are in kB.
    private static long ProcStatus(string field) =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
}
