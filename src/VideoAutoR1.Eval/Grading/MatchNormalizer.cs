using System.Text;
using System.Text.RegularExpressions;
using VideoAutoR1.Core;
using VideoAutoR1.Core.Grammar;

namespace VideoAutoR1.Eval.Grading;

/// <summary>
/// The reference's strict answer normalisation (<c>mc_grader.normalize</c>, used by the training reward and for free
/// text): NFKC, trim, lowercase; a strict choice form (<c>(A)</c>, <c>[A]</c>, <c>A)</c>, <c>A:</c>, <c>A</c>; not
/// <c>A.</c>) becomes the letter; whole-string yes/no synonyms become yes/no; otherwise whitespace is collapsed.
/// </summary>
public static partial class MatchNormalizer
{
    private const string Ws = PythonText.SpaceClass;

    private static readonly Dictionary<string, string> YesNo = new(StringComparer.Ordinal)
    {
        ["yes"] = "yes",
        ["y"] = "yes",
        ["true"] = "yes",
        ["t"] = "yes",
        ["ok"] = "yes",
        ["okay"] = "yes",
        ["no"] = "no",
        ["n"] = "no",
        ["false"] = "no",
        ["f"] = "no",
    };

    public static string Normalize(string? text)
    {
        if (text is null)
        {
            return "";
        }

        var lower = PythonText.Strip(UnicodeText.Normalize(text, NormalizationForm.FormKC)).ToLowerInvariant();
        var choice = StrictParenChoice().Match(lower);
        if (!choice.Success)
        {
            choice = StrictDelimitedChoice().Match(lower);
        }

        if (!choice.Success)
        {
            choice = StrictSingleLetter().Match(lower);
        }

        if (choice.Success)
        {
            return choice.Groups[1].Value;
        }

        if (YesNo.TryGetValue(SurroundingNonWord().Replace(lower, ""), out var yesNo))
        {
            return yesNo;
        }

        return string.Join(' ', PythonText.Split(lower));
    }

    public static bool Equal(string? truth, string? predicted) => Normalize(truth) == Normalize(predicted);

    [GeneratedRegex($@"^{Ws}*[(\[{{]{Ws}*([A-Za-z]){Ws}*[)\]}}]{Ws}*(?:[)/:;\-]{Ws}*)?$")]
    private static partial Regex StrictParenChoice();

    [GeneratedRegex($@"^{Ws}*([A-Za-z]){Ws}*[)/:;\-]{Ws}*$")]
    private static partial Regex StrictDelimitedChoice();

    [GeneratedRegex($@"^{Ws}*([A-Za-z]){Ws}*$")]
    private static partial Regex StrictSingleLetter();

    [GeneratedRegex(@"^\W+|\W+$")]
    private static partial Regex SurroundingNonWord();
}
