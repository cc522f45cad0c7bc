namespace VideoAutoR1.Core;

/// <summary>How the API layers classify a failure (HTTP status / gRPC status code).</summary>
public enum ErrorKind
{
    /// <summary>The caller sent something wrong: 400 / INVALID_ARGUMENT.</summary>
    InvalidArgument,

    /// <summary>The video or request is larger than a configured limit: 413 / INVALID_ARGUMENT (or OUT_OF_RANGE).</summary>
    TooLarge,

    /// <summary>The bytes are not a decodable video: 415 or 422 / INVALID_ARGUMENT.</summary>
    UnsupportedMedia,

    /// <summary>A remote video could not be fetched (404, refused, blocked address): 422 / FAILED_PRECONDITION.</summary>
    SourceUnavailable,

    /// <summary>Queue full: 429 with Retry-After / RESOURCE_EXHAUSTED with RetryInfo.</summary>
    Overloaded,

    /// <summary>Deadline passed: 504 / DEADLINE_EXCEEDED.</summary>
    DeadlineExceeded,

    /// <summary>The caller went away: 499 / CANCELLED.</summary>
    Cancelled,

    /// <summary>Model still loading or shutting down: 503 / UNAVAILABLE.</summary>
    Unavailable,

    /// <summary>A bug or a native failure: 500 / INTERNAL.</summary>
    Internal,

    /// <summary>The client sent its request body too slowly: 408 / DEADLINE_EXCEEDED.</summary>
    RequestTimeout,
}

/// <summary>
/// The one typed error every layer throws for expected failures. <see cref="Code"/> is stable snake_case
/// (e.g. <c>video_corrupt</c>, <c>threshold_out_of_range</c>) and is what API clients match on.
/// </summary>
public class VideoQaException(ErrorKind kind, string code, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public ErrorKind Kind { get; } = kind;

    public string Code { get; } = code;

    /// <summary>When set (overload), how long the client should wait before retrying.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The request field at fault, when there is one (e.g. <c>threshold</c>).</summary>
    public string? Field { get; init; }

    /// <summary>The one way every layer refuses a caller's value: code, then the field at fault, then the sentence.</summary>
    public static VideoQaException InvalidArgument(string code, string? field, string message, Exception? inner = null) =>
        new(ErrorKind.InvalidArgument, code, message, inner) { Field = field };
}
