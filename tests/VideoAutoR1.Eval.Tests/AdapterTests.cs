using Parquet.Serialization;
using VideoAutoR1.Core;

namespace VideoAutoR1.Eval.Tests;

/// <summary>Each published benchmark layout, read from a small hand-written file of that layout.</summary>
public sealed class AdapterTests : IDisposable
{
    private readonly TempDir _videos = new();

    [Fact]
    public void Charades_sta_lines_become_grounding_items_and_broken_lines_are_reported()
    {
        _videos.Touch("AO8RW.mp4", "Y6R7T.mp4");

        var dataset = EvalDataset.From(EvalFormats.Read(EvalFormats.CharadesSta, Fixture.Path("charades_sta_test.txt"), null), _videos.Path);

        Assert.Equal(["AO8RW_1", "Y6R7T_2"], dataset.Items.Select(i => i.Id));
        var item = dataset.Items[1];
        Assert.Equal((TaskKind.TemporalGrounding, "person opens the door.", "charades_sta"), (item.Question.Kind, item.Question.Question, item.Benchmark));
        Assert.Equal((20.8, 30.0), (item.Truth.Segments[0].Start, item.Truth.Segments[0].End));
        Assert.Equal([(4, "malformed_line"), (5, "answer_format_invalid")], dataset.Problems.Select(p => (p.Line, p.Code)));
    }

    [Fact]
    public void Mvbench_answers_are_candidate_texts_and_the_task_file_is_the_category()
    {
        _videos.Touch("ZS9XR.mp4", "0RBUD.mp4");

        var dataset = EvalDataset.From(EvalFormats.Read(EvalFormats.MvBench, Fixture.Path("action_sequence.json"), null), _videos.Path);

        Assert.Equal(["action_sequence_0", "action_sequence_1"], dataset.Items.Select(i => i.Id));
        Assert.Equal((0, 1), (dataset.Items[0].Truth.OptionIndex!.Value, dataset.Items[1].Truth.OptionIndex!.Value));
        Assert.Equal(("action_sequence", "mvbench"), (dataset.Items[0].Category, dataset.Items[0].Benchmark));
        Assert.Equal(4, dataset.Items[0].Question.Options.Count);
        Assert.Equal(PromptStyle.MvBench, dataset.Items[0].Question.Style);
        var problem = Assert.Single(dataset.Problems);
        Assert.Equal((3, "answer_format_invalid"), (problem.Line, problem.Code));
    }

    [Fact]
    public void Videomme_json_rows_keep_the_letter_answer_and_the_duration_as_category()
    {
        _videos.Touch("fFjv93ACGo8.mp4");

        var dataset = EvalDataset.From(EvalFormats.Read(EvalFormats.VideoMme, Fixture.Path("videomme.json"), null), _videos.Path);

        var item = Assert.Single(dataset.Items);
        Assert.Equal(("001-1", "short", "videomme", 2), (item.Id, item.Category, item.Benchmark, item.Truth.OptionIndex!.Value));
        Assert.Equal(["Apples.", "Candles.", "Berries.", "The three kinds are of the same number."], item.Question.Options);
        Assert.Equal(PromptStyle.VideoMme, item.Question.Style);
        Assert.Equal((2, "answer_format_invalid"), (dataset.Problems[0].Line, dataset.Problems[0].Code));
    }

    [Fact]
    public async Task Videomme_parquet_with_the_published_columns_reads_like_its_json_rows()
    {
        _videos.Touch("fFjv93ACGo8.mp4", "sU8QYsz2pIk.mp4");
        var path = _videos["test-00000-of-00001.parquet"];
        await ParquetSerializer.SerializeAsync(
            new[]
            {
                new PublishedVideoMmeRow
                {
                    video_id = "001", duration = "short", domain = "Knowledge", sub_category = "Humanity & History",
                    url = "https://www.youtube.com/watch?v=fFjv93ACGo8", videoID = "fFjv93ACGo8", question_id = "001-1",
                    task_type = "Counting Problem", question = "Which decoration is most numerous?",
                    options = ["A. Apples.", "B. Candles.", "C. Berries.", "D. The same."], answer = "C",
                },
                new PublishedVideoMmeRow
                {
                    video_id = "601", duration = "long", domain = "Sports", sub_category = "Football",
                    url = "https://www.youtube.com/watch?v=sU8QYsz2pIk", videoID = "sU8QYsz2pIk", question_id = "601-3",
                    task_type = "Action Reasoning", question = "Why does the referee stop play?",
                    options = ["A. A foul.", "B. Injury.", "C. Offside.", "D. Time."], answer = "B",
                },
            },
            path);

        var dataset = EvalDataset.From(EvalFormats.Read(EvalFormats.VideoMme, path, null), _videos.Path);

        Assert.Empty(dataset.Problems);
        Assert.Equal([("001-1", "short", 2), ("601-3", "long", 1)], dataset.Items.Select(i => (i.Id, i.Category!, i.Truth.OptionIndex!.Value)));
        Assert.Equal("Injury.", dataset.Items[1].Question.Options[1]);
    }

    [Fact]
    public void Nextgqa_csv_and_grounding_json_become_grounded_qa_items()
    {
        _videos.Touch("3238737531.mp4", "4010069381.mp4");

        var dataset = EvalDataset.From(
            EvalFormats.Read(EvalFormats.NextGqa, Fixture.Path("nextgqa_test.csv"), Fixture.Path("nextgqa_gsub_test.json")), _videos.Path);

        Assert.Equal(["3238737531_8", "3238737531_9", "4010069381_2"], dataset.Items.Select(i => i.Id));
        var first = dataset.Items[0];
        Assert.Equal((TaskKind.GroundedQa, 4, "CW", "nextgqa"), (first.Question.Kind, first.Truth.OptionIndex!.Value, first.Category, first.Benchmark));
        Assert.Equal((19.6, 27.6), (first.Truth.Segments[0].Start, first.Truth.Segments[0].End));
        Assert.Equal(2, dataset.Items[1].Truth.OptionIndex);
        Assert.Equal("laughs, then claps", dataset.Items[2].Question.Options[0]);
        var problem = Assert.Single(dataset.Problems);
        Assert.Equal((5, "answer_format_invalid"), (problem.Line, problem.Code));
    }

    [Fact]
    public void Nextgqa_without_its_grounding_file_is_refused()
    {
        var error = Assert.Throws<VideoQaException>(() => EvalFormats.Read(EvalFormats.NextGqa, Fixture.Path("nextgqa_test.csv"), null));
        Assert.Equal("segments_missing", error.Code);
    }

    public void Dispose() => _videos.Dispose();

    /// <summary>Every column of the published Video-MME parquet, named as there.</summary>
    private sealed class PublishedVideoMmeRow
    {
#pragma warning disable IDE1006, SA1300 // the dataset's column names
        public string? video_id { get; set; }

        public string? duration { get; set; }

        public string? domain { get; set; }

        public string? sub_category { get; set; }

        public string? url { get; set; }

        public string? videoID { get; set; }

        public string? question_id { get; set; }

        public string? task_type { get; set; }

        public string? question { get; set; }

        public List<string>? options { get; set; }

        public string? answer { get; set; }
#pragma warning restore IDE1006, SA1300
    }
}
