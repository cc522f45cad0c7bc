namespace VideoAutoR1.Core.Grammar;

/// <summary>Something <see cref="IncrementalAnswerParser"/> learned from the token just appended.</summary>
public abstract record GrammarEvent;

/// <summary>
/// The first box has closed. <see cref="SpanStart"/>/<see cref="SpanLength"/> index the generated tokens whose
/// log-probs form the confidence of <see cref="A1"/> (docs/specs/videoauto-r1.md §3.1); length 0 means no span: confidence -1,
/// so the model must think (always the case for the fallback answer). Reported with the token that closes the box,
/// unless the reference's choice depends on tokens still to come (it searches the stage-1 tokens, through
/// <c>&lt;think&gt;</c>): then with the token that completes <c>&lt;think&gt;</c>, or at the end of the sequence.
/// </summary>
public sealed record FirstBoxClosed(string A1, bool IsFallback, int SpanStart, int SpanLength) : GrammarEvent;

/// <summary>More rationale text (inside <c>&lt;think&gt;…&lt;/think&gt;</c>) has arrived.</summary>
public sealed record RationaleDelta(string Text) : GrammarEvent;

/// <summary>The box after <c>&lt;/think&gt;</c> just closed.</summary>
public sealed record SecondBoxClosed(string A2) : GrammarEvent;

/// <summary>The sequence ended (end-of-sequence token or <see cref="IncrementalAnswerParser.Complete"/>).</summary>
public sealed record Completed(ParsedAnswer Answer) : GrammarEvent;
