namespace VideoAutoR1.Core.Prompting;

/// <summary>The per-task user texts of the benchmarks' <c>*_boxed</c> variants (docs/specs/videoauto-r1.md §1.3), byte-exact.</summary>
public static class UserPrompts
{
    public const string BoxedSuffix = "Put your final answer in \\boxed{}.";

    public const string GroundingPrefix = "Locate the start and end timestamps of the video segment corresponding to the description: ";

    public const string GroundingSuffix =
        " Please provide the start and end timestamps (in seconds, precise to one decimal places) in the format \\boxed{[start, end]}.";

    public const string GroundedQaSuffix =
        "Please answer the question, and then provide the video segment that best supports your answer. "
        + "The start and end timestamps must be in seconds with exactly one decimal place.\n"
        + "Output format: \\boxed{answer <> [start, end]}. For example: \\boxed{A <> [20.3, 30.8]}.";

    public const string VideoMmeInstruction =
        "Select the best answer to the following multiple-choice question based on the video. "
        + "Respond with only the letter (A, B, C, or D) of the correct option.";

    /// <summary>The user text for a validated question.</summary>
    public static string For(QuestionSpec question) => question.Kind switch
    {
        TaskKind.MultipleChoice => question.Style switch
        {
            PromptStyle.VideoMme => $"{VideoMmeInstruction}\n{question.Question}\n{Lettered(question.Options)}\n{BoxedSuffix}",
            // Every "(A) x" line ends with a newline, the last one included.
            PromptStyle.MvBench => $"Question: {question.Question}\nOptions:\n{string.Concat(question.Options.Select((option, i) => $"({Letter(i)}) {option}\n"))}{BoxedSuffix}",
            PromptStyle.VideoMmmu => $"{question.Question}\nOptions:\n{Lettered(question.Options)}\n{BoxedSuffix}",
            // MMVU / TVBench layout: "Question: q\nOptions:\nA. x\nB. y\nPut your final answer in \boxed{}."
            _ => $"Question: {question.Question}\nOptions:\n{Lettered(question.Options)}\n{BoxedSuffix}",
        },
        // VideoMMMU open-ended and the training template for numeric/math: bare question + suffix.
        TaskKind.Open or TaskKind.Numeric => $"{question.Question}\n{BoxedSuffix}",
        TaskKind.TemporalGrounding => GroundingPrefix + question.Question + GroundingSuffix,
        TaskKind.GroundedQa => $"Question: {question.Question}\nOptions:\n{Lettered(question.Options)}\n{GroundedQaSuffix}",
        _ => throw new ArgumentOutOfRangeException(nameof(question), question.Kind, "unknown task kind"),
    };

    /// <summary>Letter of option <paramref name="index"/> (0 → A).</summary>
    public static char Letter(int index) => (char)('A' + index);

    private static string Lettered(IReadOnlyList<string> options) =>
        string.Join("\n", options.Select((option, i) => $"{Letter(i)}. {option}"));
}
