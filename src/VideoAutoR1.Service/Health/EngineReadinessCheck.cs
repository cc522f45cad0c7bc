using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using VideoAutoR1.Engine;
using VideoAutoR1.Service.Options;

namespace VideoAutoR1.Service.Health;

/// <summary>
/// Ready = model loaded and the engine loop beat recently. Reads the engine's status snapshot only: the probe never
/// queues work on, or waits for, the engine thread.
/// </summary>
public sealed class EngineReadinessCheck(IVideoQaEngine engine, IOptionsMonitor<ServiceOptions> options, TimeProvider clock) : IHealthCheck
{
    public const string Name = "engine";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Evaluate(engine.Status, clock.GetUtcNow(), TimeSpan.FromSeconds(options.CurrentValue.MaxEngineBeatAgeSeconds)));

    public static HealthCheckResult Evaluate(EngineStatus status, DateTimeOffset now, TimeSpan maxBeatAge)
    {
        var data = new Dictionary<string, object>
        {
            ["model_id"] = status.ModelId,
            ["queue_depth"] = status.QueueDepth,
            ["running_sequences"] = status.RunningSequences,
            ["last_loop_beat"] = status.LastLoopBeat,
        };
        if (!status.Ready)
        {
            return HealthCheckResult.Unhealthy("The model is loading or the engine is stopping.", data: data);
        }

        var age = now - status.LastLoopBeat;
        return age > maxBeatAge
            ? HealthCheckResult.Unhealthy($"The engine loop has not beaten for {age.TotalSeconds:F1} s.", data: data)
            : HealthCheckResult.Healthy("Model loaded, engine loop beating.", data);
    }
}
