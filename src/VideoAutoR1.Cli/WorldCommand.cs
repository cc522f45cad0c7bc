using System.CommandLine;
using VideoAutoR1.World;

namespace VideoAutoR1.Cli;

/// <summary>
/// <c>world --out DIR [--split train|validation|test] [--per-family N] [--seed N] [--families colour,count,…]</c>:
/// renders clips of the synthetic world with ffmpeg and writes <c>DIR/items.jsonl</c> in the evaluation format.
/// </summary>
public static class WorldCommand
{
    public static Command Create()
    {
        var output = CliOptions.Text("--out", "directory for the clips and items.jsonl", required: true);
        var split = CliOptions.Choice("--split", "which split's scenes (default test)", WorldSplit.Test,
            ("train", WorldSplit.Train), ("validation", WorldSplit.Validation), ("test", WorldSplit.Test));
        var perFamily = CliOptions.Integer("--per-family", "clips per family (default 20)");
        var seed = CliOptions.Integer("--seed", "seed of the scene streams (default 1)");
        var families = CliOptions.Text("--families", "comma-separated families (default all: colour, pattern, motion, count, grounding, order)");
        var ffmpeg = CliOptions.Text("--ffmpeg", "the ffmpeg program (default: ffmpeg on PATH)");
        var command = new Command("world", "render clips of the synthetic video-QA world and their questions (eval format)")
        {
            output, split, perFamily, seed, families, ffmpeg,
        };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(output)!, parse.GetValue(split), parse.GetValue(perFamily) ?? 20,
            parse.GetValue(seed) ?? 1, parse.GetValue(families), parse.GetValue(ffmpeg) ?? "ffmpeg"));
        return command;
    }

    private static async Task<int> RunAsync(string output, WorldSplit split, int perFamily, int seed, string? familyList, string ffmpeg)
    {
        if (perFamily is < 1 or > 100_000)
        {
            throw new CliUsageException($"--per-family must be in [1, 100000], got {perFamily}");
        }

        var families = ParseFamilies(familyList);
        var scenes = WorldGenerator.Generate(split, perFamily, seed, families);
        var items = await WorldDataset.WriteAsync(scenes, output, new WorldRenderer(ffmpeg), Environment.ProcessorCount);
        Console.Error.WriteLine($"world: {scenes.Count} {split.ToString().ToLowerInvariant()} clips of {families.Count} families in {output}");
        Console.WriteLine(items);
        return 0;
    }

    public static IReadOnlyList<WorldFamily> ParseFamilies(string? text) =>
        text is null
            ? WorldGenerator.Families
            : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(name =>
                Enum.TryParse<WorldFamily>(name, ignoreCase: true, out var family) && Enum.IsDefined(family)
                    ? family
                    : throw new CliUsageException($"unknown family '{name}' (families: {string.Join(", ", WorldGenerator.Families).ToLowerInvariant()})")).Distinct().ToArray();
}
