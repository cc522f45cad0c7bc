using System.Text.Json.Serialization;

namespace VideoAutoR1.Eval.Adapters;

/// <summary>
/// MVBench as published: one JSON file per task (<c>json/action_sequence.json</c>, …), each an array of
/// <c>{"video", "question", "candidates": [texts], "answer": text}</c>. The answer text names a candidate; the category
/// is the task (the file name); a directory reads every task file in it. Videos are relative to the video root.
/// </summary>
public static class MvBenchAdapter
{
    public const string Benchmark = "mvbench";

    public static EvalInput Read(string path)
    {
        var files = Directory.Exists(path) ? Directory.GetFiles(path, "*.json").Order(StringComparer.Ordinal).ToArray() : [path];
        var records = new List<EvalRecord>();
        var problems = new List<EvalProblem>();
        foreach (var file in files)
        {
            var task = Path.GetFileNameWithoutExtension(file);
            var rows = JsonRows.Read<MvBenchRow>(file, problems);
            for (var i = 0; i < rows.Count; i++)
            {
                if (rows[i] is not { } row)
                {
                    continue;
                }

                // The answer is a candidate's text: its letter, so an answer that is itself a letter is not misread.
                var index = row.Candidates?.IndexOf(row.Answer ?? "") ?? -1;
                records.Add(new EvalRecord(
                    Line: i + 1,
                    Id: $"{task}_{i}",
                    Video: row.Video,
                    Question: row.Question,
                    Options: row.Candidates,
                    Task: "multiple_choice",
                    Answer: index >= 0 ? ((char)('A' + index)).ToString() : row.Answer,
                    Category: task,
                    Benchmark: Benchmark,
                    Prompt: EvalPrompts.Name(Core.PromptStyle.MvBench)));
            }
        }

        return new EvalInput(records, problems);
    }

    public sealed class MvBenchRow
    {
        [JsonPropertyName("video")]
        public string? Video { get; set; }

        [JsonPropertyName("question")]
        public string? Question { get; set; }

        [JsonPropertyName("candidates")]
        public List<string>? Candidates { get; set; }

        [JsonPropertyName("answer")]
        public string? Answer { get; set; }
    }
}
