using System.Text.RegularExpressions;
using VideoAutoR1.Core.Tokenization;

namespace VideoAutoR1.Core.Grammar;

/// <summary>
/// Which generated tokens carry the confidence of the first answer, exactly as the reference selects them
/// (<c>early_exit.py</c>, docs/specs/videoauto-r1.md §3.1): the box content only, reduced to the option letter when it starts
/// like a choice; the first exact token subsequence match of the text variants; else a position estimate by
/// re-tokenising the decoded prefix. The fallback answer has no span (confidence -1: think).
/// </summary>
public static partial class ConfidenceSpan
{
    private const string Ws = PythonText.SpaceClass;

    /// <summary>Start index and length in <paramref name="generatedIds"/>; length 0 when there is no span.</summary>
    /// <param name="generatedIds">The stage-1 tokens: every token generated up to and including the one that completes
    /// <c>&lt;think&gt;</c> (or all of them when the sequence ended first), special tokens included.</param>
    /// <param name="firstAnswer">The content of the first box.</param>
    /// <param name="decodedText">The stage-1 text (special tokens skipped) before <c>&lt;think&gt;</c>.</param>
    public static (int Start, int Length) Find(QwenTokenizer tokenizer, IReadOnlyList<int> generatedIds, string firstAnswer, string decodedText)
    {
        if (AnswerTemplate.IsFallback(firstAnswer))
        {
            return (0, 0);
        }

        var variants = Variants(tokenizer, firstAnswer);
        foreach (var (_, ids) in variants)
        {
            if (ids.Length > 0 && IndexOf(generatedIds, ids) is { } start)
            {
                return (start, ids.Length);
            }
        }

        // No exact match (the content's tokens merged with a neighbour, e.g. "]}"): estimate by re-tokenising. The
        // reference searches its text with the pseudo-suffix the demo appends to make a second box.
        var answer = decodedText + "<think>\n</think>\\boxed{}";
        foreach (var (variant, ids) in variants)
        {
            var position = variant.Length == 0 ? -1 : answer.IndexOf(variant, StringComparison.Ordinal);
            if (position >= 0)
            {
                var start = tokenizer.Encode(answer[..position]).Length;
                return start + ids.Length <= generatedIds.Count && ids.Length > 0 ? (start, ids.Length) : (0, 0);
            }
        }

        return (0, 0);
    }

    /// <summary>
    /// The span when tokens generated after this point cannot change it: the fallback answer, or a match of the first
    /// variant the reference tries (the search runs from position 0, so a later token cannot come first). Null otherwise.
    /// </summary>
    internal static (int Start, int Length)? FindSettled(QwenTokenizer tokenizer, IReadOnlyList<int> generatedIds, string firstAnswer)
    {
        if (AnswerTemplate.IsFallback(firstAnswer))
        {
            return (0, 0);
        }

        var ids = Variants(tokenizer, firstAnswer).Select(v => v.Ids).FirstOrDefault(i => i.Length > 0);
        return ids is not null && IndexOf(generatedIds, ids) is { } start ? (start, ids.Length) : null;
    }

    // The reference tries the content as is, stripped, left-stripped and with a leading space, in this order.
    private static (string Text, int[] Ids)[] Variants(QwenTokenizer tokenizer, string firstAnswer)
    {
        var piece = ReduceToChoiceLetter(firstAnswer);
        string[] texts = [piece, PythonText.Strip(piece), PythonText.LStrip(piece), piece.StartsWith(' ') ? piece : " " + piece];
        return [.. texts.Select(text => (text, tokenizer.Encode(text)))];
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
