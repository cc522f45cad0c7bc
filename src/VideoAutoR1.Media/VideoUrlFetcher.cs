using System.Net;
using System.Net.Sockets;
using VideoAutoR1.Core;

namespace VideoAutoR1.Media;

/// <summary>
/// Downloads http(s) videos with a size cap and a time limit under <see cref="VideoUrlPolicy"/>. The policy runs again
/// on every host and the addresses actually connected to (SocketsHttpHandler.ConnectCallback), so DNS rebinding and
/// redirects to other or internal hosts are caught too; no proxy is used, which would bypass it.
/// </summary>
internal sealed class VideoUrlFetcher : IDisposable
{
    private readonly HttpClient _client;
    private readonly TimeSpan _timeout;

    private readonly VideoUrlPolicy _policy;

    public VideoUrlFetcher(MediaOptions options, VideoUrlPolicy policy)
    {
        _timeout = options.UrlTimeout;
        _policy = policy;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 5,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ConnectCallback = (context, ct) => ConnectAsync(context.DnsEndPoint, policy, ct),
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public async Task DownloadAsync(Uri address, Stream destination, long maxBytes, CancellationToken ct)
    {
        if (!address.IsAbsoluteUri)
        {
            throw VideoQaException.InvalidArgument("url_invalid", VideoUrlPolicy.Field, "video url is not an absolute URL.");
        }

        _policy.CheckSchemeAndHost(address);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_timeout);
        try
        {
            using var response = await _client.GetAsync(address, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw Unavailable($"the server answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            if (response.Content.Headers.ContentLength > maxBytes)
            {
                throw TooLarge(maxBytes);
            }

            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            await CopyCappedAsync(body, destination, maxBytes, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new VideoQaException(ErrorKind.SourceUnavailable, "video_url_timeout", $"fetching the video took longer than {_timeout.TotalSeconds:0} s") { Field = "video_url" };
        }
        catch (HttpRequestException error) when (!ct.IsCancellationRequested)
        {
            // The socket error (with the resolved address) stays in the inner exception, for the log.
            throw FindInner<VideoQaException>(error) ?? Unavailable(error.HttpRequestError == HttpRequestError.Unknown
                ? "the connection failed" : $"the connection failed ({error.HttpRequestError})", error);
        }
    }

    public void Dispose() => _client.Dispose();

    private static async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, VideoUrlPolicy policy, CancellationToken ct)
    {
        var resolved = IPAddress.TryParse(endPoint.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(endPoint.Host, ct);
        var allowed = policy.AllowedForConnect(endPoint.Host, resolved);

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task CopyCappedAsync(Stream source, Stream destination, long maxBytes, CancellationToken ct)
    {
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, ct)) > 0)
        {
            total += read;
            if (total > maxBytes)
            {
                throw TooLarge(maxBytes);
            }

            await destination.WriteAsync(buffer.AsMemory(0, read), ct);
        }
    }

    private static T? FindInner<T>(Exception error)
        where T : Exception
    {
        for (var e = error.InnerException; e is not null; e = e.InnerException)
        {
            if (e is T match)
            {
                return match;
            }
        }

        return null;
    }

    private static VideoQaException TooLarge(long maxBytes) =>
        new(ErrorKind.TooLarge, "video_too_large", $"the video is larger than the {maxBytes}-byte limit") { Field = "video_url" };

    private static VideoQaException Unavailable(string message, Exception? inner = null) =>
        new(ErrorKind.SourceUnavailable, "video_url_unavailable", $"could not fetch the video: {message}", inner) { Field = "video_url" };
}
