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
/// Reads an ask request either as JSON (video by URL or server path) or as multipart/form-data with one "request"
/// JSON part and one "video" file part. Every piece has its own size cap, checked while reading: the JSON body and
/// the request part <see cref="ServiceOptions.MaxJsonBytes"/>, part headers <see cref="MaxPartHeaderBytes"/>, the
/// video <see cref="AnswerRequestFactory.MaxUploadBytes"/>; an oversized piece fails with 413 as soon as its cap is crossed
/// (or at once from Content-Length), and a malformed body with 400. A URL is only parsed here: its DNS check runs
/// after every field has been validated (<see cref="AnswerRequestFactory.CreateAsync"/>).
/// </summary>
public sealed class AskInputReader(
    IOptionsMonitor<ServiceOptions> options,
    IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
    AnswerRequestFactory factory,
    ServiceMetrics metrics)
{
    /// <summary>Longest header block of one multipart part (a file name, a content type: a few hundred bytes).</summary>
    public const int MaxPartHeaderBytes = 8 * 1024;

    /// <summary>Room for the multipart boundaries and part headers on top of the video and the request part.</summary>
    private const long MultipartOverheadBytes = 64 * 1024;

    public async Task<(VideoSource Video, AskRequest Request)> ReadAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.HasJsonContentType())
        {
            var ask = await JsonBody.ReadAsync<AskRequest>(context, options.CurrentValue.MaxJsonBytes, json.Value.SerializerOptions);
            return (VideoOf(ask), ask);
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

        var service = options.CurrentValue;
        var limit = factory.MaxUploadBytes;
        var bodyLimit = limit + service.MaxJsonBytes + MultipartOverheadBytes;
        if (context.Request.ContentLength > bodyLimit)
        {
            throw TooLarge(limit);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = bodyLimit;
        }

        var reader = new MultipartReader(boundary, context.Request.Body) { HeadersLengthLimit = MaxPartHeaderBytes };
        AskRequest? ask = null;
        VideoSource.Bytes? video = null;
        while (await NextSectionAsync(reader, context.RequestAborted) is { } section)
        {
            var disposition = section.GetContentDispositionHeader();
            switch (disposition?.Name.Value)
            {
                case "request" when ask is not null:
                    throw Duplicate("request");
                case "request":
                    ask = await ReadRequestPartAsync(section.Body, service.MaxJsonBytes, context.RequestAborted);
                    break;
                case "video" when video is not null:
                    throw Duplicate("video");
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
        while ((read = await ReadPartAsync(body, chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw TooLarge(limit);
            }

            buffer.Write(chunk, 0, read);
        }

        return new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The next part; a body that is not well-formed multipart (garbage, an endless header, a cut-off end) is a 400.</summary>
    private static async Task<MultipartSection?> NextSectionAsync(MultipartReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadNextSectionAsync(cancellationToken);
        }
        catch (Exception error) when (IsMalformed(error))
        {
            throw Malformed(error);
        }
    }

    private async Task<AskRequest> ReadRequestPartAsync(Stream part, int limit, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonBody.ReadAsync<AskRequest>(part, limit, json.Value.SerializerOptions, cancellationToken);
        }
        catch (Exception error) when (IsMalformed(error))
        {
            throw Malformed(error);
        }
    }

    private static async Task<int> ReadPartAsync(Stream part, Memory<byte> chunk, CancellationToken cancellationToken)
    {
        try
        {
            return await part.ReadAsync(chunk, cancellationToken);
        }
        catch (Exception error) when (IsMalformed(error))
        {
            throw Malformed(error);
        }
    }

    // BadHttpRequestException is an IOException too, but it is the transport's verdict (size, speed): keep it.
    private static bool IsMalformed(Exception error) => error is InvalidDataException || (error is IOException and not BadHttpRequestException);

    private static VideoQaException Malformed(Exception error) =>
        new(ErrorKind.InvalidArgument, "multipart_invalid", "The body is not well-formed multipart/form-data.", error);

    private static VideoQaException Duplicate(string part) =>
        new(ErrorKind.InvalidArgument, "form_part_duplicate", $"The multipart body has more than one '{part}' part.") { Field = part };

    public static VideoQaException TooLarge(long limit) =>
        new(ErrorKind.TooLarge, "upload_too_large", $"The video is larger than the server limit of {limit} bytes.") { Field = "video" };

    private VideoSource VideoOf(AskRequest ask) => ask.Video switch
    {
        null or { Url: null, Path: null } =>
            throw new VideoQaException(ErrorKind.InvalidArgument, "video_required", "video.url or video.path is required (or upload it as multipart).") { Field = "video" },
        { Url: not null, Path: not null } =>
            throw new VideoQaException(ErrorKind.InvalidArgument, "video_ambiguous", "Give exactly one of video.url and video.path.") { Field = "video" },
        { Url: { } url } => factory.Url(url),
        { Path: var path } => AnswerRequestFactory.ServerPath(path),
    };
}
