using System.Text.Json;
using VideoAutoR1.Core;

namespace VideoAutoR1.Media;

/// <summary>Which reference video processor a model was trained with.</summary>
public enum VideoProcessorKind
{
    /// <summary>Qwen2.5-VL: qwen-vl-utils frame selection and per-frame pixel budget (<see cref="MediaOptions"/>), one video block.</summary>
    Qwen2VL,

    /// <summary>
    /// Qwen3-VL (<c>Qwen3VLVideoProcessor</c> + <c>Qwen3VLProcessor</c>): <c>round(linspace)</c> frame selection, a
    /// whole-clip pixel budget, uint8 resize, and one block per temporal group with a <c>&lt;t seconds&gt;</c> timestamp.
    /// </summary>
    Qwen3VL,
}

/// <summary>
/// How a model turns frames into <c>pixel_values_videos</c>: patch geometry, normalisation constants and, for
/// Qwen3-VL, the video processor's size budget and frame limits. Read from the model directory's
/// <c>video_preprocessor_config.json</c>, else <c>preprocessor_config.json</c>; absent fields keep the family's defaults.
/// </summary>
public sealed record VisionPreprocessing
{
    public const string VideoFileName = "video_preprocessor_config.json";
    public const string FileName = "preprocessor_config.json";

    public VideoProcessorKind Kind { get; init; } = VideoProcessorKind.Qwen2VL;
    public int PatchSize { get; init; } = 14;
    public int TemporalPatchSize { get; init; } = 2;
    public int MergeSize { get; init; } = 2;

    /// <summary>Per-channel mean and std of <c>(x/255 − mean)/std</c> (OpenAI CLIP's for Qwen2.5-VL, 0.5 for Qwen3-VL).</summary>
    public IReadOnlyList<double> Mean { get; init; } = [0.48145466, 0.4578275, 0.40821073];

    public IReadOnlyList<double> Std { get; init; } = [0.26862954, 0.26130258, 0.27577711];

    /// <summary>Qwen3-VL <c>size.shortest_edge</c>: the fewest pixels of the whole clip (t·h·w).</summary>
    public long ShortestEdge { get; init; } = 128L * 32 * 32;

    /// <summary>Qwen3-VL <c>size.longest_edge</c>: the most pixels of the whole clip (t·h·w).</summary>
    public long LongestEdge { get; init; } = 768L * 32 * 32;

    public int MinFrames { get; init; } = 4;
    public int MaxFrames { get; init; } = 768;

    /// <summary>
    /// Qwen2.5-VL: the video budget of the model's video processor config; empty where it gives none, so the
    /// server's defaults apply. Only <c>video_preprocessor_config.json</c> is read for it: the <c>min_pixels</c> /
    /// <c>max_pixels</c> of an image processor's <c>preprocessor_config.json</c> are an image budget, which
    /// qwen-vl-utils does not apply to video.
    /// </summary>
    public VideoSamplingRequest Budget { get; init; } = new();

    /// <summary>Side of the pixel square one LLM token covers (patch · merge: 28 or 32).</summary>
    public int Factor => PatchSize * MergeSize;

    public int PatchDim => 3 * TemporalPatchSize * PatchSize * PatchSize;

    public static VisionPreprocessing Qwen2_5_VL { get; } = new();

    public static VisionPreprocessing Qwen3_VL { get; } = new()
    {
        Kind = VideoProcessorKind.Qwen3VL,
        PatchSize = 16,
        Mean = [0.5, 0.5, 0.5],
        Std = [0.5, 0.5, 0.5],
        ShortestEdge = 4096,
        LongestEdge = 25165824,
    };

    /// <summary>The directory's processor config over the defaults of <paramref name="family"/>.</summary>
    public static VisionPreprocessing Load(string modelDir, VideoProcessorKind family)
    {
        var defaults = family == VideoProcessorKind.Qwen3VL ? Qwen3_VL : Qwen2_5_VL;
        var path = new[] { VideoFileName, FileName }.Select(f => Path.Combine(modelDir, f)).FirstOrDefault(File.Exists);
        if (path is null)
        {
            return defaults;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            var size = root.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Object ? s : default;
            var result = defaults with
            {
                PatchSize = Int(root, "patch_size") ?? defaults.PatchSize,
                TemporalPatchSize = Int(root, "temporal_patch_size") ?? defaults.TemporalPatchSize,
                MergeSize = Int(root, "merge_size") ?? defaults.MergeSize,
                Mean = Triple(root, "image_mean") ?? defaults.Mean,
                Std = Triple(root, "image_std") ?? defaults.Std,
                ShortestEdge = (size.ValueKind == JsonValueKind.Object ? Long(size, "shortest_edge") : null) ?? defaults.ShortestEdge,
                LongestEdge = (size.ValueKind == JsonValueKind.Object ? Long(size, "longest_edge") : null) ?? defaults.LongestEdge,
                MinFrames = Int(root, "min_frames") ?? defaults.MinFrames,
                MaxFrames = Int(root, "max_frames") ?? defaults.MaxFrames,
            };
            // Qwen3-VL's processor applies its own fps and frame limits (above); the budget is Qwen2.5-VL's.
            if (family == VideoProcessorKind.Qwen2VL && Path.GetFileName(path) == VideoFileName)
            {
                result = result with
                {
                    Budget = new VideoSamplingRequest(
                        Fps: root.TryGetProperty("fps", out var fps) && fps.ValueKind == JsonValueKind.Number ? fps.GetDouble() : null,
                        MinFrames: Int(root, "min_frames"),
                        MaxFrames: Int(root, "max_frames"),
                        MinPixels: Int(root, "min_pixels"),
                        MaxPixels: Int(root, "max_pixels")),
                };
            }

            if (result.PatchSize < 1 || result.TemporalPatchSize != 2 || result.MergeSize < 1 || result.Std.Any(v => !(v > 0))
                || result.ShortestEdge < 1 || result.LongestEdge < result.ShortestEdge || result.MinFrames < 1 || result.MaxFrames < result.MinFrames
                || result.Budget.Fps <= 0 || result.Budget.MinPixels < 1 || result.Budget.MaxPixels < (result.Budget.MinPixels ?? 1))
            {
                throw ConfigUnusable(path, "has out-of-range values (temporal_patch_size must be 2, sizes and frame limits positive and ordered)");
            }

            return result;
        }
        catch (Exception error) when (error is JsonException or InvalidOperationException or FormatException)
        {
            throw ConfigUnusable(path, $"is not a valid processor config ({error.Message})");
        }
    }

    /// <summary>
    /// The request's sampling with this model's budget filling what the request leaves open; the server's caps
    /// (<see cref="MediaOptions"/>) still bound the result.
    /// </summary>
    public VideoSamplingRequest WithBudget(VideoSamplingRequest? request)
    {
        request ??= new VideoSamplingRequest();
        return request with
        {
            Fps = request.Fps ?? Budget.Fps,
            MinPixels = request.MinPixels ?? Budget.MinPixels,
            MaxPixels = request.MaxPixels ?? Budget.MaxPixels,
            MinFrames = request.MinFrames ?? Budget.MinFrames,
            MaxFrames = request.MaxFrames ?? Budget.MaxFrames,
        };
    }

    private static VideoQaException ConfigUnusable(string path, string problem) =>
        new(ErrorKind.Unavailable, "preprocessor_config_invalid", $"{path} {problem}");

    private static int? Int(JsonElement node, string name) =>
        node.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    private static long? Long(JsonElement node, string name) =>
        node.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;

    private static double[]? Triple(JsonElement node, string name) =>
        node.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 3
            ? v.EnumerateArray().Select(e => e.GetDouble()).ToArray()
            : null;

}
