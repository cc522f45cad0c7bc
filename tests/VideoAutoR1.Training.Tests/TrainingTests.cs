using VideoAutoR1.Engine;
using VideoAutoR1.World;

namespace VideoAutoR1.Training.Tests;

public sealed class TrainingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("videoautor1-train-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_short_run_on_the_tiny_recipe_raises_the_mean_reward_and_writes_a_servable_model()
    {
        var options = new TrainingOptions
        {
            Recipe = MiniModelRecipe.Tiny,
            TrainPerFamily = 3,
            ValidationPerFamily = 1,
            WarmupSteps = 150,
            WarmupBatch = 6,
            WarmupLearningRate = 1e-2,
            GrpoSteps = 2,
            GrpoPrompts = 2,
            Rollouts = 4,
            MaxNewTokens = 48,
            EvaluateEvery = 1000,
        };
        var result = await new Trainer(options, DefaultModel.TokenizerSourceDirectory, new WorldRenderer()).RunAsync(_directory, null, CancellationToken.None);

        // Untrained, the greedy completions follow no template (reward 0); after the warm-up they carry the format reward.
        Assert.True(result.FinalReward > result.InitialReward + 0.3, $"reward {result.InitialReward} -> {result.FinalReward}");
        foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "preprocessor_config.json", "video_preprocessor_config.json" })
        {
            Assert.True(File.Exists(Path.Combine(result.ModelDirectory, file)), file);
        }

        var curves = File.ReadAllLines(Path.Combine(_directory, "curves.csv"));
        Assert.Equal(CurvePoint.Header, curves[0]);
        Assert.Equal(150, curves.Count(l => l.StartsWith("warmup,", StringComparison.Ordinal)));
        Assert.Equal(2, curves.Count(l => l.StartsWith("grpo,", StringComparison.Ordinal)));
        Assert.True(new FileInfo(Path.Combine(_directory, "curves.png")).Length > 10_000);
    }

    [Fact]
    public void Group_normalised_advantages_are_zero_for_equal_rewards_and_centred_otherwise()
    {
        var advantages = TrainingRun.Advantages([1, 1, 1, 1, 0, 2, 0, 2], groupSize: 4);
        Assert.All(advantages.Take(4), a => Assert.Equal(0, a));
        Assert.Equal(0, advantages.Skip(4).Sum(), 9);
        Assert.True(advantages[5] > 0 && advantages[4] < 0);
        Assert.Equal(1 / (Math.Sqrt(4.0 / 3) + 1e-4), advantages[5], 9);
    }
}
