namespace VideoAutoR1.Core.Grammar;

/// <summary>
/// The early-exit confidence of the first answer, in one place: the mean log-probability of a1's answer span
/// (<see cref="ConfidenceSpan"/> chooses the span), its exp (the number reported and compared with τ), and the
/// decision itself, taken in log space (mean log p ≥ ln τ) so it never loses precision near 1.
/// </summary>
public static class A1Confidence
{
    /// <summary>Mean of <paramref name="logProbs"/>[start, start + length); null for an empty span (no confidence).</summary>
    public static double? LogMean(IReadOnlyList<float> logProbs, int start, int length)
    {
        ArgumentNullException.ThrowIfNull(logProbs);
        if (length <= 0)
        {
            return null;
        }

        var sum = 0.0;
        for (var i = start; i < start + length; i++)
        {
            sum += logProbs[i];
        }

        return sum / length;
    }

    /// <summary>exp(mean log p): the confidence in (0, 1] that APIs, metrics and traces report.</summary>
    public static double? Value(double? logConfidence) => logConfidence is { } log ? Math.Exp(log) : null;

    /// <summary>
    /// True when a1 is confident enough to stop at τ. No confidence (fallback answer, no span) never exits: the
    /// model thinks.
    /// </summary>
    public static bool Exits(double? logConfidence, double tau) => logConfidence is { } log && log >= Math.Log(tau);
}
