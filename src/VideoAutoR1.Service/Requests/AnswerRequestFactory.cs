using Microsoft.Extensions.Options;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Media;
using VideoAutoR1.Service.Options;

namespace VideoAutoR1.Service.Requests;

/// <summary>
/// Validates a <see cref="QuestionQuery"/> and builds the engine's <see cref="AnswerRequest"/>: values that are
/// wrong are rejected with a typed error naming the field; values that are merely large are clamped to the caps
/// (the vLLM advisory on uncapped per-request fps/max_frames is why every knob has a ceiling).
/// </summary>
public sealed class AnswerRequestFactory(IOptionsMonitor<ServiceOptions> options, VideoUrlPolicy urlPolicy)
{
    public const int MaxQuestionChars = 8000;
    public const int MaxOptions = 26;

    private const string RequestIdKey = "x-request-id";

    /// <summary>Creates the request id, echoes it in the x-request-id header and remembers it for error responses.</summary>
    public static string NewRequestId(HttpContext context)
    {
        var requestId = $"vqa-{Guid.NewGuid():N}";
        context.Items[RequestIdKey] = requestId;
        context.Response.Headers[RequestIdKey] = requestId;
        return requestId;
    }

    /// <summary>The request id of this call, if one was assigned; re-sets the header the exception handler cleared.</summary>
    public static string? RestoreRequestId(HttpContext context)
    {
        if (context.Items[RequestIdKey] is not string requestId)
        {
            return null;
        }

        context.Response.Headers[RequestIdKey] = requestId;
        return requestId;
    }

    /// <summary>A remote video after the URL policy's offline checks; its addresses are checked by <see cref="CreateAsync"/>.</summary>
    public VideoSource Url(string? url) => new VideoSource.Url(urlPolicy.Parse(url));

    /// <summary>
    /// <see cref="Create"/>, then the URL's DNS check: every field is validated before any network work, so a wrong
    /// request costs the server no lookup.
    /// </summary>
    public async Task<AnswerRequest> CreateAsync(string requestId, VideoSource video, QuestionQuery query, CancellationToken cancellationToken)
    {
        var request = Create(requestId, video, query);
        if (video is VideoSource.Url url)
        {
            await urlPolicy.CheckAddressesAsync(url.Address, cancellationToken);
        }

        return request;
    }

    public static VideoSource ServerPath(string? path) =>
        string.IsNullOrWhiteSpace(path)
            ? throw Invalid("video_path_empty", "video.path must not be empty.", "video.path")
            : new VideoSource.ServerPath(path);

    public AnswerRequest Create(string requestId, VideoSource video, QuestionQuery query)
    {
        var caps = options.CurrentValue.Caps;
        var question = Question(query);
        if (query.Threshold is { } tau && !(tau > 0 && tau < 1))
        {
            throw Invalid("threshold_out_of_range", $"threshold must be in (0, 1), got {tau}.", "threshold");
        }

        if (query.Temperature is { } temperature && !(temperature >= 0 && temperature <= 2))
        {
            throw Invalid("temperature_out_of_range", $"temperature must be in [0, 2], got {temperature}.", "temperature");
        }

        if (query.TopP is { } topP && !(topP > 0 && topP <= 1))
        {
            throw Invalid("top_p_out_of_range", $"top_p must be in (0, 1], got {topP}.", "top_p");
        }

        if (query.MaxNewTokens is < 1)
        {
            throw Invalid("max_new_tokens_out_of_range", "max_new_tokens must be at least 1.", "max_new_tokens");
        }

        if (query.TimeoutSeconds is { } seconds && !(seconds > 0))
        {
            throw Invalid("timeout_out_of_range", "timeout_seconds must be positive.", "timeout_seconds");
        }

        var service = options.CurrentValue;
        var timeout = Math.Min(query.TimeoutSeconds ?? service.RequestTimeoutSeconds, service.MaxRequestTimeoutSeconds);
        return new AnswerRequest(
            requestId,
            video,
            question,
            query.Mode ?? AnswerMode.Auto,
            query.Threshold,
            query.MaxNewTokens is { } max ? Math.Min(max, caps.MaxNewTokens) : null,
            query.Temperature,
            query.TopP,
            query.Seed,
            Sampling(query.Sampling, caps),
            TimeSpan.FromSeconds(timeout));
    }

    private static QuestionSpec Question(QuestionQuery query)
    {
        if (string.IsNullOrWhiteSpace(query.Question))
        {
            throw Invalid("question_required", "question must not be empty.", "question");
        }

        if (query.Question.Length > MaxQuestionChars)
        {
            throw Invalid("question_too_long", $"question is longer than {MaxQuestionChars} characters.", "question");
        }

        var choices = query.Options ?? [];
        if (choices.Count > MaxOptions)
        {
            throw Invalid("too_many_options", $"at most {MaxOptions} options are allowed.", "options");
        }

        if (choices.Any(string.IsNullOrWhiteSpace))
        {
            throw Invalid("option_empty", "options must not contain empty strings.", "options");
        }

        var kind = query.Task ?? (choices.Count > 0 ? TaskKind.MultipleChoice : TaskKind.Open);
        if (kind is TaskKind.MultipleChoice or TaskKind.GroundedQa && choices.Count < 2)
        {
            throw Invalid("options_required", $"task {kind} needs at least two options.", "options");
        }

        return new QuestionSpec(query.Question, choices, kind);
    }

    private static VideoSamplingRequest? Sampling(VideoSamplingRequest? sampling, CallerCapsOptions caps)
    {
        if (sampling is null)
        {
            return null;
        }

        if (sampling.Fps is { } fps && !(fps > 0))
        {
            throw Invalid("fps_out_of_range", "sampling.fps must be positive.", "sampling.fps");
        }

        if (sampling.MinFrames is < 1 || sampling.MaxFrames is < 1 || sampling.MinFrames > sampling.MaxFrames)
        {
            throw Invalid("frames_out_of_range", "sampling.min_frames/max_frames must be >= 1 and min <= max.", "sampling.max_frames");
        }

        if (sampling.MinPixels is < 1 || sampling.MaxPixels is < 1 || sampling.MinPixels > sampling.MaxPixels)
        {
            throw Invalid("pixels_out_of_range", "sampling.min_pixels/max_pixels must be >= 1 and min <= max.", "sampling.max_pixels");
        }

        if (sampling.StartSeconds is < 0 || sampling.EndSeconds <= (sampling.StartSeconds ?? 0))
        {
            throw Invalid("segment_out_of_range", "sampling.start_seconds must be >= 0 and end_seconds > start_seconds.", "sampling.end_seconds");
        }

        return sampling with
        {
            Fps = sampling.Fps is { } f ? Math.Min(f, caps.MaxFps) : null,
            MinFrames = sampling.MinFrames is { } minFrames ? Math.Min(minFrames, caps.MaxFrames) : null,
            MaxFrames = sampling.MaxFrames is { } maxFrames ? Math.Min(maxFrames, caps.MaxFrames) : null,
            MinPixels = sampling.MinPixels is { } minPixels ? Math.Min(minPixels, caps.MaxPixels) : null,
            MaxPixels = sampling.MaxPixels is { } maxPixels ? Math.Min(maxPixels, caps.MaxPixels) : null,
        };
    }

    private static VideoQaException Invalid(string code, string message, string field) =>
        new(ErrorKind.InvalidArgument, code, message) { Field = field };
}
