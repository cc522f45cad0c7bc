using VideoAutoR1.Core;

namespace VideoAutoR1.Eval.Tests;

public sealed class ResultsFileTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public void Every_appended_line_is_on_disk_before_the_file_is_closed()
    {
        var path = _dir["results.jsonl"];
        using var results = ResultsFile.OpenForAppend(path);
        results.Append(Lines.Think("a", 0.9, true, true));
        results.Append(Lines.Think("b", 0.5, false, true));

        // Read by another reader while the writer is still open, as after a kill.
        Assert.Equal(["a", "b"], ResultsFile.Read(path).Select(l => l.Id));
    }

    [Fact]
    public void Reopening_keeps_the_lines_and_drops_a_last_line_cut_short()
    {
        var path = _dir["results.jsonl"];
        using (var results = ResultsFile.OpenForAppend(path))
        {
            results.Append(Lines.Think("a", 0.9, true, true));
        }

        File.AppendAllText(path, "{\"id\":\"b\",\"task\":\"mul");
        using (var reopened = ResultsFile.OpenForAppend(path))
        {
            Assert.Equal(["a"], reopened.Existing.Select(l => l.Id));
            reopened.Append(Lines.Think("c", 0.9, true, true));
        }

        Assert.Equal(["a", "c"], ResultsFile.Read(path).Select(l => l.Id));
    }

    [Fact]
    public void A_malformed_line_inside_the_file_is_an_error_naming_it()
    {
        var path = _dir["results.jsonl"];
        using (var results = ResultsFile.OpenForAppend(path))
        {
            results.Append(Lines.Think("a", 0.9, true, true));
        }

        File.AppendAllText(path, "garbage\n");
        var error = Assert.Throws<VideoQaException>(() => ResultsFile.Read(path));
        Assert.Equal("results_malformed", error.Code);
        Assert.Contains("line 2", error.Message);
    }

    public void Dispose() => _dir.Dispose();
}
