using Grpc.Core;
using VideoAutoR1.Core;

namespace VideoAutoR1.Service.Errors;

/// <summary>The one table from <see cref="ErrorKind"/> to HTTP status and gRPC status code.</summary>
public static class ErrorMapping
{
    /// <summary>nginx's "client closed request"; never seen by the caller, but logged and counted.</summary>
    public const int ClientClosedRequest = 499;

    public static int HttpStatus(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => StatusCodes.Status400BadRequest,
        ErrorKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorKind.UnsupportedMedia => StatusCodes.Status415UnsupportedMediaType,
        ErrorKind.SourceUnavailable => StatusCodes.Status422UnprocessableEntity,
        ErrorKind.Overloaded => StatusCodes.Status429TooManyRequests,
        ErrorKind.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        ErrorKind.Cancelled => ClientClosedRequest,
        ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorKind.RequestTimeout => StatusCodes.Status408RequestTimeout,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static StatusCode GrpcStatus(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument or ErrorKind.TooLarge or ErrorKind.UnsupportedMedia => StatusCode.InvalidArgument,
        ErrorKind.SourceUnavailable => StatusCode.FailedPrecondition,
        ErrorKind.Overloaded => StatusCode.ResourceExhausted,
        ErrorKind.DeadlineExceeded or ErrorKind.RequestTimeout => StatusCode.DeadlineExceeded,
        ErrorKind.Cancelled => StatusCode.Cancelled,
        ErrorKind.Unavailable => StatusCode.Unavailable,
        _ => StatusCode.Internal,
    };

    public static string Title(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => "Invalid request",
        ErrorKind.TooLarge => "Payload too large",
        ErrorKind.UnsupportedMedia => "Unsupported media",
        ErrorKind.SourceUnavailable => "Video source unavailable",
        ErrorKind.Overloaded => "Server overloaded",
        ErrorKind.DeadlineExceeded => "Deadline exceeded",
        ErrorKind.Cancelled => "Request cancelled",
        ErrorKind.Unavailable => "Service unavailable",
        ErrorKind.RequestTimeout => "Request body too slow",
        _ => "Internal error",
    };

    /// <summary>The code of a failure the framework answered itself (routing, status code pages).</summary>
    public static string CodeForStatus(int? status) => status switch
    {
        StatusCodes.Status400BadRequest => "bad_request",
        StatusCodes.Status401Unauthorized => "api_key_invalid",
        StatusCodes.Status404NotFound => "not_found",
        StatusCodes.Status405MethodNotAllowed => "method_not_allowed",
        StatusCodes.Status408RequestTimeout => "request_body_timeout",
        StatusCodes.Status413PayloadTooLarge => "upload_too_large",
        StatusCodes.Status415UnsupportedMediaType => "unsupported_content_type",
        _ => "http_" + status,
    };

    /// <summary>Stable problem type URI; the code is also in the "code" extension member.</summary>
    public static string TypeUri(string code) => $"https://videoautor1.dev/problems/{code}";
}
