using TorchSharp;

namespace VideoAutoR1.Engine;

/// <summary>
/// The engine thread's TorchSharp dispose-scope statistics (they are thread-local, so only that thread can read them),
/// copied when the loop is idle. A leak shows as <see cref="LiveTensors"/> growing between idle snapshots.
/// </summary>
public sealed record EngineTorchStatistics(
    long LiveTensors,
    long CreatedInScope,
    long CreatedOutsideScope,
    long DisposedInScope,
    long DisposedOutsideScope)
{
    /// <summary>Call on the thread whose statistics are wanted.</summary>
    internal static EngineTorchStatistics OfCurrentThread()
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
