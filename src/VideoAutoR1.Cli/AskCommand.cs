using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Media;

namespace VideoAutoR1.Cli;

/// <summary>
/// <c>ask [--model DIR] --video FILE --question TEXT [--options "A. ..."]... [--kind K] [--mode auto|think|direct]
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

    private static readonly HashSet<string> OptionNames =
        ["model", "video", "question", "options", "kind", "mode", "threshold", "max-new-tokens", "temperature", "top-p", "seed"];

    public static async Task<int> RunAsync(string[] args)
    {
        var cli = new CliArgs(args, OptionNames, new HashSet<string>());
        if (cli.Positional.Count > 0)
        {
            throw new CliUsageException($"unexpected argument '{cli.Positional[0]}'");
        }

        var videoPath = cli.Required("video");
        if (!File.Exists(videoPath))
        {
            throw new CliUsageException($"video file not found: {videoPath}");
        }

        var options = cli.All("options").Select(StripLetter).ToArray();
        var question = new QuestionSpec(cli.Required("question"), options, ParseKind(cli.Optional("kind"), options.Length));
        var knobs = RequestResolver.Empty with
        {
            Mode = ParseMode(cli.Optional("mode")),
            Threshold = cli.OptionalDouble("threshold"),
            MaxNewTokens = cli.OptionalInt("max-new-tokens"),
            Temperature = cli.OptionalDouble("temperature"),
            TopP = cli.OptionalDouble("top-p"),
            Seed = cli.OptionalInt("seed"),
        };

        var modelDirectory = cli.Optional("model");
        if (modelDirectory is not null && !Directory.Exists(modelDirectory))
        {
            throw new CliUsageException($"model directory not found: {modelDirectory}");
        }

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

    private static AnswerMode ParseMode(string? text) => text switch
    {
        null or "auto" => AnswerMode.Auto,
        "think" => AnswerMode.Think,
        "direct" => AnswerMode.Direct,
        _ => throw new CliUsageException($"--mode must be auto, think or direct, got '{text}'"),
    };

    private static TaskKind ParseKind(string? text, int optionCount) => text switch
    {
        null => optionCount > 0 ? TaskKind.MultipleChoice : TaskKind.Open,
        "multiple-choice" => TaskKind.MultipleChoice,
        "open" => TaskKind.Open,
        "numeric" => TaskKind.Numeric,
        "grounding" => TaskKind.TemporalGrounding,
        "grounded-qa" => TaskKind.GroundedQa,
        _ => throw new CliUsageException($"--kind must be multiple-choice, open, numeric, grounding or grounded-qa, got '{text}'"),
    };

    /// <summary>"A. red car" and "(A) red car" become "red car": the prompt builder adds the letters itself.</summary>
    private static string StripLetter(string option) => LetterPrefix().Replace(option, "", 1);

    [GeneratedRegex(@"^\s*(?:\([A-Z]\)|[A-Z][.)])\s+")]
    private static partial Regex LetterPrefix();
}
