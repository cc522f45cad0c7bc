using System.Globalization;
using System.Text.RegularExpressions;
using VideoAutoR1.Core;

namespace VideoAutoR1.Eval.Grading;

/// <summary>A stretch of the video in seconds.</summary>
public readonly record struct TimeSegment(double Start, double End)
{
    /// <summary>
    /// 1-D IoU as the reference <c>compute_iou</c> (tg_grader.py): endpoints swapped into order, a zero-length
    /// prediction (this instance) scores 0.
    /// </summary>
    public double Iou(TimeSegment truth)
    {
        var (ps, pe) = Start <= End ? (Start, End) : (End, Start);
        var (gs, ge) = truth.Start <= truth.End ? (truth.Start, truth.End) : (truth.End, truth.Start);
        const double eps = 1e-9;
        var predicted = Math.Max(0, pe - ps);
        if (predicted <= eps)
        {
            return 0;
        }

        var intersection = Math.Max(0, Math.Min(ge, pe) - Math.Max(gs, ps));
        var union = Math.Max(0, ge - gs) + predicted - intersection;
        return union <= eps ? 0 : intersection / union;
    }

    /// <summary>Best IoU against any of the ground-truth segments.</summary>
    public double BestIou(IReadOnlyList<TimeSegment> truths) => truths.Count == 0 ? 0 : truths.Max(Iou);
}

/// <summary>
/// Finds the first interval in free text like the reference <c>parse_timestamps_from_string</c>:
/// <c>[a, b]</c>, <c>(a - b)</c>, <c>a to b</c>, … with separators <c>, - – — to and</c>; numbers are plain seconds.
/// </summary>
public static partial class TimestampParser
{
    public static bool TryParse(string? text, out TimeSegment segment)
    {
        segment = default;
        var match = Interval().Match(text ?? "");
        if (!match.Success)
        {
            return false;
        }

        var start = Number(FirstSuccessful(match, "sb", "sp", "s"));
        var end = Number(FirstSuccessful(match, "eb", "ep", "e"));
        segment = start <= end ? new TimeSegment(start, end) : new TimeSegment(end, start);
        return true;
    }

    private static string FirstSuccessful(Match match, params string[] groups) =>
        groups.Select(g => match.Groups[g]).First(g => g.Success).Value;

    // Python's float() accepts any Unicode decimal digits, as \d matched them.
    private static double Number(string text) =>
        double.Parse(
            string.Concat(text.Select(c => c == '.' ? '.' : (char)('0' + CharUnicodeInfo.GetDecimalDigitValue(c)))),
            NumberStyles.AllowDecimalPoint,
            CultureInfo.InvariantCulture);

    private const string Num = @"(?:\d+(?:\.\d+)?)";
    private const string Sep = @"(?:,|-|–|—|\bto\b|\band\b)";

    [GeneratedRegex(
        $@"(?<![\d.])(?:\[\s*(?<sb>{Num})\s*{Sep}\s*(?<eb>{Num})\s*\]|\(\s*(?<sp>{Num})\s*{Sep}\s*(?<ep>{Num})\s*\)|(?<s>{Num})\s*{Sep}\s*(?<e>{Num}))(?![\d.])",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Interval();
}
