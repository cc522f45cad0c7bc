using System.Net;
using System.Net.Sockets;
using VideoAutoR1.Core;

namespace VideoAutoR1.Media;

/// <summary>
/// Downloads http(s) videos with a size cap and a time limit, refusing private, loopback, link-local and other
/// non-public addresses. The check runs on the addresses actually connected to (SocketsHttpHandler.ConnectCallback),
/// so DNS rebinding and redirects to internal hosts are caught too; no proxy is used, which would bypass it.
/// </summary>
internal sealed class VideoUrlFetcher : IDisposable
{
    private readonly HttpClient _client;
    private readonly TimeSpan _timeout;

    public VideoUrlFetcher(MediaOptions options)
    {
        _timeout = options.UrlTimeout;
        var allowPrivate = options.AllowPrivateAddresses;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 5,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ConnectCallback = (context, ct) => ConnectAsync(context.DnsEndPoint, allowPrivate, ct),
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public async Task DownloadAsync(Uri address, Stream destination, long maxBytes, CancellationToken ct)
    {
        if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
        {
            throw new VideoQaException(ErrorKind.InvalidArgument, "video_url_scheme", "only http and https video URLs are fetched") { Field = "video_url" };
        }

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
            throw FindInner<VideoQaException>(error) ?? Unavailable(error.Message, error);
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>True for addresses a server-side fetch must not reach: anything but global unicast.</summary>
    internal static bool IsBlocked(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] is 0 or 10 or 127 or >= 224 // this network, private, loopback, multicast, reserved, broadcast
                || (b[0] == 100 && (b[1] & 0xC0) == 64) // carrier-grade NAT 100.64/10
                || (b[0] == 169 && b[1] == 254) // link-local
                || (b[0] == 172 && (b[1] & 0xF0) == 16) // private 172.16/12
                || (b[0] == 192 && b[1] == 168) // private 192.168/16
                || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2) // IETF protocol assignments, TEST-NET-1
                || (b[0] == 198 && (b[1] & 0xFE) == 18) // benchmarking 198.18/15
                || (b[0] == 198 && b[1] == 51 && b[2] == 100) // TEST-NET-2
                || (b[0] == 203 && b[1] == 0 && b[2] == 113); // TEST-NET-3
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return IPAddress.IsLoopback(address) || address.Equals(IPAddress.IPv6None)
                || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || (b[0] & 0xFE) == 0xFC // unique local fc00::/7
                || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) // documentation 2001:db8::/32
                || (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B); // NAT64 64:ff9b::/96 can reach IPv4 internals
        }

        return true;
    }

    private static async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, bool allowPrivate, CancellationToken ct)
    {
        var resolved = IPAddress.TryParse(endPoint.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(endPoint.Host, ct);
        var allowed = allowPrivate ? resolved : Array.FindAll(resolved, a => !IsBlocked(a));
        if (allowed.Length == 0)
        {
            throw new VideoQaException(ErrorKind.SourceUnavailable, "video_url_forbidden",
                $"'{endPoint.Host}' resolves only to private, loopback or otherwise non-public addresses")
            { Field = "video_url" };
        }

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
