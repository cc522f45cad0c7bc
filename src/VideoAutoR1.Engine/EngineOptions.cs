using System.ComponentModel.DataAnnotations;

namespace VideoAutoR1.Engine;

/// <summary>Engine limits and defaults, bound from the "Engine" configuration section and validated at start.</summary>
public sealed class EngineOptions : IValidatableObject
{
    public const string SectionName = "Engine";

    /// <summary>Checkpoint directory (config.json, model.safetensors, tokenizer.json). Empty = the default model.</summary>
    public string? ModelDirectory { get; set; }

    /// <summary>Name reported in results and metric labels. Empty = the model directory's name.</summary>
    public string? ModelId { get; set; }

    /// <summary>Weights and KV-cache dtype: float32 (CPU fidelity), bfloat16 or float16.</summary>
    [RegularExpression("^(float32|bfloat16|float16)$")]
    public string DType { get; set; } = "float32";

    /// <summary>Torch device, e.g. "cpu" or "cuda:0".</summary>
    [Required]
    public string Device { get; set; } = "cpu";

    /// <summary>libtorch intra-op threads on CPU; 0 keeps libtorch's default.</summary>
    [Range(0, 1024)]
    public int TorchThreads { get; set; }

    /// <summary>Sequences decoded together (= KV-cache slots).</summary>
    [Range(1, 256)]
    public int MaxBatchSize { get; set; } = 8;

    /// <summary>Requests waiting for a slot before new ones are refused with Overloaded.</summary>
    [Range(1, 100_000)]
    public int MaxQueueLength { get; set; } = 64;

    /// <summary>KV-cache capacity of one slot: prompt + video + generated tokens. Larger prompts are refused at once.</summary>
    [Range(64, 1_048_576)]
    public int MaxTokensPerSequence { get; set; } = 8192;

    /// <summary>Prompt tokens (text + video) prefilled in one engine step, bounding vision-tower and prefill memory.</summary>
    [Range(64, 1_048_576)]
    public int MaxPrefillTokensPerStep { get; set; } = 16384;

    /// <summary>τ when the request gives none (0.97 for VideoAuto-R1-Qwen2.5-VL-7B).</summary>
    [Range(double.Epsilon, 1.0)]
    public double DefaultThreshold { get; set; } = 0.97;

    /// <summary>max_new_tokens when the request gives none (the reference eval forces 4096).</summary>
    [Range(1, 1_048_576)]
    public int DefaultMaxNewTokens { get; set; } = 4096;

    /// <summary>Highest max_new_tokens a request gets; a request asking more is lowered to it.</summary>
    [Range(1, 1_048_576)]
    public int MaxNewTokensCap { get; set; } = 4096;

    /// <summary>Time limit when the request gives none, from arrival (includes media and queue time).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest time limit a request gets; a request asking more is lowered to it.</summary>
    public TimeSpan MaxRequestTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The drain budget: on shutdown (SIGTERM) the engine stops admitting at once and lets accepted requests finish
    /// for this long, then fails the rest with Unavailable "shutting_down" (503, SSE "error" event, gRPC UNAVAILABLE).
    /// The host's shutdown timeout is set <see cref="HostShutdownMargin"/> above it, so the drain always ends first.
    /// </summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Time after the drain for failed responses to be written and the process to exit.</summary>
    public static readonly TimeSpan HostShutdownMargin = TimeSpan.FromSeconds(10);

    /// <summary>Retry hint attached to Overloaded errors.</summary>
    public TimeSpan OverloadRetryAfter { get; set; } = TimeSpan.FromSeconds(2);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RequestTimeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be positive", [nameof(RequestTimeout)]);
        }

        if (MaxRequestTimeout < RequestTimeout)
        {
            yield return new ValidationResult("must be at least Engine:RequestTimeout", [nameof(MaxRequestTimeout)]);
        }

        if (DefaultMaxNewTokens > MaxNewTokensCap)
        {
            yield return new ValidationResult("must not exceed Engine:MaxNewTokensCap", [nameof(DefaultMaxNewTokens)]);
        }

        if (ShutdownGrace < TimeSpan.Zero || ShutdownGrace > TimeSpan.FromMinutes(30))
        {
            yield return new ValidationResult("must be between 0 and 30 minutes", [nameof(ShutdownGrace)]);
        }

        if (OverloadRetryAfter <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be positive", [nameof(OverloadRetryAfter)]);
        }
    }
}
