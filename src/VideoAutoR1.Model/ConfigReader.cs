using System.Text.Json;
using System.Text.Json.Nodes;

namespace VideoAutoR1.Model;

/// <summary>JSON helpers shared by the config readers of every model family.</summary>
internal static class ConfigJson
{
    public static JsonObject ParseObject(string json, string source)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject
                ?? throw ModelErrors.Model(ModelErrors.ConfigInvalid, $"{source}: the top level is not a JSON object");
        }
        catch (JsonException error)
        {
            throw ModelErrors.Model(ModelErrors.ConfigInvalid, $"{source}: not valid JSON ({error.Message})", error);
        }
    }

    /// <summary>The text and path of <c>config.json</c> in a model directory.</summary>
    public static (string Json, string Path) ReadModelConfig(string modelDir)
    {
        var path = Path.Combine(modelDir, Qwen2_5_VLConfig.FileName);
        if (!File.Exists(path))
        {
            throw ModelErrors.Model(ModelErrors.ConfigMissing, $"no {Qwen2_5_VLConfig.FileName} in model directory '{modelDir}'");
        }

        return (File.ReadAllText(path), path);
    }

    /// <summary><paramref name="eos"/> followed by <c>generation_config.json</c>'s end-of-sequence ids, without repeats.</summary>
    public static long[] WithGenerationEos(string modelDir, IReadOnlyList<long> eos)
    {
        var path = Path.Combine(modelDir, Qwen2_5_VLConfig.GenerationConfigFileName);
        var more = File.Exists(path) ? ReadIdList(ParseObject(File.ReadAllText(path), path), "eos_token_id", path) : [];
        return eos.Concat(more).Distinct().ToArray();
    }

    /// <summary>Fields both families keep at the top level (some also under <c>text_config</c>).</summary>
    public static SpecialIds ReadSpecialIds(ConfigReader reader, JsonObject root, JsonObject text, string textPath, string source)
    {
        var nested = !ReferenceEquals(root, text);
        var tie = root["tie_word_embeddings"] is not null
            ? reader.Bool(root, "tie_word_embeddings")
            : text["tie_word_embeddings"] is not null && reader.Bool(text, textPath + "tie_word_embeddings");
        var eos = ReadIdList(root, "eos_token_id", source).Concat(nested ? ReadIdList(text, "eos_token_id", source) : []);
        return new SpecialIds(
            tie,
            reader.Long(root, "image_token_id"),
            reader.Long(root, "video_token_id"),
            reader.Long(root, "vision_start_token_id"),
            reader.Long(root, "vision_end_token_id"),
            eos.Distinct().ToArray(),
            reader.OptionalLong(root, "bos_token_id") ?? reader.OptionalLong(text, textPath + "bos_token_id"),
            reader.OptionalLong(root, "pad_token_id") ?? reader.OptionalLong(text, textPath + "pad_token_id"));
    }

    /// <summary>A config.json with the two sub-configs and the top-level fields, indented.</summary>
    public static string WriteRoot(string architecture, string modelType, JsonObject text, JsonObject vision, SpecialIds ids)
    {
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray(architecture),
            ["model_type"] = modelType,
            ["text_config"] = text,
            ["vision_config"] = vision,
            ["tie_word_embeddings"] = ids.TieWordEmbeddings,
            ["image_token_id"] = ids.Image,
            ["video_token_id"] = ids.Video,
            ["vision_start_token_id"] = ids.VisionStart,
            ["vision_end_token_id"] = ids.VisionEnd,
            ["eos_token_id"] = ids.Eos.Count == 1 ? ids.Eos[0] : new JsonArray(ids.Eos.Select(v => (JsonNode)v).ToArray()),
        };
        if (ids.Bos is { } bos)
        {
            root["bos_token_id"] = bos;
        }

        if (ids.Pad is { } pad)
        {
            root["pad_token_id"] = pad;
        }

        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public static IEnumerable<long> ReadIdList(JsonObject node, string name, string source)
    {
        var reader = new ConfigReader(source);
        return node[name] switch
        {
            null => [],
            JsonArray array => array.Select((_, i) => reader.Long(array, i, $"{name}[{i}]")).ToArray(),
            _ => [reader.Long(node, name)],
        };
    }
}

/// <summary>The special-token fields of a config.json.</summary>
internal sealed record SpecialIds(
    bool TieWordEmbeddings, long Image, long Video, long VisionStart, long VisionEnd, IReadOnlyList<long> Eos, long? Bos, long? Pad);

/// <summary>Typed field access whose errors carry the file and the JSON path of the field.</summary>
internal sealed class ConfigReader(string source)
{
    public Core.VideoQaException Invalid(string path, string problem) =>
        ModelErrors.Model(ModelErrors.ConfigInvalid, $"{source}: {path} {problem}");

    public int PositiveInt(JsonObject node, string path) =>
        OptionalPositiveInt(node, path) ?? throw Invalid(path, "is missing");

    public int? OptionalPositiveInt(JsonObject node, string path)
    {
        var value = Get(node, path);
        if (value is null)
        {
            return null;
        }

        return value.GetValueKind() == JsonValueKind.Number && value.AsValue().TryGetValue<int>(out var number) && number > 0
            ? number
            : throw Invalid(path, $"must be a positive integer, got {value.ToJsonString()}");
    }

    public long Long(JsonObject node, string path) => OptionalLong(node, path) ?? throw Invalid(path, "is missing");

    public long Long(JsonArray array, int index, string path) => AsLong(array[index], path);

    public long? OptionalLong(JsonObject node, string path) => Get(node, path) is { } value ? AsLong(value, path) : null;

    public double PositiveDouble(JsonObject node, string path)
    {
        var value = Get(node, path) ?? throw Invalid(path, "is missing");
        return value.GetValueKind() == JsonValueKind.Number && value.AsValue().TryGetValue<double>(out var number) && number > 0
            ? number
            : throw Invalid(path, $"must be a positive number, got {value.ToJsonString()}");
    }

    public bool Bool(JsonObject node, string path)
    {
        var value = Get(node, path) ?? throw Invalid(path, "is missing");
        return value.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Invalid(path, $"must be true or false, got {value.ToJsonString()}"),
        };
    }

    public string? OptionalString(JsonObject node, string path) =>
        Get(node, path) is { } value
            ? value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : throw Invalid(path, "must be a string")
            : null;

    public int[] IntArray(JsonObject node, string path)
    {
        if (Get(node, path) is not JsonArray array)
        {
            throw Invalid(path, "is missing or not an array");
        }

        return array.Select((item, i) => item is not null && item.GetValueKind() == JsonValueKind.Number
                && item.AsValue().TryGetValue<int>(out var v)
                ? v
                : throw Invalid($"{path}[{i}]", "must be an integer"))
            .ToArray();
    }

    private long AsLong(JsonNode? value, string path) =>
        value is not null && value.GetValueKind() == JsonValueKind.Number && value.AsValue().TryGetValue<long>(out var number)
            ? number
            : throw Invalid(path, $"must be an integer, got {value?.ToJsonString() ?? "null"}");

    // Paths carry the parent prefix for messages; the field itself is the last segment.
    private static JsonNode? Get(JsonObject node, string path)
    {
        var value = node[path[(path.LastIndexOf('.') + 1)..]];
        return value is null || value.GetValueKind() == JsonValueKind.Null ? null : value;
    }
}
