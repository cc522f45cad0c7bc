using System.ComponentModel.DataAnnotations;

namespace VideoAutoR1.Training;

/// <summary>The training recipe's knobs (defaults: the shipped model). Validated once, before any work.</summary>
public sealed record TrainingOptions
{
    public int Seed { get; init; } = 2;

    /// <summary>Training clips per family.</summary>
    [Range(1, 100_000)]
    public int TrainPerFamily { get; init; } = 200;

    /// <summary>Validation clips per family, scored greedily during training.</summary>
    [Range(1, 10_000)]
    public int ValidationPerFamily { get; init; } = 10;

    [Range(0, 1_000_000)]
    public int WarmupSteps { get; init; } = 2600;

    [Range(1, 1024)]
    public int WarmupBatch { get; init; } = 16;

    [Range(1e-6, 1)]
    public double WarmupLearningRate { get; init; } = 3e-3;

    [Range(0, 1_000_000)]
    public int GrpoSteps { get; init; } = 60;

    /// <summary>Prompts per GRPO step; each gets <see cref="Rollouts"/> completions.</summary>
    [Range(1, 1024)]
    public int GrpoPrompts { get; init; } = 4;

    /// <summary>Group size (the paper: 16).</summary>
    [Range(2, 256)]
    public int Rollouts { get; init; } = 8;

    [Range(1e-7, 1)]
    public double GrpoLearningRate { get; init; } = 2e-4;

    /// <summary>KL coefficient against the warm-up model (the paper's beta 0.01).</summary>
    [Range(0, 10)]
    public double KlBeta { get; init; } = 0.01;

    [Range(0.05, 5)]
    public double Temperature { get; init; } = 1.0;

    /// <summary>τ of the auto-mode statistics logged during training (the serving default).</summary>
    [Range(0.0, 1.0)]
    public double Threshold { get; init; } = 0.97;

    [Range(8, 4096)]
    public int MaxNewTokens { get; init; } = 96;

    /// <summary>Steps between greedy validation passes.</summary>
    [Range(1, 1_000_000)]
    public int EvaluateEvery { get; init; } = 100;

    /// <summary>
    /// Torch intra-op threads. One by default: the model's matrices are small, and on a shared machine two threads
    /// wait on each other at every parallel region whenever another process holds a core.
    /// </summary>
    [Range(1, 256)]
    public int TorchThreads { get; init; } = 1;

    /// <summary>
    /// A model directory written by an earlier run to continue from (its tokenizer, configs and weights) instead of a
    /// fresh compact tokenizer and random weights; null starts from scratch.
    /// </summary>
    public string? InitFrom { get; init; }

    public MiniModelRecipe Recipe { get; init; } = new();

    public void Validate() => Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
}
