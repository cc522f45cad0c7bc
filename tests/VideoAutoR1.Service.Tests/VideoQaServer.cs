using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace VideoAutoR1.Service.Tests;

/// <summary>
/// The real service (real engine on <see cref="RandomModelDirectory"/>, real ffmpeg media pipeline) on a real Kestrel
/// bound to loopback: one HTTP/1.1 port (REST, SSE, OpenAI) and one HTTP/2 cleartext port (gRPC).
/// </summary>
public class VideoQaServer : WebApplicationFactory<Program>, IAsyncLifetime
{
    /// <summary>The id the test servers report for <see cref="RandomModelDirectory"/>.</summary>
    public const string RandomModelId = "videoautor1-test-random";

    /// <summary>Frames kept per video: small, so every test's video costs little vision work.</summary>
    public const int MediaMaxFrames = 8;

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(5);

    public VideoQaServer()
    {
        HttpPort = FreePort();
        GrpcPort = FreePort();
        UseKestrel();
    }

    public int HttpPort { get; }

    public int GrpcPort { get; }

    public Uri HttpAddress => new($"http://127.0.0.1:{HttpPort}");

    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

    /// <summary>Settings every server in the tests shares: small limits so faults are cheap to provoke.</summary>
    protected virtual IDictionary<string, string?> Settings() => new Dictionary<string, string?>
    {
        ["Kestrel:Endpoints:Http:Url"] = HttpAddress.ToString(),
        ["Kestrel:Endpoints:Grpc:Url"] = GrpcAddress.ToString(),
        ["Media:MaxBytes"] = (256 * 1024).ToString(),
        ["Service:Transport:MinRequestBodyBytesPerSecond"] = "1000",
        ["Service:Transport:MinRequestBodyGraceSeconds"] = "2",
        ["Media:ServerPathRoot"] = Path.Combine(RepoPaths.Root, "samples"),
        ["Media:MaxFrames"] = MediaMaxFrames.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Engine:TorchThreads"] = "1",
        ["Engine:ModelDirectory"] = RandomModelDirectory.Location,
        ["Engine:ModelId"] = RandomModelId,
        ["Service:SseKeepAliveSeconds"] = "0.1",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    /// <summary>A gRPC question about the sample video under the server's media root.</summary>
    public static Grpc.V1.AnswerRequest SampleRequest(Grpc.V1.Generation generation) => new()
    {
        Video = new Grpc.V1.Video { ServerPath = "testsrc-4s.mp4" },
        Question = new Grpc.V1.Question { Text = "x" },
        Generation = generation,
    };

    public HttpClient Http(TimeSpan? timeout = null) => new() { BaseAddress = HttpAddress, Timeout = timeout ?? TimeSpan.FromMinutes(3) };

    public async Task InitializeAsync()
    {
        StartServer();
        using var http = Http();
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            using var response = await http.GetAsync("/readyz");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The server was not ready after {ReadyTimeout}: {await response.Content.ReadAsStringAsync()}");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>Queue depth and running sequences as /readyz reports them (the engine's status snapshot).</summary>
    public async Task<(int Queued, int Running)> EngineAsync()
    {
        using var http = Http(TimeSpan.FromSeconds(10));
        var engine = (await http.GetFromJsonAsync<JsonElement>("/readyz")).GetProperty("checks").GetProperty("engine").GetProperty("data");
        return (engine.GetProperty("queue_depth").GetInt32(), engine.GetProperty("running_sequences").GetInt32());
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    protected override void ConfigureWebHost(IWebHostBuilder builder) =>
        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(Settings()));

    // Ports come from below Linux's ephemeral range (32768-60999), so no outgoing connection of this or another
    // process can take one between this check and Kestrel's bind, and no port is handed out twice in one process
    // (two servers' HTTP and gRPC ports once collided when each asked the OS for "any free port").
    private const int FirstPort = 20000;
    private const int PortCount = 12000;
    private static int _nextPort = Random.Shared.Next(PortCount);

    public static int FreePort()
    {
        for (var attempt = 0; attempt < PortCount; attempt++)
        {
            var port = FirstPort + (Interlocked.Increment(ref _nextPort) % PortCount);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use by something else on this machine: try the next one.
            }
        }

        throw new InvalidOperationException($"no free loopback port in {FirstPort}-{FirstPort + PortCount - 1}");
    }
}

/// <summary>Same server with API keys required.</summary>
public sealed class SecuredVideoQaServer : VideoQaServer
{
    public const string ApiKey = "test-key-0123456789abcdef";

    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["Service:Auth:ApiKeys:0"] = ApiKey;
        return settings;
    }
}

/// <summary>One batch slot and one queue place, private addresses allowed (for the loopback 404 server).</summary>
public sealed class NarrowVideoQaServer : VideoQaServer
{
    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["Engine:MaxBatchSize"] = "1";
        settings["Engine:MaxQueueLength"] = "1";
        settings["Media:AllowPrivateAddresses"] = "true";
        return settings;
    }
}

[CollectionDefinition(Name)]
public sealed class DefaultServerCollection : ICollectionFixture<VideoQaServer>
{
    public const string Name = "default server";
}
