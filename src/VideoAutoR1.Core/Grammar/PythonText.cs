namespace VideoAutoR1.Core.Grammar;

/// <summary>
/// Python's notion of whitespace (<c>str.isspace</c>, <c>str.strip</c>, Unicode <c>re</c> <c>\s</c>), which the
/// reference code uses; .NET's <see cref="char.IsWhiteSpace(char)"/> differs on U+001C..U+001F. Public for the graders
/// (Eval), which must split and strip answers exactly as the reference does.
/// </summary>
public static class PythonText
{
    /// <summary>Regex class of the characters <see cref="IsSpace"/> accepts (Python's Unicode <c>\s</c>).</summary>
    public const string SpaceClass = @"[\t\n\v\f\r\x1C-\x20\x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";

    /// <summary>Regex class of everything else (Python's <c>\S</c>).</summary>
    public const string NonSpaceClass = @"[^\t\n\v\f\r\x1C-\x20\x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";

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

    /// <summary><c>str.split()</c> with no argument: the runs of non-whitespace.</summary>
    public static IEnumerable<string> Split(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var space = i == text.Length || IsSpace(text[i]);
            if (!space && start < 0)
            {
                start = i;
            }
            else if (space && start >= 0)
            {
                yield return text[start..i];
                start = -1;
            }
        }
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
