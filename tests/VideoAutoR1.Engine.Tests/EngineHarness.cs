using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace VideoAutoR1.Engine.Tests;

/// <summary>A started host running the engine exactly as the service composes it (AddVideoQaEngine), on a test model.</summary>
public sealed class EngineHarness : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    private EngineHarness(IHost host)
    {
        _host = host;
        Engine = host.Services.GetRequiredService<VideoQaEngine>();
    }

    /// <summary>Engine:DefaultMaxNewTokens of every harness: short answers keep the tests fast.</summary>
    public const int DefaultMaxNewTokens = 64;

    public VideoQaEngine Engine { get; }

    public IServiceProvider Services => _host.Services;

    public IMeterFactory MeterFactory => _host.Services.GetRequiredService<IMeterFactory>();

    public static async Task<EngineHarness> StartAsync(string modelDirectory, IDictionary<string, string?>? engineSettings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var settings = new Dictionary<string, string?>
        {
            ["Engine:ModelDirectory"] = modelDirectory,
            ["Engine:ModelId"] = "test-model",
            ["Engine:MaxBatchSize"] = "4",
            ["Engine:MaxTokensPerSequence"] = "1024",
            ["Engine:MaxPrefillTokensPerStep"] = "4096",
            ["Engine:DefaultMaxNewTokens"] = DefaultMaxNewTokens.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in engineSettings ?? new Dictionary<string, string?>())
        {
            settings["Engine:" + key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddVideoQaEngine(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        var harness = new EngineHarness(host);
        await harness.Engine.WaitUntilReadyAsync(CancellationToken.None);
        return harness;
    }

    public async Task StopAsync()
    {
        _stopped = true;
        await _host.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await StopAsync();
        }

        _host.Dispose();
    }
}
