using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VideoAutoR1.Engine;

namespace VideoAutoR1.Eval;

/// <summary>
/// The engine composed exactly as the service composes it (<see cref="EngineServiceCollectionExtensions.AddVideoQaEngine"/>),
/// started in process for a batch run. Settings are configuration keys ("Engine:MaxBatchSize", "Media:MaxFrames", …).
/// </summary>
public sealed class EvalEngine : IAsyncDisposable
{
    /// <summary>
    /// Batch-run defaults, overridable by the caller: the videos are local files the user named (read in place under
    /// the root "/", with the media pipeline's own path and size checks), long benchmark videos are accepted, and a
    /// request may wait for its turn as long as a whole benchmark takes, and an item's token budget is the run's own.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> Defaults = new Dictionary<string, string?>
    {
        ["Media:ServerPathRoot"] = "/",
        ["Media:MaxDurationSeconds"] = "86400",
        ["Media:MaxBytes"] = (64L << 30).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Engine:RequestTimeout"] = "1.00:00:00",
        ["Engine:MaxRequestTimeout"] = "1.00:00:00",
        ["Engine:MaxNewTokensCap"] = "1048576",
    };

    private readonly IHost _host;

    private EvalEngine(IHost host)
    {
        _host = host;
        Engine = host.Services.GetRequiredService<VideoQaEngine>();
        Options = host.Services.GetRequiredService<IOptions<EngineOptions>>().Value;
    }

    public VideoQaEngine Engine { get; }

    public EngineOptions Options { get; }

    /// <summary>Model id the engine reports in every result.</summary>
    public string ModelId => Engine.Status.ModelId;

    /// <summary>Requests kept in flight: a full batch decoding and as many again being preprocessed and queued.</summary>
    public int Concurrency => Math.Min(2 * Options.MaxBatchSize, Options.MaxQueueLength);

    /// <summary>Starts the host and waits for the model. Bad settings throw <see cref="OptionsValidationException"/>.</summary>
    public static async Task<EvalEngine> StartAsync(IReadOnlyDictionary<string, string?> settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        var merged = new Dictionary<string, string?>(Defaults, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in settings)
        {
            merged[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(merged);
        builder.Services.AddVideoQaEngine(builder.Configuration);
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            var engine = new EvalEngine(host);
            await engine.Engine.WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
            return engine;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync().ConfigureAwait(false);
        _host.Dispose();
    }
}
