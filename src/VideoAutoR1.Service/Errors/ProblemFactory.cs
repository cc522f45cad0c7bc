using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using VideoAutoR1.Core;

namespace VideoAutoR1.Service.Errors;

/// <summary>Turns failures into RFC 9457 Problem Details with the stable error code in the "code" member.</summary>
public static class ProblemFactory
{
    public static ProblemDetails From(VideoQaException error)
    {
        var problem = new ProblemDetails
        {
            Status = ErrorMapping.HttpStatus(error.Kind),
            Title = ErrorMapping.Title(error.Kind),
            Type = ErrorMapping.TypeUri(error.Code),
            Detail = error.Message,
        };
        problem.Extensions["code"] = error.Code;
        if (error.Field is { } field)
        {
            problem.Extensions["field"] = field;
        }

        if (error.RetryAfter is { } retryAfter)
        {
            problem.Extensions["retry_after_seconds"] = RetryAfterSeconds(retryAfter);
        }

        return problem;
    }

    /// <summary>Whole seconds, at least 1: Retry-After has no fractions and 0 invites a retry storm.</summary>
    public static int RetryAfterSeconds(TimeSpan retryAfter) => Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));

    /// <summary>Classifies framework exceptions (bad JSON, body limits) as typed errors; null for bugs.</summary>
    public static VideoQaException? Classify(Exception exception) => exception switch
    {
        VideoQaException typed => typed,
        JsonException json => new VideoQaException(ErrorKind.InvalidArgument, "invalid_json", json.Message, json)
        {
            Field = JsonField(json.Path),
        },
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } tooLarge =>
            new VideoQaException(ErrorKind.TooLarge, "upload_too_large", tooLarge.Message, tooLarge),
        BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout } slow =>
            new VideoQaException(ErrorKind.RequestTimeout, "request_body_timeout", "The request body arrived too slowly.", slow),
        BadHttpRequestException { InnerException: JsonException json } =>
            Classify(json),
        BadHttpRequestException bad => new VideoQaException(ErrorKind.InvalidArgument, "bad_request", bad.Message, bad),
        _ => null,
    };

    /// <summary>"$.sampling.fps" → "sampling.fps".</summary>
    private static string? JsonField(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? null : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;
}
