using System.Globalization;
using VideoAutoR1.Core;
using VideoAutoR1.Media;

namespace VideoAutoR1.Engine.Tests;

/// <summary>
/// The request rules, pinned once at their one owner (<see cref="RequestResolver"/>): every surface (REST, gRPC,
/// OpenAI, the CLI, evaluation) resolves through it, so no surface repeats these cases. No model is needed.
/// </summary>
public sealed class RequestRulesTests
{
    private static readonly EngineOptions Engine = new();
    private static readonly MediaOptions Media = new();
    private static readonly RequestResolver Resolver = new(Engine, Media);
    private static readonly VideoSource Video = new VideoSource.ServerPath("clip.mp4");
    private static readonly QuestionQuery Query = RequestResolver.Empty with { Question = "What happens?" };

    /// <summary>The table as the README documents it: field, interval, default, cap, code.</summary>
    [Theory]
    [InlineData("threshold", "(0, 1]", "Engine:DefaultThreshold", null, "threshold_out_of_range")]
    [InlineData("max_new_tokens", "[1, ∞)", "Engine:DefaultMaxNewTokens", "Engine:MaxNewTokensCap", "max_new_tokens_out_of_range")]
    [InlineData("temperature", "[0, 2]", "0 (greedy)", null, "temperature_out_of_range")]
    [InlineData("top_p", "(0, 1]", "1", null, "top_p_out_of_range")]
    [InlineData("timeout_seconds", "(0, ∞)", "Engine:RequestTimeout", "Engine:MaxRequestTimeout", "timeout_out_of_range")]
    [InlineData("sampling.fps", "(0, ∞)", "Media:Fps", "Media:MaxFps", "fps_out_of_range")]
    [InlineData("sampling.min_frames", "[1, ∞)", "Media:MinFrames", "Media:MaxFrames", "frames_out_of_range")]
    [InlineData("sampling.max_frames", "[2, ∞)", "Media:MaxFrames", "Media:MaxFrames", "frames_out_of_range")]
    [InlineData("sampling.min_pixels", "[784, ∞)", "Media:MinPixels", "Media:MaxPixels", "pixels_out_of_range")]
    [InlineData("sampling.max_pixels", "[784, ∞)", "Media:MaxPixels", "Media:MaxPixels", "pixels_out_of_range")]
    [InlineData("sampling.start_seconds", "[0, ∞)", "0 (the beginning)", null, "segment_out_of_range")]
    [InlineData("sampling.end_seconds", "(0, ∞)", "the end", null, "segment_out_of_range")]
    public void The_ranges_table_holds_one_row_per_field(string field, string interval, string defaultFrom, string? cap, string code)
    {
        var row = RequestResolver.Range(field);
        Assert.Equal((interval, defaultFrom, cap, code), (row.Interval, row.Default, row.Cap, row.Code));
        Assert.Equal(12, RequestResolver.Ranges.Count);
    }

    public static TheoryData<string> Fields => [.. RequestResolver.Ranges.Select(r => r.Field)];

    /// <summary>Each row's bounds, as the resolver applies them: inside accepted, outside refused with the row's code.</summary>
    [Theory]
    [MemberData(nameof(Fields))]
    public void Each_bound_is_applied_as_the_table_says(string field)
    {
        var row = RequestResolver.Range(field);
        var integral = IsIntegral(field);
        var step = integral ? 1 : 1e-6;
        if (!double.IsInfinity(row.Min))
        {
            AssertAccepted(field, row.MinExclusive ? row.Min + step : row.Min);
            AssertRefused(field, row.MinExclusive ? row.Min : row.Min - step, row.Code);
        }

        if (!double.IsInfinity(row.Max))
        {
            AssertAccepted(field, row.MaxExclusive ? row.Max - step : row.Max);
            AssertRefused(field, row.MaxExclusive ? row.Max : row.Max + step, row.Code);
        }

        if (!integral)
        {
            AssertRefused(field, double.NaN, row.Code);
        }
    }

    /// <summary>A value above its cap is lowered to the cap, never refused.</summary>
    [Theory]
    [InlineData("max_new_tokens", 1_000_000, 4096)]
    [InlineData("timeout_seconds", 1e6, 600)]
    [InlineData("sampling.fps", 1000, 4)]
    [InlineData("sampling.min_frames", 100_000, 256)]
    [InlineData("sampling.max_frames", 100_000, 256)]
    [InlineData("sampling.min_pixels", int.MaxValue, 602112)]
    [InlineData("sampling.max_pixels", int.MaxValue, 602112)]
    public void Values_above_a_cap_are_lowered_to_it(string field, double asked, double resolved)
    {
        Assert.Equal(resolved, Resolver.CapValue(RequestResolver.Range(field)));
        Assert.Equal(resolved, Read(Resolver.Resolve("r", Video, With(field, asked)), field));
    }

    /// <summary>Nothing given: every field takes its default.</summary>
    [Theory]
    [InlineData("threshold", 0.97)]
    [InlineData("max_new_tokens", 4096)]
    [InlineData("temperature", 0)]
    [InlineData("top_p", 1)]
    [InlineData("timeout_seconds", 300)]
    [InlineData("sampling.fps", 2)]
    [InlineData("sampling.min_frames", 4)]
    [InlineData("sampling.max_frames", 256)]
    [InlineData("sampling.min_pixels", 16 * 28 * 28)]
    [InlineData("sampling.max_pixels", 768 * 28 * 28)]
    public void Unset_fields_take_their_defaults(string field, double expected)
    {
        var request = Resolver.Resolve("r", Video, Query);
        Assert.Equal(expected, Read(request, field));
        Assert.Equal(AnswerMode.Auto, request.Mode);
        Assert.Null(request.Sampling.StartSeconds);
    }

    /// <summary>The cross-field rules: where two values contradict each other, and who wins when only one was given.</summary>
    [Theory]
    [InlineData(64, 16, null, "frames_out_of_range")]      // both given, min > max: contradictory
    [InlineData(null, 2, 2, null)]                          // the default min (4) above the given max: max wins, as smart_nframes does
    [InlineData(300, null, 256, null)]                      // min above the cap is lowered to it; the default max is the cap
    public void Min_frames_above_max_frames(int? minFrames, int? maxFrames, int? resolvedMin, string? code)
    {
        var query = Query with { Sampling = new VideoSamplingRequest(MinFrames: minFrames, MaxFrames: maxFrames) };
        if (code is not null)
        {
            Assert.Equal(code, Assert.Throws<VideoQaException>(() => Resolver.Resolve("r", Video, query)).Code);
            return;
        }

        var sampling = Resolver.Resolve("r", Video, query).Sampling;
        Assert.Equal(resolvedMin, Math.Min(sampling.MinFrames, sampling.MaxFrames));
    }

    [Theory]
    [InlineData(100_000, 50_000, "pixels_out_of_range")]   // both given, min > max
    [InlineData(null, 10_000, "pixels_out_of_range")]      // the default min (12544) above the given max: no frame size fits
    [InlineData(700_000, null, null)]                       // min above the cap is lowered to it and meets the cap
    public void Min_pixels_above_max_pixels_is_refused(int? minPixels, int? maxPixels, string? code)
    {
        var query = Query with { Sampling = new VideoSamplingRequest(MinPixels: minPixels, MaxPixels: maxPixels) };
        if (code is null)
        {
            Assert.Equal(602112, Resolver.Resolve("r", Video, query).Sampling.MinPixels);
            return;
        }

        Assert.Equal(code, Assert.Throws<VideoQaException>(() => Resolver.Resolve("r", Video, query)).Code);
    }

    [Theory]
    [InlineData(5.0, 2.0, FrameSamplerKind.QwenVlUtils, "segment_out_of_range")]
    [InlineData(null, 0.5, FrameSamplerKind.QwenVlUtils, null)]
    [InlineData(1.0, 3.0, FrameSamplerKind.HuggingFace, "segment_unsupported")]
    public void A_segment_must_end_after_it_starts_and_needs_a_trimming_sampler(double? start, double? end, FrameSamplerKind sampler, string? code)
    {
        var resolver = new RequestResolver(Engine, new MediaOptions { Sampler = sampler });
        var query = Query with { Sampling = new VideoSamplingRequest(StartSeconds: start, EndSeconds: end) };
        if (code is null)
        {
            Assert.Equal(end, resolver.Resolve("r", Video, query).Sampling.EndSeconds);
            return;
        }

        Assert.Equal(code, Assert.Throws<VideoQaException>(() => resolver.Resolve("r", Video, query)).Code);
    }

    [Theory]
    [InlineData("", null, null, "question_required")]
    [InlineData("   ", null, null, "question_required")]
    [InlineData("long", null, null, "question_too_long")]
    [InlineData("q", "27", null, "too_many_options")]
    [InlineData("q", "a,", null, "option_empty")]
    [InlineData("q", "", TaskKind.MultipleChoice, "options_required")]
    [InlineData("q", "a", TaskKind.GroundedQa, "options_required")]
    public void Questions_and_options_are_checked(string question, string? options, TaskKind? task, string code)
    {
        var text = question == "long" ? new string('x', RequestResolver.MaxQuestionChars + 1) : question;
        IReadOnlyList<string>? choices = options switch
        {
            null or "" => null,
            "27" => [.. Enumerable.Range(0, 27).Select(i => $"o{i}")],
            _ => options.Split(','),
        };
        var error = Assert.Throws<VideoQaException>(() => Resolver.Resolve("r", Video, Query with { Question = text, Options = choices, Task = task }));
        Assert.Equal((ErrorKind.InvalidArgument, code), (error.Kind, error.Code));
    }

    [Fact]
    public void The_task_follows_the_options_when_not_given()
    {
        Assert.Equal(TaskKind.MultipleChoice, Resolver.Resolve("r", Video, Query with { Options = ["a", "b"] }).Question.Kind);
        Assert.Equal(TaskKind.Open, Resolver.Resolve("r", Video, Query).Question.Kind);
    }

    [Fact]
    public void A_transport_deadline_only_ever_shortens_the_time_limit()
    {
        var query = Query with { TimeoutSeconds = 30 };
        Assert.Equal(TimeSpan.FromSeconds(30), Resolver.Resolve("r", Video, query, TimeSpan.FromMinutes(5)).Timeout);
        Assert.Equal(TimeSpan.FromSeconds(10), Resolver.Resolve("r", Video, query, TimeSpan.FromSeconds(10)).Timeout);
        Assert.Equal(TimeSpan.FromMilliseconds(1), Resolver.Resolve("r", Video, query, TimeSpan.FromSeconds(-3)).Timeout);
        Assert.Equal(TimeSpan.FromSeconds(20), Resolver.Resolve("r", Video, Query, TimeSpan.FromSeconds(20)).Timeout);
        Assert.Equal(TimeSpan.FromMinutes(5), Resolver.Resolve("r", Video, Query, TimeSpan.FromHours(1)).Timeout);
    }

    private static bool IsIntegral(string field) => field is "max_new_tokens" or "sampling.min_frames" or "sampling.max_frames" or "sampling.min_pixels" or "sampling.max_pixels";

    private static void AssertAccepted(string field, double value) =>
        Assert.Equal(Math.Min(value, Resolver.CapValue(RequestResolver.Range(field))), Read(Resolver.Resolve("r", Video, With(field, value)), field), 9);

    private static void AssertRefused(string field, double value, string code)
    {
        var error = Assert.Throws<VideoQaException>(() => Resolver.Resolve("r", Video, With(field, value)));
        Assert.Equal((ErrorKind.InvalidArgument, code, field), (error.Kind, error.Code, error.Field));
    }

    /// <summary>The query with one field set; the segment's partner bound stays unset so only this value is judged.</summary>
    private static QuestionQuery With(string field, double value) => field switch
    {
        "threshold" => Query with { Threshold = value },
        "max_new_tokens" => Query with { MaxNewTokens = checked((int)value) },
        "temperature" => Query with { Temperature = value },
        "top_p" => Query with { TopP = value },
        "timeout_seconds" => Query with { TimeoutSeconds = value },
        "sampling.fps" => Query with { Sampling = new(Fps: value) },
        "sampling.min_frames" => Query with { Sampling = new(MinFrames: checked((int)value)) },
        "sampling.max_frames" => Query with { Sampling = new(MaxFrames: checked((int)value)) },
        "sampling.min_pixels" => Query with { Sampling = new(MinPixels: checked((int)value)) },
        "sampling.max_pixels" => Query with { Sampling = new(MaxPixels: checked((int)value), MinPixels: 784) },
        "sampling.start_seconds" => Query with { Sampling = new(StartSeconds: value) },
        "sampling.end_seconds" => Query with { Sampling = new(EndSeconds: value) },
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, null),
    };

    private static double Read(AnswerRequest request, string field) => field switch
    {
        "threshold" => request.Threshold,
        "max_new_tokens" => request.MaxNewTokens,
        "temperature" => request.Temperature,
        "top_p" => request.TopP,
        "timeout_seconds" => request.Timeout.TotalSeconds,
        "sampling.fps" => request.Sampling.Fps,
        "sampling.min_frames" => request.Sampling.MinFrames,
        "sampling.max_frames" => request.Sampling.MaxFrames,
        "sampling.min_pixels" => request.Sampling.MinPixels,
        "sampling.max_pixels" => request.Sampling.MaxPixels,
        "sampling.start_seconds" => request.Sampling.StartSeconds ?? 0,
        "sampling.end_seconds" => request.Sampling.EndSeconds ?? double.PositiveInfinity,
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, null),
    };
}
