using System.ComponentModel.DataAnnotations;
using VideoAutoR1.Core;

namespace VideoAutoR1.Media;

/// <summary>
/// Memory limits of the decode step, bound from configuration section "Media:Decode". They bound what one request
/// may cost by what the model will see, so a small file of huge frames cannot take gigabytes.
/// </summary>
public sealed class MediaDecodeOptions
{
    /// <summary>
    /// Most pixels ffmpeg may decode for one request at the source size: selected frames x width x height, checked from
    /// ffprobe before decoding (2^31 is 64 frames of 8K UHD, 256 of 4K).
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxDecodedPixels { get; set; } = 1L << 31;

    /// <summary>
    /// Bytes that all media workers together may hold in frame buffers, resized frames and patches; a video waits
    /// for its share, and one that alone needs more is refused.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MemoryBudgetBytes { get; set; } = 2L << 30;
}

/// <summary>
/// How one video is decoded and what it costs, decided from the probe before ffmpeg starts. Frames up to
/// <see cref="Oversample"/> times the resize target per side are decoded at their own size, so the resize kernel
/// sees the source pixels and stays bit-exact with the reference processor; larger frames are scaled down by ffmpeg
/// to that bound first (the kernel then resizes at most 2:1), so no frame bigger than the kernel needs reaches this process.
/// </summary>
internal sealed record DecodePlan(int SourceWidth, int SourceHeight, int DecodeWidth, int DecodeHeight, int OutWidth, int OutHeight, int Frames)
{
    public const int Oversample = 2;

    /// <summary>Frame buffers one decode holds at once: one being resized and <see cref="FfmpegFrameDecoder"/>'s read-ahead.</summary>
    public const int FramesInFlight = FfmpegFrameDecoder.ReadAhead + 1;

    public static DecodePlan Create(int sourceWidth, int sourceHeight, int outWidth, int outHeight, int frames)
    {
        var fits = sourceWidth <= Oversample * outWidth && sourceHeight <= Oversample * outHeight;
        return fits
            ? new DecodePlan(sourceWidth, sourceHeight, sourceWidth, sourceHeight, outWidth, outHeight, frames)
            : new DecodePlan(sourceWidth, sourceHeight, Math.Min(sourceWidth, Oversample * outWidth),
                Math.Min(sourceHeight, Oversample * outHeight), outWidth, outHeight, frames);
    }

    /// <summary>True when ffmpeg scales the frames before they are piped.</summary>
    public bool Scales => DecodeWidth != SourceWidth || DecodeHeight != SourceHeight;

    /// <summary>Pixels ffmpeg decodes at the source size for the selected frames.</summary>
    public long DecodedPixels => (long)Frames * SourceWidth * SourceHeight;

    /// <summary>Peak bytes this process holds for the video: frame buffers, resized frames and float32 patches.</summary>
    public long MemoryBytes
    {
        get
        {
            long decoded = (long)DecodeWidth * DecodeHeight * VideoPatchifier.Channels;
            long resized = (long)OutWidth * OutHeight * VideoPatchifier.Channels;
            long paddedFrames = (Frames + FrameSampler.TemporalPatchSize - 1) / FrameSampler.TemporalPatchSize * FrameSampler.TemporalPatchSize;
            return (FramesInFlight * decoded) + (Frames * resized) + (paddedFrames * resized * sizeof(float));
        }
    }
}

/// <summary>
/// Owns both decode limits: the per-request decoded-pixel cap and the byte budget shared by every media worker
/// (first come, first served; a waiting video holds no worker memory).
/// </summary>
internal sealed class DecodeBudget(MediaDecodeOptions options)
{
    private readonly Lock _gate = new();
    private readonly LinkedList<(long Bytes, TaskCompletionSource Granted)> _waiting = new();
    private long _available = options.MemoryBudgetBytes;

    /// <summary>Bytes currently reserved by videos being decoded.</summary>
    public long Reserved
    {
        get
        {
            lock (_gate)
            {
                return options.MemoryBudgetBytes - _available;
            }
        }
    }

    /// <summary>Refuses, before anything is decoded, a video whose decode alone is beyond the limits.</summary>
    public void Check(DecodePlan plan)
    {
        if (plan.DecodedPixels > options.MaxDecodedPixels)
        {
            throw new VideoQaException(ErrorKind.TooLarge, "video_too_large",
                $"decoding {plan.Frames} frames of {plan.SourceWidth}x{plan.SourceHeight} is more than this server's budget of "
                + $"{options.MaxDecodedPixels} pixels; send a smaller video or ask for fewer frames")
            {
                Field = "video",
            };
        }

        if (plan.MemoryBytes > options.MemoryBudgetBytes)
        {
            throw new VideoQaException(ErrorKind.TooLarge, "video_too_large",
                $"preprocessing {plan.Frames} frames at {plan.OutWidth}x{plan.OutHeight} needs more memory than this server allows; ask for fewer frames or pixels")
            {
                Field = "video",
            };
        }
    }

    /// <summary>Waits until <paramref name="plan"/>'s bytes fit the shared budget; dispose the lease to give them back.</summary>
    public async Task<IDisposable> ReserveAsync(DecodePlan plan, CancellationToken ct)
    {
        Check(plan);
        var bytes = plan.MemoryBytes;
        LinkedListNode<(long, TaskCompletionSource)> node;
        lock (_gate)
        {
            if (_waiting.Count == 0 && _available >= bytes)
            {
                _available -= bytes;
                return new Lease(this, bytes);
            }

            node = _waiting.AddLast((bytes, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)));
        }

        try
        {
            await node.Value.Item2.Task.WaitAsync(ct);
            return new Lease(this, bytes);
        }
        catch (OperationCanceledException)
        {
            lock (_gate)
            {
                if (node.List is not null)
                {
                    _waiting.Remove(node);
                    GrantWaiting();
                    throw;
                }
            }

            // Granted while being cancelled: give the bytes back.
            Release(bytes);
            throw;
        }
    }

    private void Release(long bytes)
    {
        lock (_gate)
        {
            _available += bytes;
            GrantWaiting();
        }
    }

    /// <summary>Grants waiters in arrival order while the first one fits (called under the lock).</summary>
    private void GrantWaiting()
    {
        while (_waiting.First is { } first && first.Value.Bytes <= _available)
        {
            _available -= first.Value.Bytes;
            _waiting.RemoveFirst();
            first.Value.Granted.TrySetResult();
        }
    }

    private sealed class Lease(DecodeBudget budget, long bytes) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                budget.Release(bytes);
            }
        }
    }
}
