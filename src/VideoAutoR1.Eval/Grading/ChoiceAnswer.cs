using System.Text;
using VideoAutoR1.Core;
using VideoAutoR1.Core.Grammar;

namespace VideoAutoR1.Eval.Grading;

/// <summary>Reads a multiple-choice answer: a letter (<c>B</c>, <c>B.</c>, <c>(B)</c>, <c>[b]</c>, <c>B. red car</c>) or an option's text.</summary>
public static class ChoiceAnswer
{
    /// <summary>Index of the chosen option, or null when the answer names none of them.</summary>
    public static int? Resolve(string? answer, IReadOnlyList<string> options)
    {
        if (answer is null)
        {
            return null;
        }

        var letter = ConfidenceSpan.ReduceToChoiceLetter(answer);
        if (letter.Length == 1 && char.IsAsciiLetter(letter[0]))
        {
            var index = char.ToUpperInvariant(letter[0]) - 'A';
            return index < options.Count ? index : null;
        }

        var text = Comparable(answer);
        for (var i = 0; i < options.Count; i++)
        {
            if (Comparable(options[i]) == text)
            {
                return i;
            }
        }

        return null;
    }

    // Case, width, spacing and a final period do not change which option is meant.
    private static string Comparable(string text) =>
        string.Join(' ', UnicodeText.Normalize(text, NormalizationForm.FormKC).ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .TrimEnd('.');
}
