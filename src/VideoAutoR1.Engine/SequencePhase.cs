namespace VideoAutoR1.Engine;

/// <summary>Where a running sequence is in the answer → think → answer template.</summary>
public enum SequencePhase
{
    /// <summary>Generating the first <c>\boxed{…}</c>.</summary>
    Answer1,

    /// <summary>a1 was not confident enough (or was the fallback, or mode = think): writing the rationale.</summary>
    Thinking,

    /// <summary>Finished: early exit, second box closed, end-of-turn, or max tokens.</summary>
    Done,
}
