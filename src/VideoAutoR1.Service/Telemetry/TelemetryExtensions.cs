using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace VideoAutoR1.Service.Telemetry;

public static class TelemetryExtensions
{
    /// <summary>
    /// Metrics (ASP.NET Core, Kestrel, HttpClient, runtime, engine and service meters) scraped at /metrics, traces
    /// from ASP.NET Core, HttpClient and the engine; OTLP export for both only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
    /// </summary>
    public static WebApplicationBuilder AddVideoQaTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ServiceMetrics>();
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Environment.ApplicationName))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddMeter("Microsoft.AspNetCore.Server.Kestrel", "Grpc.AspNetCore.Server")
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(Engine.EngineMetrics.MeterName, ServiceMetrics.MeterName)
                .OnlyThisHostsMeters()
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbe(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddSource(Engine.EngineTracing.SourceName));
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>
    /// OpenTelemetry subscribes to meters by name, process-wide: a second host in the process (tests, side-by-side
    /// hosts) would have its instruments merged into this host's streams, and switched off when that host is disposed.
    /// Instruments created through another host's <see cref="IMeterFactory"/> are dropped, so each host exports only
    /// its own; static meters (runtime, HttpClient) have no factory and stay.
    /// </summary>
    private static MeterProviderBuilder OnlyThisHostsMeters(this MeterProviderBuilder metrics)
    {
        ((IDeferredMeterProviderBuilder)metrics).Configure((services, builder) =>
        {
            var own = services.GetRequiredService<IMeterFactory>();
            builder.AddView(instrument =>
                instrument.Meter.Scope is IMeterFactory owner && !ReferenceEquals(owner, own) ? MetricStreamConfiguration.Drop : null);
        });
        return metrics;
    }

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || path.StartsWithSegments("/metrics");
}
