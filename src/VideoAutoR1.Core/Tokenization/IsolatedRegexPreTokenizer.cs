using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace VideoAutoR1.Core.Tokenization;

/// <summary>
/// Hugging Face <c>Split</c> pre-tokenizer with <c>behavior: Isolated</c>: every regex match is a piece, and so is
/// every stretch of text between matches. (ML.NET's <see cref="RegexPreTokenizer"/> keeps only the matches.)
/// </summary>
/// <remarks>
/// Hugging Face's regex engine (Oniguruma) sees code points; .NET's sees UTF-16 units, so <c>\p{L}</c> never matches
/// half of a surrogate pair and <c>𝐀</c> (U+1D400, a letter) would not count as a letter. Text holding supplementary
/// characters is therefore matched on a stand-in where each of them is one BMP character of the same general
/// category, and the pieces are mapped back to the original offsets.
/// </remarks>
internal sealed class IsolatedRegexPreTokenizer(Regex regex) : PreTokenizer
{
    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) =>
        string.IsNullOrEmpty(text) ? [] : PreTokenize(text.AsSpan());

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text)
    {
        if (!text.ContainsAnyInRange('\uD800', '\uDFFF'))
        {
            return Split(text, offsets: null);
        }

        var (standIn, offsets) = BmpStandIn(text);
        return Split(standIn, offsets);
    }

    /// <summary>Splits <paramref name="text"/>; <paramref name="offsets"/>[i] is the original offset of stand-in char i.</summary>
    private List<(int, int)> Split(ReadOnlySpan<char> text, int[]? offsets)
    {
        var pieces = new List<(int, int)>();
        var end = 0;
        foreach (var match in regex.EnumerateMatches(text))
        {
            if (match.Length == 0)
            {
                continue;
            }

            if (match.Index > end)
            {
                pieces.Add(Piece(end, match.Index, offsets));
            }

            pieces.Add(Piece(match.Index, match.Index + match.Length, offsets));
            end = match.Index + match.Length;
        }

        if (end < text.Length)
        {
            pieces.Add(Piece(end, text.Length, offsets));
        }

        return pieces;
    }

    private static (int, int) Piece(int start, int end, int[]? offsets) =>
        offsets is null ? (start, end - start) : (offsets[start], offsets[end] - offsets[start]);

    private static (string StandIn, int[] Offsets) BmpStandIn(ReadOnlySpan<char> text)
    {
        var standIn = new char[text.Length];
        var offsets = new int[text.Length + 1];
        var count = 0;
        for (var i = 0; i < text.Length; i++)
        {
            offsets[count] = i;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                standIn[count++] = Representative(CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(text[i], text[i + 1])));
                i++;
            }
            else
            {
                standIn[count++] = text[i];
            }
        }

        offsets[count] = text.Length;
        return (new string(standIn, 0, count), offsets);
    }

    /// <summary>A BMP character of the given general category that no tokenizer pattern spells out literally.</summary>
    internal static char Representative(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter => '\u0182',
        UnicodeCategory.LowercaseLetter => '\u0183',
        UnicodeCategory.TitlecaseLetter => '\u01C5',
        UnicodeCategory.ModifierLetter => '\u02B0',
        UnicodeCategory.OtherLetter => '\u01BB',
        UnicodeCategory.NonSpacingMark => '\u0300',
        UnicodeCategory.SpacingCombiningMark => '\u0903',
        UnicodeCategory.EnclosingMark => '\u20DD',
        UnicodeCategory.DecimalDigitNumber => '\u0660',
        UnicodeCategory.LetterNumber => '\u2160',
        UnicodeCategory.OtherNumber => '\u00B2',
        UnicodeCategory.SpaceSeparator => '\u2000',
        UnicodeCategory.LineSeparator => '\u2028',
        UnicodeCategory.ParagraphSeparator => '\u2029',
        UnicodeCategory.Control => '\u0001',
        UnicodeCategory.Format => '\u00AD',
        UnicodeCategory.PrivateUse => '\uE000',
        UnicodeCategory.ConnectorPunctuation => '\u203F',
        UnicodeCategory.DashPunctuation => '\u2010',
        UnicodeCategory.OpenPunctuation => '\u2045',
        UnicodeCategory.ClosePunctuation => '\u2046',
        UnicodeCategory.InitialQuotePunctuation => '\u2039',
        UnicodeCategory.FinalQuotePunctuation => '\u203A',
        UnicodeCategory.OtherPunctuation => '\u00B6',
        UnicodeCategory.MathSymbol => '\u00AC',
        UnicodeCategory.CurrencySymbol => '\u00A2',
        UnicodeCategory.ModifierSymbol => '\u00B4',
        UnicodeCategory.OtherSymbol => '\u00A9',
        _ => '\u0378', // OtherNotAssigned (Surrogate cannot occur: pairs were combined above)
    };
}
