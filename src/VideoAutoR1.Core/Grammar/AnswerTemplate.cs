namespace VideoAutoR1.Core.Grammar;

/// <summary>The pieces of the answer-think-answer output <c>\boxed{a1}&lt;think&gt;r&lt;/think&gt;\boxed{a2}</c> (docs/specs/videoauto-r1.md §2).</summary>
public static class AnswerTemplate
{
    public const string BoxOpen = "\\boxed{";
    public const string ThinkOpen = "<think>";
    public const string ThinkClose = "</think>";

    /// <summary>What the model puts in the first box when it cannot answer without reasoning (ASCII apostrophe).</summary>
    public const string FallbackAnswer = "Let's analyze the problem step by step.";

    /// <summary>The reference code's lenient test: the first box, left-trimmed, starts with <c>Let's analyze</c> (case-sensitive).</summary>
    public static bool IsFallback(string? firstAnswer) =>
        firstAnswer is not null && PythonText.LStrip(firstAnswer).StartsWith("Let's analyze", StringComparison.Ordinal);
}
