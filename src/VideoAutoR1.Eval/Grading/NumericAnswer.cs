using System.Globalization;
using System.Text.RegularExpressions;
using VideoAutoR1.Core;

namespace VideoAutoR1.Eval.Grading;

/// <summary>Reads a numeric answer: the first number in the text (<c>12</c>, <c>-3.5</c>, <c>1,024</c>, <c>2e3</c>, <c>\frac{1}{2}</c>, <c>40%</c> is 40).</summary>
public static partial class NumericAnswer
{
    public static bool TryParse(string? text, out double value)
    {
        value = 0;
        var match = Number().Match(text ?? "");
        if (!match.Success)
        {
            return false;
        }

        if (match.Groups["num"].Success)
        {
            var a = Parse(match.Groups["num"].Value);
            var b = Parse(match.Groups["den"].Value);
            value = a / b;
            return b != 0;
        }

        value = Parse(match.Groups["plain"].Value.Replace(",", "", StringComparison.Ordinal));
        return true;
    }

    /// <summary>Equal within <paramref name="absolute"/> or <paramref name="relative"/> × |truth|.</summary>
    public static bool WithinTolerance(double predicted, double truth, double absolute, double relative) =>
        Math.Abs(predicted - truth) <= Math.Max(absolute, relative * Math.Abs(truth));

    private static double Parse(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"\\d?frac\{\s*(?<num>[-+]?[0-9]+(?:\.[0-9]+)?)\s*\}\{\s*(?<den>[-+]?[0-9]+(?:\.[0-9]+)?)\s*\}|(?<plain>[-+]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)")]
    private static partial Regex Number();
}
