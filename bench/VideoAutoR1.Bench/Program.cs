// Benchmarks print figures a user can reproduce, each next to a baseline measured in the same run.
// Usage: dotnet run -c Release --project bench/VideoAutoR1.Bench -- <name> [options]
var benchmarks = new Dictionary<string, (string Help, Func<string[], Task<int>> Run)>(StringComparer.Ordinal)
{
    ["engine"] = (VideoAutoR1.Bench.EngineBench.Help, VideoAutoR1.Bench.EngineBench.RunAsync),
    ["tokenizer"] = (VideoAutoR1.Bench.TokenizerBench.Help, VideoAutoR1.Bench.TokenizerBench.RunAsync),
    ["media"] = ("video selection + decode + preprocess vs bare ffmpeg decode [--seconds 60] [--runs 3]", VideoAutoR1.Bench.MediaBench.RunAsync),
    ["model"] = ("Qwen2.5-VL prefill/decode tokens/s (0.5B-shaped, batch 1 and 8, fp32/bf16) vs matmul roofline [--prompt 32] [--steps 4] [--batch 1,8] [--dtype fp32,bf16]", VideoAutoR1.Bench.ModelBench.RunAsync),
    ["soak"] = (VideoAutoR1.Bench.SoakBench.Help, VideoAutoR1.Bench.SoakBench.RunAsync),
    ["model-load"] = ("peak RSS while loading a generated multi-GB sharded checkpoint vs weight bytes [--disk-dtype fp32|bf16] [--load-dtype fp32,bf16]", VideoAutoR1.Bench.ModelLoadBench.RunAsync),
};

if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var benchmark))
{
    Console.Error.WriteLine("usage: VideoAutoR1.Bench <benchmark> [options]");
    foreach (var (name, (help, _)) in benchmarks)
    {
        Console.Error.WriteLine($"  {name,-12} {help}");
    }

    return 2;
}

return await benchmark.Run(args[1..]);
