using VideoAutoR1.Core;
using VideoAutoR1.Media;

namespace VideoAutoR1.Engine.Tests;

internal static class Requests
{
    /// <summary>The rules of <see cref="EngineHarness"/>'s engine: its settings, with the default media settings.</summary>
    private static readonly RequestResolver Resolver =
        new(new EngineOptions { DefaultMaxNewTokens = EngineHarness.DefaultMaxNewTokens }, new MediaOptions());

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
        Resolver.Resolve(
            $"test-{Interlocked.Increment(ref _next)}",
            EngineFixture.Source(videoPath),
            question,
            RequestResolver.Empty with
            {
                Mode = mode,
                Threshold = threshold,
                MaxNewTokens = maxNewTokens,
                Temperature = temperature,
                Seed = seed,
                TimeoutSeconds = timeout?.TotalSeconds,
            });
}
