using VideoAutoR1.Core;

namespace VideoAutoR1.Engine.Tests;

internal static class Requests
{
    private static int _next;

    public static AnswerRequest For(
        string videoPath,
        QuestionSpec question,
        AnswerMode mode = AnswerMode.Auto,
        double? threshold = null,
        int? maxNewTokens = null,
        double? temperature = null,
        int? seed = null,
        TimeSpan? timeout = null) =>
        new(
            $"test-{Interlocked.Increment(ref _next)}",
            EngineFixture.Source(videoPath),
            question,
            mode,
            threshold,
            maxNewTokens,
            temperature,
            TopP: null,
            seed,
            Sampling: null,
            timeout);
}
