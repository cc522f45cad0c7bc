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
