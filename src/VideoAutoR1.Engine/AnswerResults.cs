namespace VideoAutoR1.Engine;

/// <summary>Builds the result of a finished sequence: answers, decoded text, token counts and timings.</summary>
internal static class AnswerResults
{
    public static AnswerResult Of(Sequence sequence, EngineModel model)
    {
        var request = sequence.Request;
        var generated = sequence.Generated;
        var textIds = generated.Count > 0 && model.StopTokenIds.Contains(generated[^1]) ? generated.Take(generated.Count - 1) : generated;
        return new AnswerResult(
            request.Resolved.RequestId,
            model.ModelId,
            sequence.A1,
            sequence.A1LogConfidence,
            sequence.Thought,
            sequence.Rationale,
            sequence.A2,
            sequence.Thought ? sequence.A2 : sequence.A1,
            sequence.A1IsFallback,
            model.Tokenizer.Decode(textIds, skipSpecialTokens: true),
            sequence.StoppedBecause ?? FinishReason.Stop,
            new TokenCounts(request.PromptIds.Length, request.VisualTokens, generated.Count, sequence.TokensToA1),
            new AnswerTimings(
                sequence.QueueSeconds,
                request.MediaSeconds,
                sequence.VisionSeconds,
                sequence.PrefillSeconds,
                sequence.TimeToA1,
                request.Clock.Elapsed.TotalSeconds));
    }
}
