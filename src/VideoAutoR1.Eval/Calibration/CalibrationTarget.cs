using System.Globalization;
using VideoAutoR1.Core;

namespace VideoAutoR1.Eval.Calibration;

/// <summary>What τ is chosen for: the highest accuracy, a think-rate budget, or accuracy close to always thinking.</summary>
public abstract record CalibrationTarget
{
    private CalibrationTarget()
    {
    }

    /// <summary>Highest accuracy; ties go to fewer tokens.</summary>
    public sealed record Best : CalibrationTarget;

    /// <summary>Highest accuracy among the τ that think on at most <see cref="Rate"/> of the items; ties go to fewer tokens.</summary>
    public sealed record ThinkRate(double Rate) : CalibrationTarget;

    /// <summary>Fewest tokens among the τ whose accuracy is within <see cref="Epsilon"/> of always thinking.</summary>
    public sealed record NearAlwaysThink(double Epsilon) : CalibrationTarget;

    /// <summary><c>best</c>, <c>think-rate:R</c> or <c>within:ε</c> (R and ε fractions in [0, 1]).</summary>
    public static CalibrationTarget Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == "best")
        {
            return new Best();
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && double.TryParse(text[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 1)
        {
            switch (text[..colon])
            {
                case "think-rate":
                    return new ThinkRate(value);
                case "within":
                    return new NearAlwaysThink(value);
            }
        }

        throw new VideoQaException(ErrorKind.InvalidArgument, "target_invalid", $"--target must be best, think-rate:R or within:E with R, E in [0, 1], got '{text}'");
    }

    /// <summary>
    /// The recommended point of <paramref name="grid"/>, or null when no τ meets the target (a think-rate budget below
    /// what the always-thinking fallback answers alone cost).
    /// </summary>
    public CalibrationPoint? Choose(IReadOnlyList<CalibrationPoint> grid, CalibrationPoint alwaysThink)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(alwaysThink);
        var eligible = this switch
        {
            ThinkRate budget => grid.Where(p => p.ThinkRate <= budget.Rate + 1e-12),
            NearAlwaysThink near => grid.Where(p => p.Accuracy >= alwaysThink.Accuracy - near.Epsilon - 1e-12),
            _ => grid,
        };
        var ordered = this is NearAlwaysThink
            ? eligible.OrderBy(p => p.MeanTokens).ThenBy(p => p.Tau)
            : eligible.OrderByDescending(p => p.Accuracy).ThenBy(p => p.MeanTokens).ThenBy(p => p.Tau);
        return ordered.FirstOrDefault();
    }

    public sealed override string ToString() => this switch
    {
        ThinkRate budget => string.Create(CultureInfo.InvariantCulture, $"think rate at most {budget.Rate:P1}"),
        NearAlwaysThink near => string.Create(CultureInfo.InvariantCulture, $"accuracy within {near.Epsilon:P1} of always thinking, fewest tokens"),
        _ => "highest accuracy",
    };
}
