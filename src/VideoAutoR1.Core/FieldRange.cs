using System.Globalization;

namespace VideoAutoR1.Core;

/// <summary>
/// One row of the request-ranges table: a caller-set field, the interval its values must lie in, the setting that
/// caps it (values above the cap are lowered to it, never refused) and the code a value outside the interval is
/// refused with. The layer that owns a rule declares its rows (the engine's generation knobs, the media layer's
/// sampling knobs); the resolver, the README table and the OpenAPI schema all read the same rows.
/// </summary>
/// <param name="Field">The wire name, e.g. <c>threshold</c> or <c>sampling.fps</c>.</param>
/// <param name="Code">The error code of a value outside [<paramref name="Min"/>, <paramref name="Max"/>].</param>
/// <param name="Min">Lower bound (<see cref="double.NegativeInfinity"/> for none).</param>
/// <param name="Max">Upper bound (<see cref="double.PositiveInfinity"/> for none).</param>
/// <param name="MinExclusive">True when <paramref name="Min"/> itself is refused.</param>
/// <param name="MaxExclusive">True when <paramref name="Max"/> itself is refused.</param>
/// <param name="Default">Where the value comes from when the caller gives none (a setting name or a constant).</param>
/// <param name="Cap">The setting whose value the field is lowered to when above it; null when nothing caps it.</param>
public sealed record FieldRange(
    string Field,
    string Code,
    double Min,
    double Max,
    bool MinExclusive = false,
    bool MaxExclusive = false,
    string Default = "",
    string? Cap = null)
{
    /// <summary>True when <paramref name="value"/> lies in the interval (NaN never does).</summary>
    public bool Contains(double value) =>
        (MinExclusive ? value > Min : value >= Min) && (MaxExclusive ? value < Max : value <= Max);

    /// <summary>The interval in mathematical notation, e.g. <c>(0, 1]</c> or <c>[1, ∞)</c>.</summary>
    public string Interval =>
        string.Create(CultureInfo.InvariantCulture, $"{(MinExclusive || double.IsInfinity(Min) ? "(" : "[")}{Bound(Min)}, {Bound(Max)}{(MaxExclusive || double.IsInfinity(Max) ? ")" : "]")}");

    /// <summary>Returns <paramref name="value"/> when it lies in the interval, else refuses it with <see cref="Code"/>.</summary>
    public double Check(double value) =>
        Contains(value)
            ? value
            : throw VideoQaException.InvalidArgument(Code, Field, string.Create(CultureInfo.InvariantCulture, $"{Field} must be in {Interval}, got {value}."));

    /// <summary>The integer form of <see cref="Check(double)"/>.</summary>
    public int Check(int value) => (int)Check((double)value);

    private static string Bound(double value) =>
        double.IsPositiveInfinity(value) ? "∞" : double.IsNegativeInfinity(value) ? "-∞" : value.ToString("0.###", CultureInfo.InvariantCulture);
}
