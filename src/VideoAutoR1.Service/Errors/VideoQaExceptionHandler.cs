using Microsoft.AspNetCore.Diagnostics;
using VideoAutoR1.Core;

namespace VideoAutoR1.Service.Errors;

/// <summary>Writes every failure of an HTTP endpoint as Problem Details; typed errors keep their status and code.</summary>
public sealed class VideoQaExceptionHandler(IProblemDetailsService problemDetails, ILogger<VideoQaExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var error = ProblemFactory.Classify(exception);
        if (error is null)
        {
            logger.LogError(exception, "Unhandled failure on {Path}", httpContext.Request.Path);
            error = new VideoQaException(ErrorKind.Internal, "internal_error", "An internal error occurred.", exception);
        }
        else if (error.Kind == ErrorKind.Internal)
        {
            logger.LogError(exception, "Internal failure on {Path}: {Code}", httpContext.Request.Path, error.Code);
        }

        var problem = ProblemFactory.From(error);
        httpContext.Response.StatusCode = problem.Status!.Value;
        if (error.RetryAfter is { } retryAfter)
        {
            httpContext.Response.Headers.RetryAfter = ProblemFactory.RetryAfterSeconds(retryAfter).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = problem,
            Exception = exception,
        });
    }
}
