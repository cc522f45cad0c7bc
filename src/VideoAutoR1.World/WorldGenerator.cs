namespace VideoAutoR1.World;

public enum WorldSplit
{
    Train,
    Validation,
    Test,
}

/// <summary>
/// Draws scenes of the world, deterministic by seed. A scene's split is decided by a hash of its description (1 in 10
/// validation, 1 in 10 test), not by the seed, so no clip of the test split is ever trained on whatever seeds the two
/// runs used; scenes come from one stream per (seed, family), so the same seed gives the same scenes.
/// </summary>
public static class WorldGenerator
{
    public static IReadOnlyList<WorldFamily> Families { get; } = Enum.GetValues<WorldFamily>();

    public static WorldSplit SplitOf(WorldScene scene)
    {
        return (BitConverter.ToUInt32(scene.DescriptionHash, 0) % 10) switch
        {
            0 => WorldSplit.Test,
            1 => WorldSplit.Validation,
            _ => WorldSplit.Train,
        };
    }

    /// <summary><paramref name="count"/> distinct scenes of one family in one split.</summary>
    public static IReadOnlyList<WorldScene> Generate(WorldFamily family, WorldSplit split, int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        // Not HashCode.Combine: it is randomised per process.
        var random = new Random(unchecked((seed * 7919) + ((int)family * 104729) + 17));
        var scenes = new List<WorldScene>(count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var attempt = 0; scenes.Count < count; attempt++)
        {
            if (attempt > 1000 * (count + 10))
            {
                throw new InvalidOperationException($"the {family} family has fewer than {count} distinct {split} scenes");
            }

            var scene = Draw(family, random);
            if (SplitOf(scene) == split && seen.Add(scene.Description))
            {
                scenes.Add(scene);
            }
        }

        return scenes;
    }

    /// <summary>The same number of scenes of every family, interleaved.</summary>
    public static IReadOnlyList<WorldScene> Generate(WorldSplit split, int perFamily, int seed, IReadOnlyList<WorldFamily>? families = null)
    {
        var lists = (families ?? Families).Select(f => Generate(f, split, perFamily, seed)).ToArray();
        return Enumerable.Range(0, perFamily).SelectMany(i => lists.Select(l => l[i])).ToArray();
    }

    public static WorldScene Draw(WorldFamily family, Random random) => family switch
    {
        WorldFamily.Colour => DrawColour(random),
        WorldFamily.Pattern => new PatternScene(Format(random, 2, 6), PatternScene.Sources[random.Next(PatternScene.Sources.Count)].Source),
        WorldFamily.Motion => DrawMotion(random),
        WorldFamily.Count => DrawCount(random),
        WorldFamily.Grounding => DrawGrounding(random),
        WorldFamily.Order => DrawOrder(random),
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "unknown family"),
    };

    /// <summary>Sides 96–320 (even, any aspect), 10–30 fps, a whole number of seconds in [min, max].</summary>
    private static ClipFormat Format(Random random, int minSeconds, int maxSeconds) =>
        new(2 * random.Next(48, 161), 2 * random.Next(48, 161), random.Next(10, 31), random.Next(minSeconds, maxSeconds + 1));

    private static ColourScene DrawColour(Random random)
    {
        var colour = ColourScene.Palette[random.Next(ColourScene.Palette.Count)];
        var distractors = ColourScene.Palette.Where(c => c != colour).OrderBy(_ => random.Next()).Take(3).ToArray();
        var choices = ColourScene.Palette.Where(c => c == colour || distractors.Contains(c)).ToArray();
        return new ColourScene(Format(random, 2, 6), colour, choices);
    }

    private static MotionScene DrawMotion(Random random)
    {
        var format = Format(random, 2, 6);
        var direction = MotionScene.Directions[random.Next(MotionScene.Directions.Count)];
        var side = random.Next(16, 33);
        var across = direction is "left" or "right" ? format.Height : format.Width;
        return new MotionScene(format, direction, side, random.Next(0, across - side + 1));
    }

    private static string[] Screens(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => WorldScene.SequenceColours[random.Next(WorldScene.SequenceColours.Count)]).ToArray();

    private static CountScene DrawCount(Random random)
    {
        var screens = Screens(random, random.Next(3, 9));
        var target = WorldScene.SequenceColours[random.Next(WorldScene.SequenceColours.Count)];
        return new CountScene(Format(random, screens.Length, screens.Length), screens, target);
    }

    private static GroundingScene DrawGrounding(Random random)
    {
        var format = Format(random, 4, 10);
        var start = random.Next(0, format.Seconds);
        var end = random.Next(start + 1, format.Seconds + 1);
        return new GroundingScene(format, start, end);
    }

    private static OrderScene DrawOrder(Random random)
    {
        // The anchor appears once and is not last, so "right after" has one answer.
        while (true)
        {
            var screens = Screens(random, random.Next(3, 7));
            var index = random.Next(0, screens.Length - 1);
            if (screens.Count(c => c == screens[index]) == 1)
            {
                return new OrderScene(Format(random, screens.Length, screens.Length), screens, index);
            }
        }
    }
}
