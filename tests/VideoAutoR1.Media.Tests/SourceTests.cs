using System.Net;
using System.Net.Sockets;
using System.Text;
using VideoAutoR1.Core;

namespace VideoAutoR1.Media.Tests;

public sealed class SourceTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("videoautor1-media-root-").FullName;
    private readonly string _outside = Directory.CreateTempSubdirectory("videoautor1-media-outside-").FullName;

    private static string Clip => TestVideos.TestSrc("testsrc-320x240-25fps-4s.mp4", 320, 240, 25, 4);

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_outside, recursive: true);
    }

    [Fact]
    public async Task Server_path_under_the_root_is_read_in_place_also_through_an_inner_symlink()
    {
        Directory.CreateDirectory(Path.Combine(_root, "clips"));
        File.Copy(Clip, Path.Combine(_root, "clips", "a.mp4"));
        File.CreateSymbolicLink(Path.Combine(_root, "alias.mp4"), Path.Combine(_root, "clips", "a.mp4"));
        using var harness = new Harness(o => o.ServerPathRoot = _root);
        var direct = await harness.RunAsync(new VideoSource.ServerPath("clips/a.mp4"));
        var aliased = await harness.RunAsync(new VideoSource.ServerPath("alias.mp4"));
        Assert.Equal(direct.PixelValues, aliased.PixelValues);
        Assert.True(File.Exists(Path.Combine(_root, "clips", "a.mp4")));
        harness.AssertClean();
    }

    [Theory]
    [InlineData("../outside.mp4")]
    [InlineData("clips/../../outside.mp4")]
    [InlineData("/etc/passwd")]
    [InlineData("")]
    public async Task Server_path_traversal_is_video_path_forbidden(string path)
    {
        File.Copy(Clip, Path.Combine(Path.GetDirectoryName(_root)!, "outside.mp4"), overwrite: true);
        using var harness = new Harness(o => o.ServerPathRoot = _root);
        var error = await Assert.ThrowsAsync<VideoQaException>(() => harness.RunAsync(new VideoSource.ServerPath(path)));
        Assert.Equal(("video_path_forbidden", ErrorKind.InvalidArgument), (error.Code, error.Kind));
    }

    [Fact]
    public async Task Symlinks_that_leave_the_root_are_video_path_forbidden()
    {
        File.Copy(Clip, Path.Combine(_outside, "secret.mp4"));
        File.CreateSymbolicLink(Path.Combine(_root, "escape.mp4"), Path.Combine(_outside, "secret.mp4"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "dir"), _outside);
        using var harness = new Harness(o => o.ServerPathRoot = _root);
        foreach (var path in new[] { "escape.mp4", "dir/secret.mp4" })
        {
            var error = await Assert.ThrowsAsync<VideoQaException>(() => harness.RunAsync(new VideoSource.ServerPath(path)));
            Assert.Equal("video_path_forbidden", error.Code);
        }
    }

    [Fact]
    public async Task Missing_server_file_and_disabled_root_are_typed()
    {
        using (var harness = new Harness(o => o.ServerPathRoot = _root))
        {
            var missing = await Assert.ThrowsAsync<VideoQaException>(() => harness.RunAsync(new VideoSource.ServerPath("nope.mp4")));
            Assert.Equal(("video_path_not_found", ErrorKind.SourceUnavailable), (missing.Code, missing.Kind));
        }

        using var disabled = new Harness();
        var error = await Assert.ThrowsAsync<VideoQaException>(() => disabled.RunAsync(new VideoSource.ServerPath("a.mp4")));
        Assert.Equal(("video_source_disabled", ErrorKind.InvalidArgument), (error.Code, error.Kind));
    }

    [Fact]
    public async Task Upload_over_the_byte_limit_is_video_too_large()
    {
        using var harness = new Harness(o => o.MaxBytes = 1000);
        var error = await Assert.ThrowsAsync<VideoQaException>(() => harness.RunAsync(new VideoSource.Bytes(File.ReadAllBytes(Clip))));
        Assert.Equal(("video_too_large", ErrorKind.TooLarge), (error.Code, error.Kind));
        harness.AssertClean();
    }

    [Fact]
    public async Task Url_to_loopback_is_refused_at_connect_time()
    {
        await using var server = new LocalHttpServer(ServeFile(File.ReadAllBytes(Clip), chunked: false));
        using var harness = new Harness();
        var error = await Assert.ThrowsAsync<VideoQaException>(() => harness.RunAsync(new VideoSource.Url(server.Address)));
        Assert.Equal(("url_blocked", ErrorKind.SourceUnavailable), (error.Code, error.Kind));
        Assert.Equal(0, server.Requests);
        var named = await Assert.ThrowsAsync<VideoQaException>(() =>
            harness.RunAsync(new VideoSource.Url(new Uri($"http://localhost:{server.Address.Port}/clip.mp4"))));
        Assert.Equal("url_blocked", named.Code);
        harness.AssertClean();
    }

    [Fact]
    public async Task Url_is_downloaded_when_private_addresses_are_allowed_and_the_spool_file_is_removed()
    {
        var bytes = File.ReadAllBytes(Clip);
        await using var server = new LocalHttpServer(ServeFile(bytes, chunked: true));
        using var harness = new Harness(o => o.AllowPrivateAddresses = true);
        var fromUrl = await harness.RunAsync(new VideoSource.Url(server.Address));
        var fromBytes = await harness.RunAsync(new VideoSource.Bytes(bytes));
        Assert.Equal(fromBytes.PixelValues, fromUrl.PixelValues);
        harness.AssertClean();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Url_body_over_the_byte_limit_is_video_too_large(bool chunked)
    {
        await using var server = new LocalHttpServer(ServeFile(File.ReadAllBytes(Clip), chunked));
        using var harness = new Harness(o => (o.AllowPrivateAddresses, o.MaxBytes) = (true, 10_000));
        var error = await Assert.ThrowsAsync<VideoQaException>(() => harness.RunAsync(new VideoSource.Url(server.Address)));
        Assert.Equal(("video_too_large", ErrorKind.TooLarge), (error.Code, error.Kind));
        harness.AssertClean();
    }

    [Fact]
    public async Task Stalled_url_is_video_url_timeout_and_errors_statuses_are_unavailable()
    {
        await using var stalled = new LocalHttpServer(async (stream, ct) =>
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nabc"), ct);
            await Task.Delay(Timeout.Infinite, ct);
        });
        using var harness = new Harness(o => (o.AllowPrivateAddresses, o.UrlTimeout) = (true, TimeSpan.FromSeconds(1)));
        var error = await Assert.ThrowsAsync<VideoQaException>(() => harness.RunAsync(new VideoSource.Url(stalled.Address)));
        Assert.Equal(("video_url_timeout", ErrorKind.SourceUnavailable), (error.Code, error.Kind));

        await using var missing = new LocalHttpServer((stream, ct) =>
            stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"), ct).AsTask());
        var notFound = await Assert.ThrowsAsync<VideoQaException>(() => harness.RunAsync(new VideoSource.Url(missing.Address)));
        Assert.Equal(("video_url_unavailable", ErrorKind.SourceUnavailable), (notFound.Code, notFound.Kind));

        var scheme = await Assert.ThrowsAsync<VideoQaException>(() => harness.RunAsync(new VideoSource.Url(new Uri("file:///etc/passwd"))));
        Assert.Equal(("url_scheme_not_allowed", ErrorKind.InvalidArgument), (scheme.Code, scheme.Kind));
        harness.AssertClean();
    }

    private static Func<NetworkStream, CancellationToken, Task> ServeFile(byte[] body, bool chunked) => async (stream, ct) =>
    {
        var header = chunked
            ? "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            : $"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(header), ct);
        if (!chunked)
        {
            await stream.WriteAsync(body, ct);
            return;
        }

        foreach (var chunk in body.Chunk(4096))
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n"), ct);
            await stream.WriteAsync(chunk, ct);
            await stream.WriteAsync("\r\n"u8.ToArray(), ct);
        }

        await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), ct);
    };

    /// <summary>A one-route HTTP/1.1 server on 127.0.0.1 that reads the request head and lets the test write the answer.</summary>
    private sealed class LocalHttpServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _requests;

        public LocalHttpServer(Func<NetworkStream, CancellationToken, Task> respond)
        {
            _listener.Start();
            Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/clip.mp4");
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _ = Task.Run(async () =>
                    {
                        using (client)
                        {
                            var stream = client.GetStream();
                            await ReadHeadAsync(stream, _stop.Token);
                            Interlocked.Increment(ref _requests);
                            await respond(stream, _stop.Token);
                        }
                    });
                }
            });
        }

        public Uri Address { get; }

        public int Requests => Volatile.Read(ref _requests);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
            _stop.Dispose();
        }

        private static async Task ReadHeadAsync(NetworkStream stream, CancellationToken ct)
        {
            var seen = new List<byte>();
            var one = new byte[1];
            while (await stream.ReadAsync(one, ct) == 1)
            {
                seen.Add(one[0]);
                if (seen.Count >= 4 && seen[^4] == '\r' && seen[^3] == '\n' && seen[^2] == '\r' && seen[^1] == '\n')
                {
                    return;
                }
            }
        }
    }
}
