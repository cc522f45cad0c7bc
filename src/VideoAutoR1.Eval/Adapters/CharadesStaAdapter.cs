using System.Globalization;
using System.Text.RegularExpressions;

namespace VideoAutoR1.Eval.Adapters;

/// <summary>
/// Charades-STA as published (<c>charades_sta_test.txt</c>): one query a line, <c>VID start end##sentence</c>, times in
/// seconds. The video is <c>{VID}.mp4</c>; the id is <c>{VID}_{line}</c> (a video has several queries).
/// </summary>
public static partial class CharadesStaAdapter
{
    public const string Benchmark = "charades_sta";

    public static EvalInput Read(string path)
    {
        var records = new List<EvalRecord>();
        var problems = new List<EvalProblem>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var match = Query().Match(line);
            if (!match.Success)
            {
                problems.Add(new EvalProblem(number, null, "malformed_line", "expected 'VID start end##sentence'"));
                continue;
            }

            var video = match.Groups["vid"].Value;
            records.Add(new EvalRecord(
                Line: number,
                Id: $"{video}_{number}",
                Video: video + ".mp4",
                Question: match.Groups["sentence"].Value.Trim(),
                Options: null,
                Task: "temporal_grounding",
                Answer: EvalJsonl.Segment(Seconds(match.Groups["start"].Value), Seconds(match.Groups["end"].Value)),
                Benchmark: Benchmark));
        }

        return new EvalInput(records, problems);
    }

    private static double Seconds(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(?<vid>\S+)\s+(?<start>\d+(?:\.\d+)?)\s+(?<end>\d+(?:\.\d+)?)\s*##(?<sentence>.*)$")]
    private static partial Regex Query();
}
