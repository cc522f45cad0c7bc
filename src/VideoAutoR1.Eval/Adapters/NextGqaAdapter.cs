using System.Globalization;
using System.Text.Json;
using Sylvan.Data.Csv;

namespace VideoAutoR1.Eval.Adapters;

/// <summary>
/// NExT-GQA as published: the questions (<c>test.csv</c>: <c>video_id, qid, question, answer, type, a0 … a4</c>; the
/// answer is the correct option's text or its index 0-4) and the grounding (<c>gsub_test.json</c>:
/// <c>{video_id: {"duration", "location": {qid: [[start, end], …]}}}</c>). The task is grounded QA, answered
/// <c>A &lt;&gt; [start, end]</c>; the first annotated segment is the ground truth. The category is the question type.
/// </summary>
public static class NextGqaAdapter
{
    public const string Benchmark = "nextgqa";

    public static EvalInput Read(string csvPath, string? segmentsPath)
    {
        if (segmentsPath is null)
        {
            throw new Core.VideoQaException(Core.ErrorKind.InvalidArgument, "segments_missing", "NExT-GQA needs its grounding file: --segments gsub_test.json");
        }

        using var segments = JsonDocument.Parse(File.ReadAllText(segmentsPath));
        var records = new List<EvalRecord>();
        var problems = new List<EvalProblem>();
        using var csv = CsvDataReader.Create(csvPath);
        var columns = Enumerable.Range(0, csv.FieldCount).ToDictionary(csv.GetName, i => i, StringComparer.Ordinal);
        string? Field(string name) => columns.TryGetValue(name, out var i) && !csv.IsDBNull(i) ? csv.GetString(i) : null;
        var row = 1;
        while (csv.Read())
        {
            // Row numbers count the header as row 1, as a spreadsheet shows them.
            row++;
            var video = Field("video_id");
            var qid = Field("qid");
            var id = $"{video}_{qid}";
            var options = Enumerable.Range(0, 5).Select(i => Field($"a{i}")).OfType<string>().Where(o => o.Length > 0).ToList();
            var answer = Field("answer");
            var index = int.TryParse(answer, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i >= 0 && i < options.Count ? i : options.IndexOf(answer ?? "");
            if (index < 0)
            {
                problems.Add(new EvalProblem(row, id, "answer_format_invalid", $"answer '{answer}' is none of the options"));
                continue;
            }

            if (Segment(segments.RootElement, video, qid) is not { } segment)
            {
                problems.Add(new EvalProblem(row, id, "segment_missing", $"{segmentsPath} has no segment for video {video}, question {qid}"));
                continue;
            }

            records.Add(new EvalRecord(
                Line: row,
                Id: id,
                Video: video + ".mp4",
                Question: Field("question"),
                Options: options,
                Task: "grounded_qa",
                Answer: $"{(char)('A' + index)} <> {segment}",
                Category: Field("type"),
                Benchmark: Benchmark));
        }

        return new EvalInput(records, problems);
    }

    private static string? Segment(JsonElement root, string? video, string? qid)
    {
        if (video is null || qid is null
            || !root.TryGetProperty(video, out var entry)
            || !entry.TryGetProperty("location", out var locations)
            || !locations.TryGetProperty(qid, out var spans)
            || spans.ValueKind != JsonValueKind.Array || spans.GetArrayLength() == 0)
        {
            return null;
        }

        var first = spans[0];
        return first.ValueKind == JsonValueKind.Array && first.GetArrayLength() == 2
            ? EvalJsonl.Segment(first[0].GetDouble(), first[1].GetDouble())
            : null;
    }
}
