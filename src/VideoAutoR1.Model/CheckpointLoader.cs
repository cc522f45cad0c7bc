using System.Text;
using System.Text.Json;

namespace VideoAutoR1.Model;

/// <summary>
/// The tensors of a checkpoint directory (<c>model.safetensors</c>, or shards listed in
/// <c>model.safetensors.index.json</c>) keyed by Hub name. Names written by transformers ≥ 4.52 internals
/// (<c>model.language_model.*</c>, <c>model.visual.*</c>) are mapped to the Hub names.
/// </summary>
public sealed class CheckpointIndex : IDisposable
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    private readonly List<SafeTensorsFile> _files;

    private CheckpointIndex(List<SafeTensorsFile> files, Dictionary<string, (SafeTensorsFile File, SafeTensorEntry Entry)> tensors)
    {
        _files = files;
        Tensors = tensors;
    }

    public IReadOnlyDictionary<string, (SafeTensorsFile File, SafeTensorEntry Entry)> Tensors { get; }

    public static CheckpointIndex Open(string modelDir)
    {
        var single = Path.Combine(modelDir, SingleFile);
        var index = Path.Combine(modelDir, IndexFile);
        var files = new List<SafeTensorsFile>();
        try
        {
            var tensors = new Dictionary<string, (SafeTensorsFile, SafeTensorEntry)>(StringComparer.Ordinal);
            if (File.Exists(single))
            {
                var file = SafeTensorsFile.Open(single);
                files.Add(file);
                foreach (var entry in file.Entries.Values)
                {
                    Add(tensors, file, entry);
                }
            }
            else if (File.Exists(index))
            {
                foreach (var (shardName, names) in ReadWeightMap(index))
                {
                    var file = SafeTensorsFile.Open(Path.Combine(modelDir, shardName));
                    files.Add(file);
                    foreach (var name in names)
                    {
                        var entry = file.Entries.TryGetValue(name, out var e) ? e
                            : throw ModelErrors.Model(ModelErrors.CheckpointMismatch,
                                $"{index} maps '{name}' to {shardName}, which has no such tensor");
                        Add(tensors, file, entry);
                    }
                }
            }
            else
            {
                throw ModelErrors.Model(ModelErrors.CheckpointMissing, $"no {SingleFile} or {IndexFile} in '{modelDir}'");
            }

            return new CheckpointIndex(files, tensors);
        }
        catch
        {
            files.ForEach(f => f.Dispose());
            throw;
        }
    }

    /// <summary>Hub name for a stored name (identity for Hub names).</summary>
    public static string ToHubName(string name) =>
        name.StartsWith("model.language_model.", StringComparison.Ordinal) ? "model." + name["model.language_model.".Length..]
        : name.StartsWith("model.visual.", StringComparison.Ordinal) ? name["model.".Length..]
        : name;

    /// <summary>transformers-5 internal module name for a Hub name.</summary>
    public static string ToInternalName(string hubName) =>
        hubName.StartsWith("visual.", StringComparison.Ordinal) ? "model." + hubName
        : hubName.StartsWith("model.", StringComparison.Ordinal) ? "model.language_model." + hubName["model.".Length..]
        : hubName;

    /// <summary>
    /// Compares the checkpoint with the expected parameters and throws one error listing every missing, unexpected and
    /// wrong-shaped tensor (Hub and internal names), or an unsupported dtype.
    /// </summary>
    public void Validate(IReadOnlyList<(string Name, long[] Shape)> expected, bool tiedEmbeddings)
    {
        var expectedNames = expected.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        var missing = expected.Where(e => !Tensors.ContainsKey(e.Name)).Select(e => Describe(e.Name)).ToList();
        var unexpected = Tensors.Keys
            .Where(n => !expectedNames.Contains(n) && !(tiedEmbeddings && n == "lm_head.weight"))
            .Select(n => $"{Describe(n)} in {Path.GetFileName(Tensors[n].File.Path)}").ToList();
        var wrongShape = expected
            .Where(e => Tensors.TryGetValue(e.Name, out var t) && !t.Entry.Shape.SequenceEqual(e.Shape))
            .Select(e => $"{Describe(e.Name)} in {Path.GetFileName(Tensors[e.Name].File.Path)}: " +
                $"[{string.Join(", ", Tensors[e.Name].Entry.Shape)}] on disk, [{string.Join(", ", e.Shape)}] expected")
            .ToList();
        var badDtype = expected
            .Where(e => Tensors.TryGetValue(e.Name, out var t) && t.Entry.DType is not ("F32" or "F16" or "BF16"))
            .Select(e => $"{Describe(e.Name)} in {Path.GetFileName(Tensors[e.Name].File.Path)} has dtype {Tensors[e.Name].Entry.DType}")
            .ToList();
        if (badDtype.Count > 0)
        {
            throw ModelErrors.Model(ModelErrors.CheckpointDtypeUnsupported,
                "weights must be F32, F16 or BF16: " + string.Join("; ", badDtype));
        }

        if (missing.Count + unexpected.Count + wrongShape.Count == 0)
        {
            return;
        }

        var message = new StringBuilder($"checkpoint in '{Path.GetDirectoryName(_files[0].Path)}' does not match the config:");
        void List(string title, List<string> items)
        {
            if (items.Count > 0)
            {
                message.Append($" {title} ({items.Count}): {string.Join("; ", items)}.");
            }
        }

        List("missing", missing);
        List("unexpected", unexpected);
        List("wrong shape", wrongShape);
        throw ModelErrors.Model(ModelErrors.CheckpointMismatch, message.ToString());
    }

    public void Dispose() => _files.ForEach(f => f.Dispose());

    private static string Describe(string hubName) =>
        ToInternalName(hubName) is var internalName && internalName != hubName ? $"{hubName} (internal {internalName})" : hubName;

    private static void Add(Dictionary<string, (SafeTensorsFile, SafeTensorEntry)> tensors, SafeTensorsFile file, SafeTensorEntry entry)
    {
        var name = ToHubName(entry.Name);
        if (!tensors.TryAdd(name, (file, entry)))
        {
            throw ModelErrors.Model(ModelErrors.CheckpointMismatch, $"{file.Path}: tensor '{name}' is stored twice");
        }
    }

    private static IEnumerable<(string Shard, List<string> Names)> ReadWeightMap(string indexPath)
    {
        JsonElement map;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(indexPath));
            map = document.RootElement.TryGetProperty("weight_map", out var m) && m.ValueKind == JsonValueKind.Object
                ? m.Clone()
                : throw ModelErrors.Model(ModelErrors.CheckpointCorrupt, $"{indexPath}: no weight_map object");
        }
        catch (JsonException error)
        {
            throw ModelErrors.Model(ModelErrors.CheckpointCorrupt, $"{indexPath}: not valid JSON ({error.Message})", error);
        }

        return map.EnumerateObject()
            .Select(p => (Name: p.Name, Shard: p.Value.ValueKind == JsonValueKind.String
                && p.Value.GetString() is { Length: > 0 } shard && Path.GetFileName(shard) == shard
                    ? shard
                    : throw ModelErrors.Model(ModelErrors.CheckpointCorrupt,
                        $"{indexPath}: weight_map['{p.Name}'] is not a file name in the model directory")))
            .GroupBy(p => p.Shard, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Select(p => p.Name).ToList()))
            .ToList();
    }
}
