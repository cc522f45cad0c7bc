using System.Globalization;
using System.Text.Json;

namespace VideoAutoR1.Eval;

/// <summary>Records read from a source file, and the lines that could not even be read as records.</summary>
public sealed record EvalInput(IReadOnlyList<EvalRecord> Records, IReadOnlyList<EvalProblem> Problems);

/// <summary>
/// The project's own input format, one JSON object a line:
/// <c>{"id", "video", "question", "options": [texts], "task", "answer", "category"?, "benchmark"?}</c>. The answer is
/// the option letter (or text), a number, text, <c>[start, end]</c> (a JSON array or a string) or <c>"A &lt;&gt; [s, e]"</c>.
/// An optional <c>"prompt"</c> names a benchmark's multiple-choice wording (videomme, mvbench, videommmu).
/// Unknown fields are ignored, so richer files (a rationale per item, say) are read as they are.
/// </summary>
public static class EvalJsonl
{
    public static EvalInput Read(string path)
    {
        var records = new List<EvalRecord>();
        var problems = new List<EvalProblem>();
        var line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            try
            {
                using var json = JsonDocument.Parse(text);
                records.Add(Record(line, json.RootElement));
            }
            catch (JsonException error)
            {
                problems.Add(new EvalProblem(line, null, "malformed_line", $"not a JSON object: {error.Message.Split('.')[0]}"));
            }
            catch (FormatException error)
            {
                problems.Add(new EvalProblem(line, null, "field_invalid", error.Message));
            }
        }

        return new EvalInput(records, problems);
    }

    /// <summary>One object of the format; throws <see cref="FormatException"/> naming the field of the wrong type.</summary>
    public static EvalRecord Record(int line, JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"expected a JSON object, got {item.ValueKind}");
        }

        return new EvalRecord(
            line,
            Scalar(item, "id"),
            Text(item, "video"),
            Text(item, "question"),
            Options(item),
            Text(item, "task"),
            Answer(item),
            Text(item, "category"),
            Text(item, "benchmark"),
            Text(item, "prompt"));
    }

    private static string? Text(JsonElement item, string name) =>
        !item.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw new FormatException($"\"{name}\" must be a string, got {value.ValueKind}");

    // Ids are often numbers in published files.
    private static string? Scalar(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetRawText() : Text(item, name);

    private static List<string>? Options(JsonElement item)
    {
        if (!item.TryGetProperty("options", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(o => o.ValueKind != JsonValueKind.String))
        {
            throw new FormatException("\"options\" must be an array of strings");
        }

        return value.EnumerateArray().Select(o => o.GetString()!).ToList();
    }

    private static string? Answer(JsonElement item)
    {
        if (!item.TryGetProperty("answer", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.Array when value.GetArrayLength() == 2 && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.Number) =>
                Segment(value[0].GetDouble(), value[1].GetDouble()),
            _ => throw new FormatException("\"answer\" must be a string, a number or [start, end]"),
        };
    }

    /// <summary>A segment in the text form the grounding ground truth reads.</summary>
    public static string Segment(double start, double end) =>
        string.Create(CultureInfo.InvariantCulture, $"[{start:R}, {end:R}]");
}
