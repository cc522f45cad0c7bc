using System.Net;
using System.Net.Sockets;
using VideoAutoR1.Core;

namespace VideoAutoR1.Media;

/// <summary>
/// The one URL rule (SSRF guard), from the "Media" settings: URLs must be on (<see cref="MediaOptions.AllowUrls"/>),
/// absolute, of an allowed scheme and host, and every address the host resolves to must be globally reachable
/// (<see cref="SpecialPurposeAddresses"/>) unless <see cref="MediaOptions.AllowPrivateAddresses"/> is set. The service
/// applies it at admission, before a request is queued, so a blocked URL fails fast; the fetcher applies it again
/// at connect, to the host and the addresses actually connected to, so DNS rebinding and redirects are caught.
/// </summary>
public sealed class VideoUrlPolicy(MediaOptions options)
{
    /// <summary>Field of every URL refusal.</summary>
    public const string Field = "video.url";

    private static readonly TimeSpan DnsTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Parse and resolution check in one (<see cref="Parse"/>, then <see cref="CheckAddressesAsync"/>).</summary>
    public async Task<Uri> CheckAsync(string? url, CancellationToken cancellationToken)
    {
        var uri = Parse(url);
        await CheckAddressesAsync(uri, cancellationToken).ConfigureAwait(false);
        return uri;
    }

    /// <summary>The checks that need no network: an absolute URL, URLs on, an allowed scheme and host.</summary>
    public Uri Parse(string? url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw VideoQaException.InvalidArgument("url_invalid", Field, "video url is not an absolute URL.");
        }

        CheckSchemeAndHost(uri);
        return uri;
    }

    /// <summary>URLs on, then the scheme and host allow-lists; the fetcher runs it again before it fetches.</summary>
    public void CheckSchemeAndHost(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!options.AllowUrls)
        {
            throw VideoQaException.InvalidArgument("video_source_disabled", Field, "this server does not fetch video URLs");
        }

        if (!options.AllowedUrlSchemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase))
        {
            throw VideoQaException.InvalidArgument("url_scheme_not_allowed", Field, $"URL scheme '{uri.Scheme}' is not allowed.");
        }

        CheckHost(uri.IdnHost);
    }

    /// <summary>Resolves the host (DNS) and refuses it when any address is not allowed; run after every other check.</summary>
    public async Task CheckAddressesAsync(Uri uri, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (options.AllowPrivateAddresses)
        {
            return;
        }

        foreach (var address in await ResolveAsync(uri, cancellationToken).ConfigureAwait(false))
        {
            if (!IsAllowed(address))
            {
                throw Blocked(uri.Host);
            }
        }
    }

    /// <summary>
    /// The addresses of <paramref name="host"/> a connection may use, for the fetcher's connect step: the allowed
    /// ones among <paramref name="resolved"/>; refused (url_blocked) when none is.
    /// </summary>
    public IPAddress[] AllowedForConnect(string host, IPAddress[] resolved)
    {
        CheckHost(host);
        var allowed = Array.FindAll(resolved, IsAllowed);
        return allowed.Length > 0 ? allowed : throw Blocked(host);
    }

    /// <summary>True when a server-side fetch may reach <paramref name="address"/>: global unicast, or private addresses allowed.</summary>
    public bool IsAllowed(IPAddress address) => options.AllowPrivateAddresses || SpecialPurposeAddresses.IsGlobal(address);

    private void CheckHost(string host)
    {
        var allowed = options.AllowedUrlHosts;
        if (allowed.Length > 0 && !allowed.Any(pattern => HostMatches(host, pattern)))
        {
            throw new VideoQaException(ErrorKind.SourceUnavailable, "url_host_not_allowed", $"host '{host}' is not in the allowed hosts.") { Field = Field };
        }
    }

    private static bool HostMatches(string host, string pattern) =>
        pattern.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase)
            : string.Equals(host, pattern, StringComparison.OrdinalIgnoreCase);

    private static async Task<IPAddress[]> ResolveAsync(Uri uri, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var literal))
        {
            return [literal];
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DnsTimeout);
        try
        {
            return await Dns.GetHostAddressesAsync(uri.IdnHost, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new VideoQaException(ErrorKind.SourceUnavailable, "url_unresolvable", $"host '{uri.Host}' could not be resolved.", e) { Field = Field };
        }
    }

    private static VideoQaException Blocked(string host) =>
        new(ErrorKind.SourceUnavailable, "url_blocked", $"host '{host}' resolves to a non-public address.") { Field = Field };
}
