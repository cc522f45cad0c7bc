namespace VideoAutoR1.Eval.Tests;

/// <summary>Hand-made result lines for tests that need no model.</summary>
internal static class Lines
{
    public static ResultLine Think(
        string id, double? confidence, bool a1Right, bool a2Right, int toA1 = 4, int generated = 40, string task = "multiple_choice") =>
        new()
        {
            Id = id,
            Task = task,
            Model = "m",
            Mode = "think",
            A1 = a1Right ? "A" : "B",
            A1Confidence = confidence,
            A1LogConfidence = confidence is { } c ? Math.Log(c) : null,
            Thought = true,
            A2 = a2Right ? "A" : "B",
            FinalAnswer = a2Right ? "A" : "B",
            CorrectA1 = a1Right,
            CorrectA2 = a2Right,
            CorrectFinal = a2Right,
            GeneratedTokens = generated,
            TokensToA1 = toA1,
            LatencyS = 1,
        };
}
