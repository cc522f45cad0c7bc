using VideoAutoR1.World;

namespace VideoAutoR1.Cli;

/// <summary>
/// <c>world --out DIR [--split train|validation|test] [--per-family N] [--seed N] [--families colour,count,…]</c>:
/// renders clips of the synthetic world with ffmpeg and writes <c>DIR/items.jsonl</c> in the evaluation format.
/// </summary>
public static class WorldCommand
{
    public const string Help = "render clips of the synthetic video-QA world and their questions: --out DIR [--split test] [--per-family 20] [--seed 1]";

    public static async Task<int> RunAsync(string[] args)
    {
        var options = new CliArgs(args, new HashSet<string> { "out", "split", "per-family", "seed", "families", "ffmpeg" }, new HashSet<string>());
        var output = options.Required("out");
        var split = ParseSplit(options.Optional("split") ?? "test");
        var perFamily = options.OptionalInt("per-family") ?? 20;
        if (perFamily is < 1 or > 100_000)
        {
            throw new CliUsageException($"--per-family must be in [1, 100000], got {perFamily}");
        }

        var families = ParseFamilies(options.Optional("families"));
        var scenes = WorldGenerator.Generate(split, perFamily, options.OptionalInt("seed") ?? 1, families);
        var renderer = new WorldRenderer(options.Optional("ffmpeg") ?? "ffmpeg");
        var items = await WorldDataset.WriteAsync(scenes, output, renderer, Environment.ProcessorCount);
        Console.Error.WriteLine($"world: {scenes.Count} {split.ToString().ToLowerInvariant()} clips of {families.Count} families in {output}");
        Console.WriteLine(items);
        return 0;
    }

    public static WorldSplit ParseSplit(string text) =>
        Enum.TryParse<WorldSplit>(text, ignoreCase: true, out var split) && Enum.IsDefined(split)
            ? split
            : throw new CliUsageException($"--split must be train, validation or test, got '{text}'");

    public static IReadOnlyList<WorldFamily> ParseFamilies(string? text) =>
        text is null
            ? WorldGenerator.Families
            : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(name =>
                Enum.TryParse<WorldFamily>(name, ignoreCase: true, out var family) && Enum.IsDefined(family)
                    ? family
                    : throw new CliUsageException($"unknown family '{name}' (families: {string.Join(", ", WorldGenerator.Families).ToLowerInvariant()})")).Distinct().ToArray();
}
