using System.Text.Json;
using System.Text.Json.Serialization;
using Parquet.Serialization;

namespace VideoAutoR1.Eval.Adapters;

/// <summary>
/// Video-MME as published (<c>videomme/test-*.parquet</c>, or the same rows as a JSON array or JSON lines):
/// <c>videoID</c>, <c>question_id</c>, <c>duration</c> (short / medium / long), <c>task_type</c>, <c>question</c>,
/// <c>options</c> ("A. …" strings) and <c>answer</c> (a letter). The video is <c>{videoID}.mp4</c>; the category is the
/// duration, the breakdown the benchmark reports.
/// </summary>
public static class VideoMmeAdapter
{
    public const string Benchmark = "videomme";

    public static EvalInput Read(string path)
    {
        var problems = new List<EvalProblem>();
        var rows = Path.GetExtension(path).Equals(".parquet", StringComparison.OrdinalIgnoreCase)
            ? ReadParquet(path)
            : JsonRows.Read<VideoMmeRow>(path, problems);
        var records = rows.Select((row, i) => row is null ? null : new EvalRecord(
            Line: i + 1,
            Id: row.QuestionId,
            Video: row.VideoId is { } video ? video + ".mp4" : null,
            Question: row.Question,
            Options: row.Options,
            Task: "multiple_choice",
            Answer: row.Answer,
            Category: row.Duration,
            Benchmark: Benchmark,
            Prompt: EvalPrompts.Name(Core.PromptStyle.VideoMme)));
        return new EvalInput([.. records.OfType<EvalRecord>()], problems);
    }

    private static List<VideoMmeRow?> ReadParquet(string path)
    {
        using var stream = File.OpenRead(path);
        var rows = ParquetSerializer.DeserializeAsync<VideoMmeRow>(stream).GetAwaiter().GetResult();
        return [.. rows.Data];
    }

    /// <summary>One row; the names are the dataset's columns.</summary>
    public sealed class VideoMmeRow
    {
        [JsonPropertyName("videoID")]
        public string? VideoId { get; set; }

        [JsonPropertyName("question_id")]
        public string? QuestionId { get; set; }

        [JsonPropertyName("duration")]
        public string? Duration { get; set; }

        [JsonPropertyName("task_type")]
        public string? TaskType { get; set; }

        [JsonPropertyName("question")]
        public string? Question { get; set; }

        [JsonPropertyName("options")]
        public List<string>? Options { get; set; }

        [JsonPropertyName("answer")]
        public string? Answer { get; set; }
    }
}

/// <summary>Rows of a JSON file: a JSON array of objects, or one object per line. Unreadable rows become problems.</summary>
internal static class JsonRows
{
    public static List<T?> Read<T>(string path, List<EvalProblem> problems)
        where T : class
    {
        var text = File.ReadAllText(path);
        if (text.TrimStart().StartsWith('['))
        {
            try
            {
                return JsonSerializer.Deserialize<List<T?>>(text) ?? [];
            }
            catch (JsonException error)
            {
                problems.Add(new EvalProblem((int)(error.LineNumber ?? 0) + 1, null, "malformed_line", $"not an array of {typeof(T).Name} rows: {error.Message.Split('.')[0]}"));
                return [];
            }
        }

        var rows = new List<T?>();
        var number = 0;
        foreach (var line in text.Split('\n'))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                rows.Add(null);
                continue;
            }

            try
            {
                rows.Add(JsonSerializer.Deserialize<T>(line));
            }
            catch (JsonException error)
            {
                rows.Add(null);
                problems.Add(new EvalProblem(number, null, "malformed_line", $"not a row: {error.Message.Split('.')[0]}"));
            }
        }

        return rows;
    }
}
