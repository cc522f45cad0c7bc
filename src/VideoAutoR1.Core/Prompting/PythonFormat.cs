using System.Globalization;
using System.Numerics;

namespace VideoAutoR1.Core.Prompting;

/// <summary>
/// Python's <c>f"{x:.Nf}"</c>: the exact binary value of the double rounded to N decimals, ties to even
/// (1.625 → "1.6", 0.25 → "0.2"); .NET's "F" format rounds ties away from zero.
/// </summary>
public static class PythonFormat
{
    public static string Fixed(double value, int decimals)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "only finite values are formatted");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(decimals);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(decimals, 15);

        // value = mantissa · 2^exponent exactly; scaled = value · 10^decimals as a fraction numerator / denominator.
        var bits = BitConverter.DoubleToInt64Bits(Math.Abs(value));
        var exponentBits = (int)((bits >> 52) & 0x7FF);
        var mantissa = bits & 0xFFFFFFFFFFFFFL;
        if (exponentBits != 0)
        {
            mantissa |= 1L << 52;
        }

        var exponent = (exponentBits == 0 ? 1 : exponentBits) - 1075;
        var numerator = new BigInteger(mantissa) * BigInteger.Pow(10, decimals);
        var denominator = BigInteger.One;
        if (exponent >= 0)
        {
            numerator <<= exponent;
        }
        else
        {
            denominator <<= -exponent;
        }

        var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
        var twice = remainder * 2;
        if (twice > denominator || (twice == denominator && !quotient.IsEven))
        {
            quotient += 1;
        }

        var digits = quotient.ToString(CultureInfo.InvariantCulture).PadLeft(decimals + 1, '0');
        var text = decimals == 0 ? digits : $"{digits[..^decimals]}.{digits[^decimals..]}";
        return value < 0 || (value == 0 && double.IsNegative(value)) ? "-" + text : text;
    }
}
