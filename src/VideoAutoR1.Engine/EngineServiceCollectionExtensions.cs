using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using VideoAutoR1.Media;

namespace VideoAutoR1.Engine;

public static class EngineServiceCollectionExtensions
{
    /// <summary>
    /// Registers the engine (options from section "Engine", validated at start), its metrics, the media pipeline
    /// (section "Media"), the <see cref="RequestResolver"/> every surface resolves requests with, and the hosted engine thread. <see cref="IVideoQaEngine"/> and <see cref="VideoQaEngine"/>
    /// resolve to the same singleton.
    /// </summary>
    public static IServiceCollection AddVideoQaEngine(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EngineOptions>()
            .Bind(configuration.GetSection(EngineOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddMetrics();
        services.AddVideoMedia(configuration.GetSection("Media"));
        services.TryAddSingleton<EngineMetrics>();
        services.TryAddSingleton<VideoQaEngine>();
        services.TryAddSingleton<IVideoQaEngine>(provider => provider.GetRequiredService<VideoQaEngine>());
        services.TryAddSingleton(provider => provider.GetRequiredService<VideoQaEngine>().Resolver);
        services.AddHostedService(provider => provider.GetRequiredService<VideoQaEngine>());
        // The one place the host's shutdown timeout is decided: above the engine's drain, never cutting it short.
        services.AddOptions<HostOptions>().Configure<IOptions<EngineOptions>>((host, engine) =>
            host.ShutdownTimeout = engine.Value.ShutdownGrace + EngineOptions.HostShutdownMargin);
        return services;
    }
}
