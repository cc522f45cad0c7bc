using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VideoAutoR1.Engine;

namespace VideoAutoR1.Cli;

/// <summary>The engine the service runs, hosted for one command: started and ready, stopped on dispose.</summary>
internal sealed class EngineHost : IAsyncDisposable
{
    private readonly IHost _host;

    private EngineHost(IHost host)
    {
        _host = host;
        Engine = host.Services.GetRequiredService<VideoQaEngine>();
    }

    public VideoQaEngine Engine { get; }

    /// <summary>Starts the engine with these "Engine:..." settings; an invalid one is a usage error.</summary>
    public static async Task<EngineHost> StartAsync(IDictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddVideoQaEngine(builder.Configuration);

        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch (OptionsValidationException error)
        {
            host.Dispose();
            throw new CliUsageException(error.Message);
        }

        var engineHost = new EngineHost(host);
        try
        {
            await engineHost.Engine.WaitUntilReadyAsync(CancellationToken.None);
        }
        catch
        {
            await engineHost.DisposeAsync();
            throw;
        }

        return engineHost;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
