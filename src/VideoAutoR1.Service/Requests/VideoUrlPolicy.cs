using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using VideoAutoR1.Core;
using VideoAutoR1.Media;
using VideoAutoR1.Service.Options;

namespace VideoAutoR1.Service.Requests;

/// <summary>
/// Admission check for remote videos (SSRF guard): scheme and host allow-lists, and refusal of hosts that
/// resolve to non-public addresses. It runs before a request is queued so a blocked URL fails fast.
/// </summary>
public sealed class VideoUrlPolicy(IOptionsMonitor<ServiceOptions> options)
{
    private static readonly TimeSpan DnsTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Parse and resolution check in one (<see cref="Parse"/>, then <see cref="CheckAddressesAsync"/>).</summary>
    public async Task<Uri> CheckAsync(string? url, CancellationToken cancellationToken)
    {
        var uri = Parse(url);
        await CheckAddressesAsync(uri, cancellationToken);
        return uri;
    }

    /// <summary>The checks that need no network: an absolute URL with an allowed scheme and host.</summary>
    public Uri Parse(string? url)
    {
        var policy = options.CurrentValue.Urls;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw new VideoQaException(ErrorKind.InvalidArgument, "url_invalid", "video url is not an absolute URL.") { Field = "video.url" };
        }

        if (!policy.AllowedSchemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase))
        {
            throw new VideoQaException(ErrorKind.InvalidArgument, "url_scheme_not_allowed", $"URL scheme '{uri.Scheme}' is not allowed.") { Field = "video.url" };
        }

        if (policy.AllowedHosts.Length > 0 && !policy.AllowedHosts.Any(pattern => HostMatches(uri.IdnHost, pattern)))
        {
            throw Blocked("url_host_not_allowed", $"host '{uri.Host}' is not in the allowed hosts.");
        }

        return uri;
    }

    /// <summary>Resolves the host (DNS) and refuses it when any address is not public; run after every other check.</summary>
    public async Task CheckAddressesAsync(Uri uri, CancellationToken cancellationToken)
    {
        if (!options.CurrentValue.Urls.BlockPrivateAddresses)
        {
            return;
        }

        foreach (var address in await ResolveAsync(uri, cancellationToken))
        {
            if (!IsPublic(address))
            {
                throw Blocked("url_blocked", $"host '{uri.Host}' resolves to a non-public address.");
            }
        }
    }

    /// <summary>True for globally routable unicast addresses only (the one rule the fetcher applies again at connect time).</summary>
    public static bool IsPublic(IPAddress address) => SpecialPurposeAddresses.IsGlobal(address);

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
            return await Dns.GetHostAddressesAsync(uri.IdnHost, timeout.Token);
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new VideoQaException(ErrorKind.SourceUnavailable, "url_unresolvable", $"host '{uri.Host}' could not be resolved.", e) { Field = "video.url" };
        }
    }

    private static VideoQaException Blocked(string code, string message) =>
        new(ErrorKind.SourceUnavailable, code, message) { Field = "video.url" };
}
