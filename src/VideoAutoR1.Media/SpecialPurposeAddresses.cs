using System.Net;
using System.Net.Sockets;

namespace VideoAutoR1.Media;

/// <summary>
/// The one SSRF address rule, shared by the admission check and the fetcher's connect step: an address may be
/// fetched only if it is globally reachable unicast. The tables follow the IANA IPv4 and IPv6 Special-Purpose
/// Address Registries (RFC 6890 and successors); IPv6 forms that embed an IPv4 address (IPv4-mapped,
/// IPv4-translated, IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16) are decoded and the inner address is
/// judged by the IPv4 table, so ::ffff:127.0.0.1, ::7f00:1 and 2002:a9fe:a9fe:: are all refused.
/// </summary>
public static class SpecialPurposeAddresses
{
    private static readonly Range[] V4 =
    [
        new("0.0.0.0", 8), // "this network"
        new("10.0.0.0", 8), // private
        new("100.64.0.0", 10), // shared address space (carrier-grade NAT)
        new("127.0.0.0", 8), // loopback
        new("169.254.0.0", 16), // link-local (cloud metadata at 169.254.169.254)
        new("172.16.0.0", 12), // private
        new("192.0.0.0", 24), // IETF protocol assignments
        new("192.0.2.0", 24), // TEST-NET-1
        new("192.88.99.0", 24), // deprecated 6to4 relay anycast
        new("192.168.0.0", 16), // private
        new("198.18.0.0", 15), // benchmarking
        new("198.51.100.0", 24), // TEST-NET-2
        new("203.0.113.0", 24), // TEST-NET-3
        new("224.0.0.0", 4), // multicast
        new("240.0.0.0", 4), // reserved, and 255.255.255.255 limited broadcast
    ];

    private static readonly Range[] V6 =
    [
        new("::ffff:0:0", 96, EmbeddedAt: 12), // IPv4-mapped
        new("::ffff:0:0:0", 96, EmbeddedAt: 12), // IPv4-translated (SIIT)
        new("::", 96, EmbeddedAt: 12), // IPv4-compatible (deprecated), and :: and ::1
        new("64:ff9b::", 96, EmbeddedAt: 12), // NAT64 well-known prefix
        new("64:ff9b:1::", 48), // NAT64 local use
        new("100::", 64), // discard-only
        new("100:0:0:1::", 64), // dummy prefix
        new("2001::", 23), // IETF protocol assignments, Teredo 2001::/32 among them
        new("2001:db8::", 32), // documentation
        new("2002::", 16, EmbeddedAt: 2), // 6to4: the relay is the embedded IPv4 address
        new("3fff::", 20), // documentation
        new("5f00::", 16), // SRv6 SIDs
        new("fc00::", 7), // unique local
        new("fe80::", 10), // link-local
        new("fec0::", 10), // site-local (deprecated)
        new("ff00::", 8), // multicast
    ];

    /// <summary>True when <paramref name="address"/>, and any IPv4 address it embeds, is globally reachable unicast.</summary>
    public static bool IsGlobal(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return !Array.Exists(V4, range => range.Contains(bytes));
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        foreach (var range in V6)
        {
            if (range.Contains(bytes))
            {
                return range.EmbeddedAt is { } offset && IsGlobal(new IPAddress(bytes.AsSpan(offset, 4)));
            }
        }

        return true;
    }

    /// <summary>A prefix; <paramref name="EmbeddedAt"/> is the byte offset of an embedded IPv4 address to judge instead.</summary>
    private sealed record Range(byte[] Prefix, int Length, int? EmbeddedAt = null)
    {
        public Range(string prefix, int length, int? EmbeddedAt = null)
            : this(IPAddress.Parse(prefix).GetAddressBytes(), length, EmbeddedAt)
        {
        }

        public bool Contains(ReadOnlySpan<byte> address)
        {
            var whole = Length / 8;
            if (!address[..whole].SequenceEqual(Prefix.AsSpan(0, whole)))
            {
                return false;
            }

            var rest = Length % 8;
            var mask = (byte)(0xFF << (8 - rest));
            return rest == 0 || (address[whole] & mask) == (Prefix[whole] & mask);
        }
    }
}
