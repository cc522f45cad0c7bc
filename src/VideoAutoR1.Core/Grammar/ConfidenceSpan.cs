using System.Text.RegularExpressions;
using VideoAutoR1.Core.Tokenization;

namespace VideoAutoR1.Core.Grammar;

/// <summary>
/// Which generated tokens carry the confidence of the first answer, exactly as the reference selects them
/// (<c>early_exit.py</c>, videoauto-r1.md §3.1): the box content only, reduced to the option letter when it starts
/// like a choice; the first exact token subsequence match of the text variants; else a position estimate by
/// re-tokenising the decoded prefix. The fallback answer has no span (confidence -1: think).
/// </summary>
public static partial class ConfidenceSpan
{
    private const string Ws = PythonText.SpaceClass;

    /// <summary>Start index and length in <paramref name="generatedIds"/>; length 0 when there is no span.</summary>
    /// <param name="generatedIds">Every token generated so far (special tokens included).</param>
    /// <param name="firstAnswer">The content of the first box.</param>
    /// <param name="decodedText">The generated tokens decoded with special tokens skipped.</param>
    public static (int Start, int Length) Find(QwenTokenizer tokenizer, IReadOnlyList<int> generatedIds, string firstAnswer, string decodedText)
    {
        if (AnswerTemplate.IsFallback(firstAnswer))
        {
            return (0, 0);
        }

        var piece = ReduceToChoiceLetter(firstAnswer);
        string[] variants = [piece, PythonText.Strip(piece), PythonText.LStrip(piece), piece.StartsWith(' ') ? piece : " " + piece];
        foreach (var variant in variants)
        {
            var ids = tokenizer.Encode(variant);
            if (ids.Length > 0 && IndexOf(generatedIds, ids) is { } start)
            {
                return (start, ids.Length);
            }
        }

        // No exact match (the content's tokens merged with a neighbour, e.g. "]}"): estimate by re-tokenising.
        foreach (var variant in variants)
        {
            var position = variant.Length == 0 ? -1 : decodedText.IndexOf(variant, StringComparison.Ordinal);
            if (position >= 0)
            {
                var start = tokenizer.Encode(decodedText[..position]).Length;
                var length = tokenizer.Encode(variant).Length;
                return start + length <= generatedIds.Count && length > 0 ? (start, length) : (0, 0);
            }
        }

        return (0, 0);
    }

    /// <summary>
    /// The reference's <c>normalize_text</c>: <c>(A)</c>, <c>[A]</c>, <c>{A}</c> or <c>A</c> followed by one of
    /// <c>. ) / : ; -</c> as a prefix, or a lone letter with an optional period, become the letter; anything else is kept.
    /// </summary>
    public static string ReduceToChoiceLetter(string content)
    {
        var match = ParenChoice().Match(content);
        if (!match.Success)
        {
            match = DelimitedChoice().Match(content);
        }

        if (!match.Success)
        {
            match = SingleLetter().Match(content);
        }

        return match.Success ? match.Groups[1].Value : content;
    }

    private static int? IndexOf(IReadOnlyList<int> haystack, int[] needle)
    {
        for (var i = 0; i + needle.Length <= haystack.Count; i++)
        {
            var j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j])
            {
                j++;
            }

            if (j == needle.Length)
            {
                return i;
            }
        }

        return null;
    }

    [GeneratedRegex($@"^{Ws}*[(\[{{]{Ws}*([A-Za-z]){Ws}*[)\]}}]")]
    private static partial Regex ParenChoice();

    [GeneratedRegex($@"^{Ws}*([A-Za-z]){Ws}*[.)/:;\-]")]
    private static partial Regex DelimitedChoice();

    [GeneratedRegex($@"^{Ws}*([A-Za-z]){Ws}*\.?{Ws}*$")]
    private static partial Regex SingleLetter();
}
