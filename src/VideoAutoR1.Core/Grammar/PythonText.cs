namespace VideoAutoR1.Core.Grammar;

/// <summary>
/// Python's notion of whitespace (<c>str.isspace</c>, <c>str.strip</c>, Unicode <c>re</c> <c>\s</c>), which the
/// reference code uses; .NET's <see cref="char.IsWhiteSpace(char)"/> differs on U+001C..U+001F.
/// </summary>
internal static class PythonText
{
    public static bool IsSpace(char c) => c switch
    {
        >= '\t' and <= '\r' or >= '\u001C' and <= ' ' or '\u0085' or '\u00A0' or '\u1680' => true,
        >= '\u2000' and <= '\u200A' or '\u2028' or '\u2029' or '\u202F' or '\u205F' or '\u3000' => true,
        _ => false,
    };

    public static bool IsBlank(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!IsSpace(c))
            {
                return false;
            }
        }

        return true;
    }

    public static string LStrip(string text)
    {
        var start = 0;
        while (start < text.Length && IsSpace(text[start]))
        {
            start++;
        }

        return text[start..];
    }

    public static string Strip(string text)
    {
        var trimmed = LStrip(text);
        var end = trimmed.Length;
        while (end > 0 && IsSpace(trimmed[end - 1]))
        {
            end--;
        }

        return trimmed[..end];
    }
}
