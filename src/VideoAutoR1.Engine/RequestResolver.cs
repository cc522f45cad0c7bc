using System.Globalization;
using Microsoft.Extensions.Options;
using VideoAutoR1.Core;
using VideoAutoR1.Media;

namespace VideoAutoR1.Engine;

/// <summary>
/// The one owner of the request rules: turns a caller's <see cref="QuestionQuery"/> into a resolved
/// <see cref="AnswerRequest"/> (defaults applied, every value checked against its row of <see cref="Ranges"/>,
/// values above a cap lowered to it). REST, gRPC, OpenAI, the CLI and evaluation all call it; the engine checks
/// nothing again. Sampling rows belong to the media layer (<see cref="VideoSampling.Resolve"/>) and are applied here.
/// </summary>
public sealed class RequestResolver
{
    public const int MaxQuestionChars = 8000;
    public const int MaxOptions = 26;

    private readonly EngineOptions _engine;
    private readonly MediaOptions _media;
    private readonly VisionPreprocessing _model;

    /// <param name="model">
    /// How the served model preprocesses video: a Qwen2.5-VL model's own video budget (fps, frames, pixels of its
    /// video processor config) fills what a request leaves open, under the server's caps, as HF applies a
    /// checkpoint's processor config.
    /// </param>
    public RequestResolver(EngineOptions engine, MediaOptions media, VisionPreprocessing? model = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(media);
        _engine = engine;
        _media = media;
        _model = model ?? VisionPreprocessing.Qwen2_5_VL;
    }

    public RequestResolver(IOptions<EngineOptions> engine, IOptions<MediaOptions> media)
        : this(engine?.Value!, media?.Value!)
    {
    }

    /// <summary>The engine's rows of the request-ranges table (generation knobs and the time limit).</summary>
    public static IReadOnlyList<FieldRange> GenerationRanges { get; } =
    [
        new("threshold", "threshold_out_of_range", 0, 1, MinExclusive: true, Default: "Engine:DefaultThreshold"),
        new("max_new_tokens", "max_new_tokens_out_of_range", 1, double.PositiveInfinity, Default: "Engine:DefaultMaxNewTokens", Cap: "Engine:MaxNewTokensCap"),
        new("temperature", "temperature_out_of_range", 0, 2, Default: "0 (greedy)"),
        new("top_p", "top_p_out_of_range", 0, 1, MinExclusive: true, Default: "1"),
        new("timeout_seconds", "timeout_out_of_range", 0, double.PositiveInfinity, MinExclusive: true, Default: "Engine:RequestTimeout", Cap: "Engine:MaxRequestTimeout"),
    ];

    /// <summary>The whole request-ranges table, in the order the README and the OpenAPI schema list it.</summary>
    public static IReadOnlyList<FieldRange> Ranges { get; } = [.. GenerationRanges, .. VideoSampling.Ranges];

    /// <summary>The row of a wire field, e.g. <c>threshold</c> or <c>sampling.fps</c>.</summary>
    public static FieldRange Range(string field) =>
        Ranges.FirstOrDefault(r => r.Field == field) ?? throw new ArgumentOutOfRangeException(nameof(field), field, "no such field");

    /// <summary>The value a cap setting has in this server, for the table and the schema.</summary>
    public double CapValue(FieldRange range) => range?.Cap switch
    {
        "Engine:MaxNewTokensCap" => _engine.MaxNewTokensCap,
        "Engine:MaxRequestTimeout" => _engine.MaxRequestTimeout.TotalSeconds,
        "Media:MaxFps" => _media.MaxFps,
        "Media:MaxFrames" => _media.MaxFrames,
        "Media:MaxPixels" => _media.MaxPixels,
        _ => double.PositiveInfinity,
    };

    /// <summary>
    /// Resolves <paramref name="query"/>. Throws <see cref="VideoQaException"/> InvalidArgument with the row's code
    /// and the field's wire name for the first value outside its range; never touches the network or the video.
    /// </summary>
    /// <param name="transportLimit">
    /// Time the transport itself leaves the call (a gRPC deadline, measured now), when it has one. The request's time
    /// limit is the shortest of this, the caller's <c>timeout_seconds</c> (capped by Engine:MaxRequestTimeout) or
    /// Engine:RequestTimeout; one already past becomes 1 ms, so the call fails as deadline_exceeded at once.
    /// </param>
    public AnswerRequest Resolve(string requestId, VideoSource video, QuestionQuery query, TimeSpan? transportLimit = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        ArgumentNullException.ThrowIfNull(video);
        ArgumentNullException.ThrowIfNull(query);
        var question = Question(query);
        var threshold = Range("threshold").Check(query.Threshold ?? _engine.DefaultThreshold);
        var maxNewTokens = Math.Min(Range("max_new_tokens").Check(query.MaxNewTokens ?? _engine.DefaultMaxNewTokens), _engine.MaxNewTokensCap);
        var temperature = Range("temperature").Check(query.Temperature ?? 0);
        var topP = Range("top_p").Check(query.TopP ?? 1);
        var timeout = query.TimeoutSeconds is { } seconds
            ? TimeSpan.FromSeconds(Math.Min(Range("timeout_seconds").Check(seconds), _engine.MaxRequestTimeout.TotalSeconds))
            : _engine.RequestTimeout;
        if (transportLimit is { } limit && limit < timeout)
        {
            timeout = limit > TimeSpan.Zero ? limit : TimeSpan.FromMilliseconds(1);
        }
        var sampling = VideoSampling.Resolve(_media, _model.WithBudget(query.Sampling));
        return new AnswerRequest(
            requestId, video, question, query.Mode ?? AnswerMode.Auto, threshold, (int)maxNewTokens, temperature, topP, query.Seed, sampling, timeout);
    }

    /// <summary>Resolves a question already in its structured form (evaluation items, the CLI's ask).</summary>
    public AnswerRequest Resolve(string requestId, VideoSource video, QuestionSpec question, QuestionQuery? knobs = null)
    {
        ArgumentNullException.ThrowIfNull(question);
        return Resolve(requestId, video, (knobs ?? Empty) with
        {
            Question = question.Question,
            Options = question.Options,
            Task = question.Kind,
            Style = question.Style,
        });
    }

    /// <summary>A query with nothing set: every knob takes the server default.</summary>
    public static QuestionQuery Empty { get; } = new(null, null, null, null, null, null, null, null, null, null, null);

    private static QuestionSpec Question(QuestionQuery query)
    {
        if (string.IsNullOrWhiteSpace(query.Question))
        {
            throw VideoQaException.InvalidArgument("question_required", "question", "question must not be empty.");
        }

        if (query.Question.Length > MaxQuestionChars)
        {
            throw VideoQaException.InvalidArgument("question_too_long", "question",
                string.Create(CultureInfo.InvariantCulture, $"question is longer than {MaxQuestionChars} characters."));
        }

        var choices = query.Options ?? [];
        if (choices.Count > MaxOptions)
        {
            throw VideoQaException.InvalidArgument("too_many_options", "options",
                string.Create(CultureInfo.InvariantCulture, $"at most {MaxOptions} options are allowed."));
        }

        if (choices.Any(string.IsNullOrWhiteSpace))
        {
            throw VideoQaException.InvalidArgument("option_empty", "options", "options must not contain empty strings.");
        }

        var kind = query.Task ?? (choices.Count > 0 ? TaskKind.MultipleChoice : TaskKind.Open);
        if (kind is TaskKind.MultipleChoice or TaskKind.GroundedQa && choices.Count < 2)
        {
            throw VideoQaException.InvalidArgument("options_required", "options", $"task {kind} needs at least two options.");
        }

        return new QuestionSpec(query.Question, choices, kind, query.Style);
    }
}
