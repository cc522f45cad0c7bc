using System.Diagnostics;
using VideoAutoR1.World;

namespace VideoAutoR1.Training.Tests;

/// <summary>The synthetic world: splits by description, and clips whose pixels show their answers (decoded with ffmpeg).</summary>
public sealed class WorldTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("videoautor1-world-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void The_same_seed_gives_the_same_scenes_and_no_test_scene_is_a_training_scene()
    {
        var first = WorldGenerator.Generate(WorldSplit.Train, 50, seed: 3).Select(s => s.Description).ToArray();
        var again = WorldGenerator.Generate(WorldSplit.Train, 50, seed: 3).Select(s => s.Description).ToArray();
        var other = WorldGenerator.Generate(WorldSplit.Train, 50, seed: 4).Select(s => s.Description).ToArray();
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);

        // Test scenes drawn with any seed never equal training scenes drawn with another.
        var test = WorldGenerator.Generate(WorldSplit.Test, 50, seed: 4).Select(s => s.Description).ToHashSet();
        Assert.Empty(test.Intersect(first));
        Assert.Empty(test.Intersect(other));
        Assert.Equal(6 * 50, test.Count);
    }

    [Fact]
    public void Every_clip_has_the_drawn_format()
    {
        var scenes = WorldGenerator.Generate(WorldSplit.Test, 2, seed: 11);
        foreach (var scene in scenes)
        {
            var path = Render(scene);
            var probe = Run("ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "stream=codec_name,pix_fmt,width,height,r_frame_rate",
                "-show_entries", "format=duration", "-of", "default=nw=1", path);
            Assert.Contains("codec_name=h264", probe);
            Assert.Contains("pix_fmt=yuv420p", probe);
            Assert.Contains($"width={scene.Format.Width}\n", probe);
            Assert.Contains($"height={scene.Format.Height}\n", probe);
            Assert.Contains($"r_frame_rate={scene.Format.Fps}/1", probe);
            var duration = double.Parse(probe.Split("duration=")[1].Split('\n')[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(duration, scene.Format.Seconds - 0.05, scene.Format.Seconds + 0.05);
            Assert.InRange(scene.Format.Width, 96, 320);
            Assert.InRange(scene.Format.Fps, 10, 30);
        }
    }

    [Fact]
    public void Colour_clips_show_their_colour()
    {
        foreach (var scene in WorldGenerator.Generate(WorldFamily.Colour, WorldSplit.Test, 8, seed: 5).Cast<ColourScene>())
        {
            var frames = Frames(scene, side: 4);
            Assert.All(frames, f => Assert.Equal(scene.Colour, Nearest(Mean(f), ColourScene.Palette)));
            Assert.Contains(scene.Colour, scene.Options);
            Assert.Equal(scene.Options.ToList().IndexOf(scene.Colour), scene.Answer[0] - 'A');
        }
    }

    [Fact]
    public void Count_and_order_clips_show_one_colour_per_second()
    {
        var scenes = WorldGenerator.Generate(WorldFamily.Count, WorldSplit.Test, 4, seed: 5).Cast<CountScene>().Select(s => (Scene: (WorldScene)s, s.Colours))
            .Concat(WorldGenerator.Generate(WorldFamily.Order, WorldSplit.Test, 4, seed: 5).Cast<OrderScene>().Select(s => (Scene: (WorldScene)s, s.Colours)));
        foreach (var (scene, colours) in scenes)
        {
            var frames = Frames(scene, side: 4);
            for (var second = 0; second < colours.Count; second++)
            {
                // The middle frame of each second.
                var frame = frames[(int)((second + 0.5) * scene.Format.Fps)];
                Assert.Equal(colours[second], Nearest(Mean(frame), WorldScene.SequenceColours));
            }
        }

        var count = (CountScene)WorldGenerator.Generate(WorldFamily.Count, WorldSplit.Test, 1, seed: 5)[0];
        Assert.Equal(count.Colours.Count(c => c == count.Target).ToString(System.Globalization.CultureInfo.InvariantCulture), count.Answer);
    }

    [Fact]
    public void Grounding_clips_are_green_exactly_over_their_answer()
    {
        foreach (var scene in WorldGenerator.Generate(WorldFamily.Grounding, WorldSplit.Test, 4, seed: 5).Cast<GroundingScene>())
        {
            var frames = Frames(scene, side: 4);
            Assert.Equal(scene.Format.Seconds * scene.Format.Fps, frames.Count);
            for (var i = 0; i < frames.Count; i++)
            {
                var t = (double)i / scene.Format.Fps;
                var expected = t >= scene.Start && t < scene.End ? "green" : "gray";
                Assert.Equal(expected, Nearest(Mean(frames[i]), ["green", "gray"]));
            }
        }
    }

    [Fact]
    public void Motion_clips_move_the_square_towards_the_answer_edge()
    {
        foreach (var scene in WorldGenerator.Generate(WorldFamily.Motion, WorldSplit.Test, 8, seed: 5).Cast<MotionScene>())
        {
            var frames = Frames(scene, side: 32);
            var (x0, y0) = Bright(frames[0]);
            var (x1, y1) = Bright(frames[^1]);
            var moved = Math.Abs(x1 - x0) > Math.Abs(y1 - y0)
                ? (x1 > x0 ? "right" : "left")
                : (y1 > y0 ? "down" : "up");
            Assert.Equal(scene.Direction, moved);
        }
    }

    private string Render(WorldScene scene) => new WorldRenderer().RenderAsync(scene, _directory).GetAwaiter().GetResult();

    /// <summary>Every frame of the scene's clip scaled to side x side rgb24.</summary>
    private List<byte[]> Frames(WorldScene scene, int side)
    {
        var path = Render(scene);
        var raw = Path.Combine(_directory, Path.GetFileNameWithoutExtension(path) + $"-{side}.rgb");
        Run("ffmpeg", "-v", "error", "-y", "-i", path, "-vf", $"scale={side}:{side}:flags=area", "-f", "rawvideo", "-pix_fmt", "rgb24", raw);
        var bytes = File.ReadAllBytes(raw);
        var size = side * side * 3;
        return Enumerable.Range(0, bytes.Length / size).Select(i => bytes[(i * size)..((i + 1) * size)]).ToList();
    }

    private static readonly Dictionary<string, (double R, double G, double B)> Named = new()
    {
        ["red"] = (255, 0, 0),
        ["green"] = (0, 128, 0),
        ["blue"] = (0, 0, 255),
        ["yellow"] = (255, 255, 0),
        ["white"] = (255, 255, 255),
        ["black"] = (0, 0, 0),
        ["orange"] = (255, 165, 0),
        ["purple"] = (128, 0, 128),
        ["gray"] = (128, 128, 128),
    };

    private static (double R, double G, double B) Mean(byte[] rgb)
    {
        var pixels = rgb.Length / 3;
        return (Enumerable.Range(0, pixels).Average(p => rgb[3 * p]), Enumerable.Range(0, pixels).Average(p => rgb[(3 * p) + 1]),
            Enumerable.Range(0, pixels).Average(p => rgb[(3 * p) + 2]));
    }

    private static string Nearest((double R, double G, double B) colour, IEnumerable<string> names) =>
        names.MinBy(n => Math.Pow(Named[n].R - colour.R, 2) + Math.Pow(Named[n].G - colour.G, 2) + Math.Pow(Named[n].B - colour.B, 2))!;

    /// <summary>Centroid of the bright pixels of a square frame.</summary>
    private static (double X, double Y) Bright(byte[] rgb)
    {
        var side = (int)Math.Sqrt(rgb.Length / 3);
        var bright = Enumerable.Range(0, side * side).Where(p => rgb[3 * p] > 60).ToArray();
        Assert.NotEmpty(bright);
        return (bright.Average(p => p % side), bright.Average(p => p / side));
    }

    private static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} failed: {error.Result}");
        return output.Result;
    }
}
