using TorchSharp;

namespace VideoAutoR1.Engine.Tests;

/// <summary>
/// The engine thread's TorchSharp dispose-scope statistics (they are thread-local, so only that thread can read them),
/// copied when the loop is idle through the engine's idle probe. A leak shows as <see cref="LiveTensors"/> growing
/// between idle snapshots. Test code: serving never reads them.
/// </summary>
public sealed record EngineTorchStatistics(
    long LiveTensors,
    long CreatedInScope,
    long CreatedOutsideScope,
    long DisposedInScope,
    long DisposedOutsideScope)
{
    /// <summary>Call on the thread whose statistics are wanted.</summary>
    public static EngineTorchStatistics OfCurrentThread()
    {
        var tensors = DisposeScopeManager.Statistics.TensorStatistics;
        return new EngineTorchStatistics(
            tensors.ThreadTotalLiveCount,
            tensors.CreatedInScopeCount,
            tensors.CreatedOutsideScopeCount,
            tensors.DisposedInScopeCount,
            tensors.DisposedOutsideScopeCount);
    }
}
