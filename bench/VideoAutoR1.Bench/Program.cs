// Benchmarks print figures a user can reproduce, each next to a baseline measured in the same run.
// Usage: dotnet run -c Release --project bench/VideoAutoR1.Bench -- <name> [options]
var benchmarks = new Dictionary<string, (string Help, Func<string[], Task<int>> Run)>(StringComparer.Ordinal)
{
    ["engine"] = (VideoAutoR1.Bench.EngineBench.Help, VideoAutoR1.Bench.EngineBench.RunAsync),
    ["tokenizer"] = (VideoAutoR1.Bench.TokenizerBench.Help, VideoAutoR1.Bench.TokenizerBench.RunAsync),
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
