using System.Text.Json;

namespace VideoAutoR1.Cli.Tests;

/// <summary>
/// The shipped default model on clips rendered here, with a seed and split it was not trained on, through the
/// commands a user runs: <c>world</c> renders them, <c>eval</c> answers them in auto mode with the engine.
/// </summary>
public sealed class DefaultModelTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void It_answers_fresh_colour_and_count_clips()
    {
        var world = Cli.Run("world", "--out", _temp["clips"], "--split", "test", "--families", "colour,count", "--per-family", "6", "--seed", "4242");
        Assert.True(world.ExitCode == 0, world.ToString());
        var eval = Cli.Run("eval", "--data", _temp[Path.Combine("clips", "items.jsonl")], "--video-root", _temp["clips"], "--out", _temp["results.jsonl"], "--no-progress");
        Assert.True(eval.ExitCode == 0, eval.ToString());

        var results = File.ReadAllLines(_temp["results.jsonl"]).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(12, results.Length);
        int Correct(string family) => results.Count(r => r.GetProperty("id").GetString()!.StartsWith(family, StringComparison.Ordinal)
            && r.GetProperty("correct_final").GetBoolean());

        // Colour is answered at a glance, mostly with an early exit.
        Assert.True(Correct("colour") == 6, eval.ToString() + string.Join('\n', results));
        Assert.Contains(results, r => r.GetProperty("id").GetString()!.StartsWith("colour", StringComparison.Ordinal) && !r.GetProperty("thought").GetBoolean());

        // Counting always goes through the rationale. The model counts badly (35 % on its test split, the model card's
        // open gap), so this pins the behaviour and a floor well above guessing an integer, not the goal of 75 %.
        var counts = results.Where(r => r.GetProperty("id").GetString()!.StartsWith("count", StringComparison.Ordinal)).ToArray();
        Assert.All(counts, r => Assert.True(r.GetProperty("thought").GetBoolean() && r.GetProperty("rationale").GetString()!.StartsWith("The screens are", StringComparison.Ordinal)));
        Assert.True(Correct("count") >= 2, string.Join('\n', results));
    }
}
