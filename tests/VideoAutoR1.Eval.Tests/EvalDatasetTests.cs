using VideoAutoR1.Core;

namespace VideoAutoR1.Eval.Tests;

/// <summary>The input format: every bad line is reported with its number and reason, the good ones are kept.</summary>
public sealed class EvalDatasetTests : IDisposable
{
    private readonly TempDir _dir = new();

    public EvalDatasetTests() => _dir.Touch("clip.mp4");

    [Fact]
    public void Good_lines_become_items_and_unknown_fields_are_ignored()
    {
        var path = _dir.Write("data.jsonl", """
            {"id": "a", "video": "clip.mp4", "question": "What color?", "options": ["red", "blue"], "task": "multiple_choice", "answer": "B", "category": "color", "benchmark": "world", "rationale": "it is blue"}

            {"id": 7, "video": "clip.mp4", "question": "How many?", "task": "numeric", "answer": 3}
            {"id": "g", "video": "clip.mp4", "question": "the ball rolls", "task": "temporal_grounding", "answer": [1.5, 3]}
            {"id": "q", "video": "clip.mp4", "question": "Why?", "options": ["A. it fell", "B. it rolled"], "task": "grounded_qa", "answer": "B <> [1.0, 2.5]"}
            {"id": "o", "video": "clip.mp4", "question": "Name it.", "task": "open", "answer": "a ball"}
            {"id": "p", "video": "clip.mp4", "question": "Which law?", "options": ["Ohm", "Hooke"], "task": "multiple_choice", "answer": "A", "prompt": "videommmu"}
            """);

        var dataset = EvalDataset.From(EvalJsonl.Read(path), _dir.Path);

        Assert.Empty(dataset.Problems);
        Assert.Equal(["a", "7", "g", "q", "o", "p"], dataset.Items.Select(i => i.Id));
        Assert.Equal(PromptStyle.VideoMmmu, dataset.Items[5].Question.Style);
        Assert.Equal(PromptStyle.Default, dataset.Items[0].Question.Style);
        var first = dataset.Items[0];
        Assert.Equal((1, TaskKind.MultipleChoice, 1, "color", "world"), (first.Line, first.Question.Kind, first.Truth.OptionIndex!.Value, first.Category, first.Benchmark));
        Assert.Equal(_dir["clip.mp4"], first.VideoPath);
        Assert.Equal(3, dataset.Items[1].Line);
        Assert.Equal(3.0, dataset.Items[1].Truth.Number);
        Assert.Equal((1.5, 3.0), (dataset.Items[2].Truth.Segments[0].Start, dataset.Items[2].Truth.Segments[0].End));

        // "A. it fell" carries its letter: the prompt builder adds letters itself.
        Assert.Equal(["it fell", "it rolled"], dataset.Items[3].Question.Options);
        Assert.Equal(1, dataset.Items[3].Truth.OptionIndex);
    }

    [Fact]
    public void Each_bad_line_is_reported_with_its_line_number_and_reason()
    {
        var path = _dir.Write("data.jsonl", """
            {"id": "ok", "video": "clip.mp4", "question": "What color?", "options": ["red", "blue"], "task": "multiple_choice", "answer": "A"}
            not json at all
            {"id": "ok", "video": "clip.mp4", "question": "Again?", "task": "open", "answer": "yes"}
            {"id": "t", "video": "clip.mp4", "question": "Count.", "task": "counting", "answer": "3"}
            {"id": "n", "video": "clip.mp4", "question": "Count.", "task": "numeric", "answer": "three"}
            {"id": "v", "video": "missing.mp4", "question": "Count.", "task": "numeric", "answer": 3}
            {"id": "m", "video": "clip.mp4", "task": "open", "answer": "x"}
            {"id": "c", "video": "clip.mp4", "question": "Which?", "options": ["red", "blue"], "task": "multiple_choice", "answer": "E"}
            {"id": "s", "video": "clip.mp4", "question": "When?", "task": "temporal_grounding", "answer": [3, 3]}
            {"id": "w", "video": 5, "question": "When?", "task": "open", "answer": "x"}
            {"id": "x", "video": "clip.mp4", "question": "Pick.", "options": ["only one"], "task": "multiple_choice", "answer": "A"}
            {"id": "y", "video": "clip.mp4", "question": "Pick.", "options": ["a", "b"], "task": "multiple_choice", "answer": "A", "prompt": "bogus"}
            {"id": "z", "video": "clip.mp4", "question": "Name it.", "task": "open", "answer": "x", "prompt": "videomme"}
            """);

        var dataset = EvalDataset.From(EvalJsonl.Read(path), _dir.Path);

        Assert.Equal(["ok"], dataset.Items.Select(i => i.Id));
        Assert.Equal(
            [
                (2, "malformed_line"), (3, "duplicate_id"), (4, "unknown_task"), (5, "answer_format_invalid"), (6, "video_not_found"),
                (7, "missing_field"), (8, "answer_format_invalid"), (9, "answer_format_invalid"), (10, "field_invalid"), (11, "options_too_few"),
                (12, "unknown_prompt"), (13, "prompt_style_invalid"),
            ],
            dataset.Problems.Select(p => (p.Line, p.Code)));
        Assert.Contains("line 1", dataset.Problems[1].Message);
        Assert.Contains("line 3 (id ok): duplicate_id", dataset.Problems[1].ToString());
    }

    [Fact]
    public void Letters_are_stripped_only_when_every_option_carries_its_own_in_order()
    {
        Assert.Equal(["x", "y"], OptionText.WithoutLetters(["(A) x", "(B) y"]));
        Assert.Equal(["A) x", "C) y"], OptionText.WithoutLetters(["A) x", "C) y"]));
        Assert.Equal(["A lot", "Barely"], OptionText.WithoutLetters(["A lot", "Barely"]));
    }

    public void Dispose() => _dir.Dispose();
}
