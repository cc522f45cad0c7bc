using Microsoft.Extensions.Options;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Media;

namespace VideoAutoR1.Service.Requests;

/// <summary>
/// The service's side of building an <see cref="AnswerRequest"/>: request ids, the video source forms of the wire,
/// then <see cref="RequestResolver"/> (the one owner of defaults, ranges and caps) and, last, the URL's address check,
/// so a wrong request costs the server no DNS lookup.
/// </summary>
public sealed class AnswerRequestFactory(RequestResolver resolver, VideoUrlPolicy urlPolicy, IOptions<MediaOptions> media)
{
    /// <summary>Largest video the service reads from a request (Media:MaxBytes: the media layer's one byte cap).</summary>
    public long MaxUploadBytes => media.Value.MaxBytes;

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
    /// The resolver, then the URL's DNS check: every field is validated before any network work, so a wrong
    /// request costs the server no lookup.
    /// </summary>
    /// <param name="transportLimit">The time a transport deadline leaves (gRPC); see <see cref="RequestResolver.Resolve(string, VideoSource, QuestionQuery, TimeSpan?)"/>.</param>
    public async Task<AnswerRequest> CreateAsync(
        string requestId, VideoSource video, QuestionQuery query, CancellationToken cancellationToken, TimeSpan? transportLimit = null)
    {
        var request = resolver.Resolve(requestId, video, query, transportLimit);
        if (video is VideoSource.Url url)
        {
            await urlPolicy.CheckAddressesAsync(url.Address, cancellationToken);
        }

        return request;
    }

    public static VideoSource ServerPath(string? path) =>
        string.IsNullOrWhiteSpace(path)
            ? throw VideoQaException.InvalidArgument("video_path_empty", "video.path", "video.path must not be empty.")
            : new VideoSource.ServerPath(path);

}
