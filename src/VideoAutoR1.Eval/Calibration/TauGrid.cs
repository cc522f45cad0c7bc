using System.Globalization;
using VideoAutoR1.Core;

namespace VideoAutoR1.Eval.Calibration;

/// <summary>The τ values a calibration sweeps.</summary>
public static class TauGrid
{
    /// <summary>
    /// 0.01 … 1.00 by 0.01, and 0.991 … 0.999 by 0.001 where a trained model's confidences crowd (the released
    /// checkpoints use 0.97 and 0.98).
    /// </summary>
    public static IReadOnlyList<double> Default { get; } =
        [.. Enumerable.Range(1, 100).Select(i => i / 100.0).Concat(Enumerable.Range(991, 9).Select(i => i / 1000.0)).Order()];

    /// <summary><c>start:step:end</c> (inclusive) or a comma-separated list; every τ in (0, 1].</summary>
    public static IReadOnlyList<double> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':');
        double[] taus;
        if (parts.Length == 3 && parts.All(p => TryNumber(p, out _)))
        {
            TryNumber(parts[0], out var start);
            TryNumber(parts[1], out var step);
            TryNumber(parts[2], out var end);
            if (!(step > 0) || end < start || (end - start) / step > 100_000)
            {
                throw GridInvalid(text);
            }

            var count = (int)Math.Floor(((end - start) / step) + 1e-9) + 1;
            taus = [.. Enumerable.Range(0, count).Select(i => Math.Round(start + (i * step), 12))];
        }
        else
        {
            var values = text.Split(',').Select(p => TryNumber(p, out var v) ? v : double.NaN).ToArray();
            taus = values.Any(double.IsNaN) ? throw GridInvalid(text) : values;
        }

        return taus.Length > 0 && taus.All(t => t is > 0 and <= 1) ? [.. taus.Distinct().Order()] : throw GridInvalid(text);
    }

    private static bool TryNumber(string text, out double value) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    private static VideoQaException GridInvalid(string text) =>
        VideoQaException.InvalidArgument("grid_invalid", "grid", $"--grid must be start:step:end or a comma list of τ in (0, 1], got '{text}'");
}
