using System.Net;

namespace VideoAutoR1.Media.Tests;

/// <summary>
/// The SSRF rule over every block of the IANA IPv4 and IPv6 special-purpose registries that is not globally
/// reachable (first, inner and last address of each), every IPv6 form that embeds an IPv4 address, and public
/// addresses of both families that must stay fetchable.
/// </summary>
public sealed class SpecialPurposeAddressTests
{
    public static TheoryData<string> NonGlobalV4 => new()
    {
        "0.0.0.0", "0.255.255.255", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.254", "127.0.0.1", "127.255.255.255",
        "169.254.0.1", "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.1", "192.0.0.255", "192.0.2.1", "192.88.99.1",
        "192.168.0.1", "192.168.255.255", "198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9", "224.0.0.1",
        "239.255.255.255", "240.0.0.1", "255.255.255.255",
    };

    public static TheoryData<string> NonGlobalV6 => new()
    {
        "::", "::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:0:7f00:1", "::7f00:1",
        "::a9fe:a9fe", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1", "100::1", "100::ffff:ffff:ffff:ffff",
        "100:0:0:1::1", "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:1ff:ffff::1", "2001:db8::1",
        "2001:db8:ffff::1", "2002:7f00:1::", "2002:a9fe:a9fe::", "2002:0a00:0001::1", "3fff::1", "5f00::1", "fc00::1",
        "fdff:ffff::1", "fe80::1", "febf::1", "fec0::1", "ff02::1", "ffff::1",
    };

    public static TheoryData<string> Global => new()
    {
        "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.1", "192.0.3.1", "198.17.255.255",
        "198.20.0.1", "223.255.255.254", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "2001:200::1",
        "2001:4860:4860::8888", "2606:4700:4700::1111", "2a00:1450:4001::1",
    };

    [Theory]
    [MemberData(nameof(NonGlobalV4))]
    [MemberData(nameof(NonGlobalV6))]
    public void Special_purpose_and_embedded_addresses_are_refused(string address)
    {
        Assert.False(SpecialPurposeAddresses.IsGlobal(IPAddress.Parse(address)), address);
        Assert.False(new VideoUrlPolicy(new MediaOptions()).IsAllowed(IPAddress.Parse(address)), address);
        Assert.True(new VideoUrlPolicy(new MediaOptions { AllowPrivateAddresses = true }).IsAllowed(IPAddress.Parse(address)), address);
    }

    [Theory]
    [MemberData(nameof(Global))]
    public void Global_unicast_addresses_of_both_families_are_allowed(string address) =>
        Assert.True(SpecialPurposeAddresses.IsGlobal(IPAddress.Parse(address)), address);
}
