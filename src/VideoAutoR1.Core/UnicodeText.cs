namespace VideoAutoR1.Core;

internal static class UnicodeText
{
    /// <summary>False when the string holds an unpaired surrogate (it has no UTF-8 form and no token ids).</summary>
    public static bool IsWellFormed(string text)
    {
        var span = text.AsSpan();
        var first = span.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0)
        {
            return true;
        }

        for (var i = first; i < span.Length; i++)
        {
            if (char.IsHighSurrogate(span[i]) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(span[i]))
            {
                return false;
            }
        }

        return true;
    }
}
