namespace VideoAutoR1.Core;

/// <summary>The benchmark-style task the user prompt and the grader follow (docs/specs/videoauto-r1.md §1.3).</summary>
public enum TaskKind
{
    /// <summary>Lettered options; the answer is a letter.</summary>
    MultipleChoice,

    /// <summary>Free-text short answer.</summary>
    Open,

    /// <summary>A number, graded with a tolerance.</summary>
    Numeric,

    /// <summary>Locate a described segment: <c>[start, end]</c> in seconds.</summary>
    TemporalGrounding,

    /// <summary>NExT-GQA: letter plus supporting segment, <c>A &lt;&gt; [s, e]</c>.</summary>
    GroundedQa,
}

/// <summary>
/// Which benchmark's multiple-choice layout the user text follows (docs/specs/videoauto-r1.md §1.3): the published numbers were
/// produced with each benchmark's own wording, so reproducing them needs the same bytes.
/// </summary>
public enum PromptStyle
{
    /// <summary>MMVU / TVBench: <c>Question: q\nOptions:\nA. x\n…</c>; the only style of the other task kinds.</summary>
    Default,

    /// <summary>Video-MME: an instruction to answer with the letter, then the question and <c>A. x</c> options.</summary>
    VideoMme,

    /// <summary>MVBench: <c>Question: q\nOptions:\n(A) x\n…</c>.</summary>
    MvBench,

    /// <summary>VideoMMMU and LongVideoBench: <c>q\nOptions:\nA. x\n…</c>.</summary>
    VideoMmmu,
}

/// <summary>What the user asks about a video, before it becomes a prompt.</summary>
/// <param name="Question">The question, or for temporal grounding the segment description.</param>
/// <param name="Options">Option texts without letters (letters are added by the prompt builder).</param>
/// <param name="Kind">Task kind; decides the user-prompt template and the grader.</param>
/// <param name="Style">The benchmark layout of a multiple-choice user text.</param>
public sealed record QuestionSpec(string Question, IReadOnlyList<string> Options, TaskKind Kind, PromptStyle Style = PromptStyle.Default);
