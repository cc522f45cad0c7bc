using VideoAutoR1.Core;
using VideoAutoR1.Core.Prompting;
using VideoAutoR1.Eval.Grading;

namespace VideoAutoR1.Eval;

/// <summary>The items of a benchmark that can be run, and every problem found on the way, in line order.</summary>
public sealed record EvalDataset(IReadOnlyList<EvalItem> Items, IReadOnlyList<EvalProblem> Problems)
{
    /// <summary>
    /// Validates records: required fields, a known task, a question the prompt builder accepts, an answer that fits
    /// the task, a unique id and an existing video (relative to <paramref name="videoRoot"/> unless absolute).
    /// Each bad record becomes one problem; nothing is dropped silently.
    /// </summary>
    public static EvalDataset From(EvalInput input, string videoRoot)
    {
        ArgumentNullException.ThrowIfNull(input);
        var prompts = new PromptBuilder(new PromptOptions());
        var items = new List<EvalItem>();
        var problems = new List<EvalProblem>(input.Problems);
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var record in input.Records)
        {
            try
            {
                var item = Validate(record, videoRoot, prompts);
                if (firstLine.TryGetValue(item.Id, out var first))
                {
                    throw Problem("duplicate_id", $"id '{item.Id}' was already used on line {first}");
                }

                firstLine[item.Id] = record.Line;
                items.Add(item);
            }
            catch (VideoQaException error)
            {
                problems.Add(new EvalProblem(record.Line, record.Id, error.Code, error.Message));
            }
        }

        return new EvalDataset(items, [.. problems.OrderBy(p => p.Line)]);
    }

    private static EvalItem Validate(EvalRecord record, string videoRoot, PromptBuilder prompts)
    {
        var id = Required(record.Id, "id");
        var video = Required(record.Video, "video");
        var question = Required(record.Question, "question");
        var taskName = Required(record.Task, "task");
        var answer = Required(record.Answer, "answer");
        if (!EvalTasks.TryParse(taskName, out var kind))
        {
            throw Problem("unknown_task", $"task '{taskName}' is none of {string.Join(", ", EvalTasks.Names)}");
        }

        if (!EvalPrompts.TryParse(record.Prompt, out var style))
        {
            throw Problem("unknown_prompt", $"prompt '{record.Prompt}' is none of {string.Join(", ", EvalPrompts.Names)}");
        }

        var spec = new QuestionSpec(question, OptionText.WithoutLetters(record.Options ?? []), kind, style);
        prompts.Build(spec, videoTokenCount: 0);
        var truth = GroundTruth.Parse(spec, answer);
        var path = Path.GetFullPath(video, videoRoot);
        if (!File.Exists(path))
        {
            throw Problem("video_not_found", $"no video file at {path}");
        }

        return new EvalItem(record.Line, id, path, spec, truth, record.Category, record.Benchmark);
    }

    private static string Required(string? value, string field) =>
        string.IsNullOrWhiteSpace(value) ? throw Problem("missing_field", $"\"{field}\" is missing or empty") : value;

    private static VideoQaException Problem(string code, string message) => new(ErrorKind.InvalidArgument, code, message);
}
