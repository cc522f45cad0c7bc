using Microsoft.Extensions.Diagnostics.HealthChecks;
using VideoAutoR1.Engine;
using VideoAutoR1.Service.Health;

namespace VideoAutoR1.Service.Tests;

/// <summary>Readiness from the engine's status snapshot: loaded and beating, or not ready.</summary>
public sealed class ReadinessRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    [Fact]
    public void Loaded_and_beating_is_ready() =>
        Assert.Equal(HealthStatus.Healthy, EngineReadinessCheck.Evaluate(new EngineStatus(true, "m", Now.AddSeconds(-1), 3, 2), Now, MaxAge).Status);

    [Fact]
    public void Loading_is_not_ready() =>
        Assert.Equal(HealthStatus.Unhealthy, EngineReadinessCheck.Evaluate(new EngineStatus(false, "", Now, 0, 0), Now, MaxAge).Status);

    [Fact]
    public void A_stalled_engine_loop_is_not_ready()
    {
        var result = EngineReadinessCheck.Evaluate(new EngineStatus(true, "m", Now.AddSeconds(-31), 5, 1), Now, MaxAge);
        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal(5, result.Data["queue_depth"]);
    }
}
