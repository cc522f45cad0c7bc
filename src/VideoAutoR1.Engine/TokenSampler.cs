using TorchSharp;
using static TorchSharp.torch;

namespace VideoAutoR1.Engine;

/// <summary>
/// Per-request token choice: greedy (temperature 0, the default) or temperature + nucleus sampling with the request's
/// own seeded random source, so a seeded request reproduces whatever else shares its batch.
/// </summary>
public sealed class TokenSampler
{
    private readonly double _temperature;
    private readonly double _topP;
    private readonly Random? _random;

    public TokenSampler(double temperature, double topP, int? seed)
    {
        _temperature = temperature;
        _topP = topP;
        _random = temperature > 0 ? (seed is { } s ? new Random(s) : new Random()) : null;
    }

    public static TokenSampler Greedy { get; } = new(0, 1, null);

    public bool IsGreedy => _random is null;

    /// <summary>
    /// Chooses one token per row of <paramref name="logits"/> [B, V] and returns it with its log-probability under the
    /// raw distribution (log_softmax of the unscaled logits), which is what the early-exit confidence averages.
    /// Call inside a dispose scope.
    /// </summary>
    public static (long[] Tokens, float[] RawLogProbs) Choose(Tensor logits, IReadOnlyList<TokenSampler> samplers)
    {
        var rows = (int)logits.shape[0];
        if (rows != samplers.Count)
        {
            throw new ArgumentException($"{rows} logit rows for {samplers.Count} samplers", nameof(samplers));
        }

        var logits32 = logits.to_type(ScalarType.Float32);
        var tokens = logits32.argmax(-1).data<long>().ToArray();
        for (var row = 0; row < rows; row++)
        {
            if (!samplers[row].IsGreedy)
            {
                tokens[row] = samplers[row].Sample(logits32[row]);
            }
        }

        var chosen = torch.tensor(tokens, device: logits32.device).unsqueeze(1);
        var rawLogProbs = logits32.log_softmax(-1).gather(1, chosen).squeeze(1).cpu().data<float>().ToArray();
        return (tokens, rawLogProbs);
    }

    private long Sample(Tensor rowLogits)
    {
        var probs = (rowLogits / _temperature).softmax(-1);
        var (sorted, indices) = probs.sort(descending: true);
        // Nucleus: keep the smallest prefix whose mass reaches top_p (the first token always stays).
        var before = sorted.cumsum(0) - sorted;
        var kept = (int)(before < _topP).sum().item<long>();
        var keptProbs = sorted[..kept].cpu().data<float>().ToArray();
        var keptIds = indices[..kept].cpu().data<long>().ToArray();

        var total = 0.0;
        foreach (var p in keptProbs)
        {
            total += p;
        }

        var u = _random!.NextDouble() * total;
        for (var i = 0; i < kept; i++)
        {
            u -= keptProbs[i];
            if (u <= 0)
            {
                return keptIds[i];
            }
        }

        return keptIds[kept - 1];
    }
}
