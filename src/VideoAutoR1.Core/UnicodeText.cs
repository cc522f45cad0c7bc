namespace VideoAutoR1.Core;

/// <summary>Unicode helpers that never throw on malformed text; public for the graders (Eval) as well.</summary>
public static class UnicodeText
{
    /// <summary>
    /// <see cref="string.Normalize(System.Text.NormalizationForm)"/> that does not throw: unpaired surrogates become
    /// U+FFFD first, as decoding such text to UTF-8 would make them.
    /// </summary>
    public static string Normalize(string text, System.Text.NormalizationForm form)
    {
        if (!IsWellFormed(text))
        {
            var chars = text.ToCharArray();
            for (var i = 0; i < chars.Length; i++)
            {
                if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
                {
                    i++;
                }
                else if (char.IsSurrogate(chars[i]))
                {
                    chars[i] = '\uFFFD';
                }
            }

            text = new string(chars);
        }

        return text.IsNormalized(form) ? text : text.Normalize(form);
    }

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
