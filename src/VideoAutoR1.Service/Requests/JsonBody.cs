using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using VideoAutoR1.Core;

namespace VideoAutoR1.Service.Requests;

/// <summary>
/// Reads JSON within a byte limit of its own: a larger Content-Length is refused before reading, a longer body as
/// soon as the limit is crossed, so no oversized body is ever buffered or parsed.
/// </summary>
public static class JsonBody
{
    /// <summary>Deserializes the request body, at most <paramref name="limit"/> bytes.</summary>
    public static async Task<T> ReadAsync<T>(HttpContext context, long limit, JsonSerializerOptions json)
    {
        if (context.Request.ContentLength > limit)
        {
            throw TooLarge(limit);
        }

        // Kestrel enforces it too while reading, for every body stream the framework may wrap around ours.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = limit;
        }

        try
        {
            return await ReadAsync<T>(context.Request.Body, limit, json, context.RequestAborted);
        }
        catch (BadHttpRequestException error) when (error.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own count can trip before ours (a chunked body): it is still this limit that was crossed.
            throw TooLarge(limit);
        }
    }

    /// <summary>Deserializes <paramref name="body"/>, failing with 413 once more than <paramref name="limit"/> bytes were read.</summary>
    public static async Task<T> ReadAsync<T>(Stream body, long limit, JsonSerializerOptions json, CancellationToken cancellationToken) =>
        await JsonSerializer.DeserializeAsync<T>(new CappedStream(body, limit), json, cancellationToken)
        ?? throw new VideoQaException(ErrorKind.InvalidArgument, "invalid_json", "The JSON is null.");

    public static VideoQaException TooLarge(long limit) =>
        new(ErrorKind.TooLarge, "json_too_large", $"The JSON is larger than the server limit of {limit} bytes.");

    /// <summary>A read-only view of a stream that throws <see cref="TooLarge"/> past its limit.</summary>
    private sealed class CappedStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            _read += read;
            return _read > limit ? throw TooLarge(limit) : read;
        }
    }
}
