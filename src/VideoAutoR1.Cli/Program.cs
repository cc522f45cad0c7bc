using VideoAutoR1.Cli;
using VideoAutoR1.Core;

// Each subcommand lives in its own *Command.cs file: a static RunAsync(CliArgs) returning the exit code.
var commands = new Dictionary<string, (string Help, Func<string[], Task<int>> Run)>(StringComparer.Ordinal)
{
    ["ask"] = ("answer one question about a video with the engine; prints the result as JSON", AskCommand.RunAsync),
    ["parity"] = ("compare the model with Hugging Face reference fixtures", ParityCommand.RunAsync),
    ["tokenize"] = (TokenizeCommand.Help, TokenizeCommand.RunAsync),
    ["eval"] = (EvalCommand.Help, EvalCommand.RunAsync),
    ["calibrate"] = (CalibrateCommand.Help, CalibrateCommand.RunAsync),
    ["video"] = ("preprocess (or --probe) a local video file as the model would see it", VideoCommand.RunAsync),
    ["device-check"] = (DeviceCheckCommand.Help, DeviceCheckCommand.RunAsync),
    ["world"] = (WorldCommand.Help, WorldCommand.RunAsync),
    ["train"] = (TrainCommand.Help, TrainCommand.RunAsync),
};

if (args.Length == 0 || !commands.TryGetValue(args[0], out var command))
{
    Console.Error.WriteLine("usage: videoautor1 <command> [options]");
    foreach (var (name, (help, _)) in commands)
    {
        Console.Error.WriteLine($"  {name,-13} {help}");
    }

    return 2;
}

try
{
    return await command.Run(args[1..]);
}
catch (CliUsageException error)
{
    Console.Error.WriteLine($"videoautor1 {args[0]}: {error.Message}");
    return 2;
}
catch (VideoQaException error)
{
    Console.Error.WriteLine($"videoautor1 {args[0]}: {error.Code}: {error.Message}");
    return 1;
}
catch (Exception error) when (error is IOException or UnauthorizedAccessException)
{
    // A missing or unreadable input file is the user's problem to fix, not a crash: one line, no stack trace.
    Console.Error.WriteLine($"videoautor1 {args[0]}: {error.Message}");
    return 1;
}
catch (Exception error)
{
    // A bug rather than bad input, but scripts read stderr line by line: one line naming the exception, exit 1.
    Console.Error.WriteLine($"videoautor1 {args[0]}: internal error: {error.GetType().Name}: {error.Message.Split('\n', 2)[0]}");
    return 1;
}
