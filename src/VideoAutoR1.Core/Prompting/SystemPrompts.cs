namespace VideoAutoR1.Core.Prompting;

/// <summary>The system prompts of VideoAuto-R1 (docs/specs/videoauto-r1.md §1.1), byte-exact.</summary>
public static class SystemPrompts
{
    /// <summary>Training text (<c>COT_SYSTEM_PROMPT_ANSWER_TWICE</c> in <c>data_rl.py</c>): five lines, no trailing newline.</summary>
    public const string AnswerTwiceTraining =
        "You are a helpful assistant.\n"
        + "FIRST: Output your initial answer inside the first \\boxed{...} without any analysis or explanations. "
        + "If you cannot determine the answer without reasoning, output \\boxed{Let's analyze the problem step by step.} instead.\n"
        + "THEN: Think through the reasoning as an internal monologue enclosed within <think>...</think>.\n"
        + "AT LAST: Output the final answer again inside \\boxed{...}. If you believe the previous answer was correct, repeat it; otherwise, correct it.\n"
        + "Output format: \\boxed{...}<think>...</think>\\boxed{...}";

    /// <summary>Evaluation text (the <c>*_autothink.py</c> wrappers that produced the reported numbers): the training text plus a trailing newline.</summary>
    public const string AnswerTwiceEval = AnswerTwiceTraining + "\n";

    /// <summary>What the Qwen2.5-VL chat template inserts when no system message is given.</summary>
    public const string QwenDefault = "You are a helpful assistant.";
}
