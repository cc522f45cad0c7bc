namespace VideoAutoR1.Core.Grammar;

/// <summary>How well an output follows <c>\boxed{a1}&lt;think&gt;r&lt;/think&gt;\boxed{a2}</c>; the first deviation in text order.</summary>
public enum AnswerFormat
{
    /// <summary>Box, non-empty think, box, with only whitespace between and around the pieces.</summary>
    WellFormed,

    /// <summary>No first box was closed (nothing boxed, or the output stopped inside it).</summary>
    NoAnswer,

    /// <summary>Non-whitespace text before the first box.</summary>
    TextBeforeFirstBox,

    /// <summary>No <c>&lt;think&gt;</c> after the first box (an early-exit answer has this verdict).</summary>
    MissingThink,

    /// <summary>Non-whitespace text between the first box and <c>&lt;think&gt;</c> or between <c>&lt;/think&gt;</c> and the second box.</summary>
    TextBetweenParts,

    /// <summary>The output stopped inside the rationale.</summary>
    UnclosedThink,

    /// <summary><c>&lt;think&gt;&lt;/think&gt;</c> holds only whitespace.</summary>
    EmptyThink,

    /// <summary>No second box was closed after <c>&lt;/think&gt;</c>.</summary>
    MissingSecondBox,

    /// <summary>Non-whitespace text (or another box) after the second box.</summary>
    TextAfterSecondBox,
}

/// <summary>
/// An output split into its parts. <see cref="A1"/> is the content of the first <c>\boxed{...}</c> (braces balanced
/// to any depth), <see cref="Rationale"/> the raw text between the <c>&lt;think&gt;</c> that follows it and
/// <c>&lt;/think&gt;</c> (to the end when unclosed), <see cref="A2"/> the first box after <c>&lt;/think&gt;</c>.
/// Null means the part has not (yet) appeared.
/// </summary>
public sealed record ParsedAnswer(string? A1, bool IsFallback, string? Rationale, string? A2, AnswerFormat Format)
{
    /// <summary>The answer to report: the revised one when there is one, else the first.</summary>
    public string? FinalAnswer => A2 ?? A1;
}
