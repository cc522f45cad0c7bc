using System.Text.Json;
using System.Text.Json.Serialization;
using VideoAutoR1.Core;

namespace VideoAutoR1.World;

/// <summary>
/// A split of the world on disk: the clips and <c>items.jsonl</c> in the evaluation input format
/// (<c>videoautor1 eval --data items.jsonl --video-root DIR</c>), plus each scene's description, rationale and the
/// warm-up completion, so the file is also the training set's record.
/// </summary>
public static class WorldDataset
{
    public const string ItemsFileName = "items.jsonl";
    public const string Benchmark = "world";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public sealed record Line(
        string Id,
        string Video,
        string Question,
        IReadOnlyList<string>? Options,
        string Task,
        string Answer,
        string Category,
        string Benchmark,
        string Split,
        string Description,
        string Rationale,
        string Completion);

    public static string TaskName(TaskKind kind) => kind switch
    {
        TaskKind.MultipleChoice => "multiple_choice",
        TaskKind.Numeric => "numeric",
        TaskKind.TemporalGrounding => "temporal_grounding",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "the world asks no such questions"),
    };

    public static Line ToLine(WorldScene scene, string videoFile) => new(
        Path.GetFileNameWithoutExtension(videoFile),
        videoFile,
        scene.Question,
        scene.Options.Count > 0 ? scene.Options : null,
        TaskName(scene.Kind),
        scene.Answer,
        scene.Family.ToString().ToLowerInvariant(),
        Benchmark,
        WorldGenerator.SplitOf(scene).ToString().ToLowerInvariant(),
        scene.Description,
        scene.Rationale,
        scene.Completion);

    /// <summary>Renders the scenes into <paramref name="directory"/> and writes its <c>items.jsonl</c>; returns its path.</summary>
    public static async Task<string> WriteAsync(IReadOnlyList<WorldScene> scenes, string directory, WorldRenderer renderer, int parallelism,
        IProgress<int>? progress = null, CancellationToken ct = default)
    {
        var paths = await renderer.RenderAllAsync(scenes, directory, parallelism, progress, ct);
        var items = Path.Combine(directory, ItemsFileName);
        await File.WriteAllLinesAsync(items, scenes.Select((s, i) => JsonSerializer.Serialize(ToLine(s, Path.GetFileName(paths[i])), Json)), ct);
        return items;
    }
}
