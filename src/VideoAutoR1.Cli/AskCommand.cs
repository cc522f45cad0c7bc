using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Media;

namespace VideoAutoR1.Cli;

/// <summary>
/// <c>ask --video FILE --question TEXT [--options "A. ..."]... [--kind K] [--model DIR] [--mode auto|think|direct]
/// [--threshold T] [--max-new-tokens N] [--temperature T] [--top-p P] [--seed S]</c>: answers one question with the
/// same engine the service runs and prints the result as JSON. Without --model it uses the default model.
/// </summary>
public static partial class AskCommand
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static Command Create()
    {
        var video = CliOptions.Text("--video", "the video file", required: true);
        var question = CliOptions.Text("--question", "the question (for grounding: the segment's description)", required: true);
        var options = CliOptions.Repeated("--options", "an option, repeated per option; a leading 'A.' or '(A)' is dropped");
        var kind = CliOptions.Choice<TaskKind?>("--kind", "task kind; default multiple-choice with options, else open", null,
            ("multiple-choice", TaskKind.MultipleChoice), ("open", TaskKind.Open), ("numeric", TaskKind.Numeric),
            ("grounding", TaskKind.TemporalGrounding), ("grounded-qa", TaskKind.GroundedQa));
        var model = CliOptions.ModelDirectory();
        var mode = Modes.Option();
        var threshold = CliOptions.Number("--threshold", "early-exit τ (the request rules: README, Request rules)");
        var maxNewTokens = CliOptions.Integer("--max-new-tokens", "generated-token budget");
        var temperature = CliOptions.Number("--temperature", "sampling temperature; 0 = greedy");
        var topP = CliOptions.Number("--top-p", "nucleus sampling mass");
        var seed = CliOptions.Integer("--seed", "sampling seed");

        var command = new Command("ask", "answer one question about a video with the engine; prints the result as JSON")
        {
            video, question, options, kind, model, mode, threshold, maxNewTokens, temperature, topP, seed,
        };
        command.SetAction((parse, _) => RunAsync(
            parse.GetValue(video)!,
            parse.GetValue(question)!,
            parse.GetValue(options) ?? [],
            parse.GetValue(kind),
            parse.GetValue(model),
            RequestResolver.Empty with
            {
                Mode = parse.GetValue(mode),
                Threshold = parse.GetValue(threshold),
                MaxNewTokens = parse.GetValue(maxNewTokens),
                Temperature = parse.GetValue(temperature),
                TopP = parse.GetValue(topP),
                Seed = parse.GetValue(seed),
            }));
        return command;
    }

    private static async Task<int> RunAsync(string videoPath, string questionText, string[] optionTexts, TaskKind? kind, string? modelDirectory, QuestionQuery knobs)
    {
        if (!File.Exists(videoPath))
        {
            throw new CliUsageException($"video file not found: {videoPath}");
        }

        if (modelDirectory is not null && !Directory.Exists(modelDirectory))
        {
            throw new CliUsageException($"model directory not found: {modelDirectory}");
        }

        var options = optionTexts.Select(StripLetter).ToArray();
        var question = new QuestionSpec(questionText, options, kind ?? (options.Length > 0 ? TaskKind.MultipleChoice : TaskKind.Open));
        await using var host = await EngineHost.StartAsync(new Dictionary<string, string?>
        {
            ["Engine:ModelDirectory"] = modelDirectory,
            ["Engine:MaxBatchSize"] = "1",
        });

        // Resolved by the same rules as the service, so a value the service refuses is refused here with the same code.
        var request = host.Engine.Resolver.Resolve(
            Guid.NewGuid().ToString("N"), new VideoSource.Bytes(await File.ReadAllBytesAsync(videoPath), Path.GetFileName(videoPath)), question, knobs);
        var result = await host.Engine.AnswerAsync(request, CancellationToken.None);
        Console.WriteLine(JsonSerializer.Serialize(result, Json));
        return 0;
    }

    /// <summary>"A. red car" and "(A) red car" become "red car": the prompt builder adds the letters itself.</summary>
    private static string StripLetter(string option) => LetterPrefix().Replace(option, "", 1);

    [GeneratedRegex(@"^\s*(?:\([A-Z]\)|[A-Z][.)])\s+")]
    private static partial Regex LetterPrefix();
}

/// <summary>The --mode option of ask and eval.</summary>
internal static class Modes
{
    public static Option<AnswerMode?> Option() => CliOptions.Choice<AnswerMode?>("--mode", "auto = early exit at τ", null,
        ("auto", AnswerMode.Auto), ("think", AnswerMode.Think), ("direct", AnswerMode.Direct));
}
