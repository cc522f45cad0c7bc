using VideoAutoR1.Core;

namespace VideoAutoR1.Media.Tests;

/// <summary>
/// The URL rules at their one owner, <see cref="VideoUrlPolicy"/> (the service's admission check and the fetcher's
/// connect step both run it; the address table itself is pinned in <see cref="SpecialPurposeAddressTests"/>).
/// </summary>
public sealed class UrlPolicyTests
{
    private static readonly VideoUrlPolicy Policy = new(new MediaOptions());

    [Theory]
    [InlineData("http://127.0.0.1/v.mp4", "url_blocked")]
    [InlineData("http://[::1]:8080/v.mp4", "url_blocked")]
    [InlineData("ftp://example.com/v.mp4", "url_scheme_not_allowed")]
    [InlineData("file:///etc/passwd", "url_scheme_not_allowed")]
    [InlineData("not a url", "url_invalid")]
    [InlineData("http://[::7f00:1]/v.mp4", "url_blocked")]
    [InlineData("http://[::ffff:0:7f00:1]/v.mp4", "url_blocked")]
    [InlineData("http://[2002:7f00:1::]/v.mp4", "url_blocked")]
    [InlineData("http://[2002:a9fe:a9fe::]/latest/meta-data", "url_blocked")]
    [InlineData("http://[2001::1]/v.mp4", "url_blocked")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/v.mp4", "url_blocked")]
    public async Task Urls_are_refused_before_anything_is_fetched(string url, string code)
    {
        var error = await Assert.ThrowsAsync<VideoQaException>(() => Policy.CheckAsync(url, CancellationToken.None));
        Assert.Equal((code, VideoUrlPolicy.Field), (error.Code, error.Field));
    }

    [Fact]
    public async Task The_host_allow_list_applies_at_admission_and_at_connect()
    {
        var policy = new VideoUrlPolicy(new MediaOptions { AllowedUrlHosts = ["*.videos.example"], AllowPrivateAddresses = true });

        Assert.Equal("cdn.videos.example", (await policy.CheckAsync("https://cdn.videos.example/a.mp4", CancellationToken.None)).Host);
        var error = await Assert.ThrowsAsync<VideoQaException>(() => policy.CheckAsync("https://evil.example/a.mp4", CancellationToken.None));
        Assert.Equal("url_host_not_allowed", error.Code);
        // A redirect to another host reaches the connect step with that host: refused there too.
        Assert.Equal("url_host_not_allowed", Assert.Throws<VideoQaException>(() => policy.AllowedForConnect("evil.example", [System.Net.IPAddress.Loopback])).Code);
    }

    [Fact]
    public void At_connect_only_allowed_addresses_are_used_and_none_allowed_is_url_blocked()
    {
        System.Net.IPAddress[] resolved = [System.Net.IPAddress.Parse("10.0.0.1"), System.Net.IPAddress.Parse("8.8.8.8")];
        Assert.Equal([System.Net.IPAddress.Parse("8.8.8.8")], Policy.AllowedForConnect("mixed.example", resolved));
        Assert.Equal("url_blocked", Assert.Throws<VideoQaException>(() => Policy.AllowedForConnect("internal.example", [System.Net.IPAddress.Loopback])).Code);
    }

    [Fact]
    public void The_one_switch_turns_urls_off_at_admission_and_at_fetch()
    {
        var policy = new VideoUrlPolicy(new MediaOptions { AllowUrls = false });
        Assert.Equal("video_source_disabled", Assert.Throws<VideoQaException>(() => policy.Parse("https://example.com/a.mp4")).Code);
        Assert.Equal("video_source_disabled", Assert.Throws<VideoQaException>(() => policy.CheckSchemeAndHost(new Uri("https://example.com/a.mp4"))).Code);
    }
}
