namespace VideoAutoR1.Media;

/// <summary>Where a request's video comes from. The media pipeline resolves each kind under its own limits.</summary>
public abstract record VideoSource
{
    private VideoSource()
    {
    }

    /// <summary>Bytes uploaded with the request (multipart, gRPC chunks, OpenAI <c>data:</c> URI).</summary>
    public sealed record Bytes(ReadOnlyMemory<byte> Content, string? FileName = null) : VideoSource;

    /// <summary>A path on the server, resolved under the configured media root (no traversal, no symlink escape).</summary>
    public sealed record ServerPath(string Path) : VideoSource;

    /// <summary>An http(s) URL fetched with size/time limits and private-address blocking.</summary>
    public sealed record Url(Uri Address) : VideoSource;
}

/// <summary>Per-request sampling knobs; null means the server default. The server clamps every value to its caps.</summary>
public sealed record VideoSamplingRequest(
    double? Fps = null,
    int? MinFrames = null,
    int? MaxFrames = null,
    int? MinPixels = null,
    int? MaxPixels = null,
    double? StartSeconds = null,
    double? EndSeconds = null);

/// <summary>
/// A video turned into exactly the model's inputs (docs/specs/qwen-vl.md §E): patchified, normalised pixel rows and
/// the grid. Torch-free so the media pipeline does not depend on libtorch; the engine wraps the array in a tensor.
/// </summary>
/// <param name="PixelValues">Row-major [GridT*GridH*GridW, PatchDim] float32, the processor's row order.</param>
/// <param name="PatchDim">Columns: channels * temporal_patch * patch * patch (1176 for Qwen2.5-VL).</param>
/// <param name="GridT">Temporal groups (frames / temporal_patch_size).</param>
/// <param name="GridH">Patch rows.</param>
/// <param name="GridW">Patch columns.</param>
/// <param name="SecondPerGridT">Seconds covered by one temporal group (temporal_patch_size / sample fps).</param>
/// <param name="FrameTimestamps">Source time (s) of each kept frame, before temporal padding.</param>
/// <param name="SampleFps">Effective sampling rate of the kept frames.</param>
/// <param name="SourceDurationSeconds">Duration of the source video.</param>
public sealed record PreprocessedVideo(
    float[] PixelValues,
    int PatchDim,
    int GridT,
    int GridH,
    int GridW,
    double SecondPerGridT,
    IReadOnlyList<double> FrameTimestamps,
    double SampleFps,
    double SourceDurationSeconds)
{
    /// <summary>
    /// Seconds of each temporal group as Qwen3-VL's processor prints them before the group's vision block (mean of
    /// the group's first and last frame time); null for a Qwen2.5-VL video, which is one block.
    /// </summary>
    public IReadOnlyList<double>? GroupTimestamps { get; init; }

    /// <summary>LLM tokens this video occupies: t * h * w / merge².</summary>
    public int TokenCount(int spatialMergeSize) => GridT * GridH * GridW / (spatialMergeSize * spatialMergeSize);
}
