using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using VideoAutoR1.Core;
using VideoAutoR1.Media;
using VideoAutoR1.Service.Apis;
using VideoAutoR1.Service.Options;
using VideoAutoR1.Service.Telemetry;

namespace VideoAutoR1.Service.Requests;

/// <summary>
/// Reads an ask request either as JSON (video by URL or server path) or as multipart/form-data with a "request"
/// JSON part and a "video" file part. The upload is streamed through a size cap: an oversized video fails with 413
/// as soon as the cap is crossed (or at once from Content-Length), never after buffering all of it.
/// </summary>
public sealed class AskInputReader(
    IOptionsMonitor<ServiceOptions> options,
    IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
    AnswerRequestFactory factory,
    ServiceMetrics metrics)
{
    /// <summary>Room for the multipart boundaries and the JSON part on top of the video itself.</summary>
    private const long MultipartOverheadBytes = 1 << 20;

    public async Task<(VideoSource Video, AskRequest Request)> ReadAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.HasJsonContentType())
        {
            var ask = await Deserialize(request.Body, context.RequestAborted);
            return (await VideoOf(ask, context.RequestAborted), ask);
        }

        if (request.HasFormContentType && MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            && contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return await ReadMultipartAsync(context, HeaderUtilities.RemoveQuotes(contentType.Boundary).Value);
        }

        throw new VideoQaException(ErrorKind.UnsupportedMedia, "unsupported_content_type",
            "Send application/json (video by url or path) or multipart/form-data (parts 'request' and 'video').");
    }

    private async Task<(VideoSource, AskRequest)> ReadMultipartAsync(HttpContext context, string? boundary)
    {
        if (string.IsNullOrEmpty(boundary))
        {
            throw new VideoQaException(ErrorKind.InvalidArgument, "multipart_boundary_missing", "multipart/form-data without a boundary.");
        }

        var limit = options.CurrentValue.MaxUploadBytes;
        if (context.Request.ContentLength > limit + MultipartOverheadBytes)
        {
            throw TooLarge(limit);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = limit + MultipartOverheadBytes;
        }

        var reader = new MultipartReader(boundary, context.Request.Body);
        AskRequest? ask = null;
        VideoSource.Bytes? video = null;
        while (await reader.ReadNextSectionAsync(context.RequestAborted) is { } section)
        {
            var disposition = section.GetContentDispositionHeader();
            switch (disposition?.Name.Value)
            {
                case "request":
                    ask = await Deserialize(section.Body, context.RequestAborted);
                    break;
                case "video":
                    var bytes = await ReadCappedAsync(section.Body, limit, context.RequestAborted);
                    metrics.Uploaded(bytes.Length);
                    video = new VideoSource.Bytes(bytes, HeaderUtilities.RemoveQuotes(disposition.FileName).Value);
                    break;
                default:
                    throw new VideoQaException(ErrorKind.InvalidArgument, "unknown_form_part",
                        $"Unknown form part '{disposition?.Name.Value}'; expected 'request' and 'video'.");
            }
        }

        if (ask is null)
        {
            throw new VideoQaException(ErrorKind.InvalidArgument, "request_part_missing", "The multipart body has no 'request' JSON part.") { Field = "request" };
        }

        if (video is null || video.Content.IsEmpty)
        {
            throw new VideoQaException(ErrorKind.InvalidArgument, "video_required", "The multipart body has no (or an empty) 'video' part.") { Field = "video" };
        }

        if (ask.Video is not null)
        {
            throw new VideoQaException(ErrorKind.InvalidArgument, "video_ambiguous", "Give the video either as the 'video' part or in request.video, not both.") { Field = "video" };
        }

        return (video, ask);
    }

    /// <summary>Copies a stream into memory, failing as soon as it is longer than <paramref name="limit"/>.</summary>
    public static async Task<ReadOnlyMemory<byte>> ReadCappedAsync(Stream body, long limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw TooLarge(limit);
            }

            buffer.Write(chunk, 0, read);
        }

        return new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static VideoQaException TooLarge(long limit) =>
        new(ErrorKind.TooLarge, "upload_too_large", $"The video is larger than the server limit of {limit} bytes.") { Field = "video" };

    private async Task<AskRequest> Deserialize(Stream body, CancellationToken cancellationToken) =>
        await JsonSerializer.DeserializeAsync<AskRequest>(body, json.Value.SerializerOptions, cancellationToken)
        ?? throw new VideoQaException(ErrorKind.InvalidArgument, "invalid_json", "The request body is JSON null.");

    private async Task<VideoSource> VideoOf(AskRequest ask, CancellationToken cancellationToken) => ask.Video switch
    {
        null or { Url: null, Path: null } =>
            throw new VideoQaException(ErrorKind.InvalidArgument, "video_required", "video.url or video.path is required (or upload it as multipart).") { Field = "video" },
        { Url: not null, Path: not null } =>
            throw new VideoQaException(ErrorKind.InvalidArgument, "video_ambiguous", "Give exactly one of video.url and video.path.") { Field = "video" },
        { Url: { } url } => await factory.UrlAsync(url, cancellationToken),
        { Path: var path } => AnswerRequestFactory.ServerPath(path),
    };
}
