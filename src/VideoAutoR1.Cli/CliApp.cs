using System.CommandLine;
using System.CommandLine.Help;
using VideoAutoR1.Core;

namespace VideoAutoR1.Cli;

/// <summary>
/// The command line: System.CommandLine parses and validates (typed options, <c>--help</c> on every subcommand),
/// and this class keeps the project's contract on top of it: every error is one line on stderr,
/// <c>videoautor1 &lt;command&gt;: &lt;what is wrong&gt;</c>, exit 2 for usage, 1 for anything else, never a stack trace.
/// </summary>
public static class CliApp
{
    public const string Name = "videoautor1";

    /// <summary>Parses <paramref name="args"/> against <paramref name="commands"/> and runs the chosen one.</summary>
    public static async Task<int> RunAsync(string[] args, IReadOnlyList<Command> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var root = new RootCommand("VideoAutoR1 on the command line, with the libraries the service runs.");
        foreach (var subcommand in commands)
        {
            root.Subcommands.Add(subcommand);
        }

        // A video or results path starting with '@' is a path, not a response file.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        var command = parse.CommandResult.Command;
        if (parse.Action is HelpAction)
        {
            return await parse.InvokeAsync().ConfigureAwait(false);
        }

        if (command == root)
        {
            await Console.Error.WriteLineAsync($"usage: {Name} <command> [options]   ({Name} <command> --help for its options)").ConfigureAwait(false);
            foreach (var sub in commands)
            {
                await Console.Error.WriteLineAsync($"  {sub.Name,-13} {sub.Description}").ConfigureAwait(false);
            }

            return 2;
        }

        if (FirstError(parse) is { } usage)
        {
            await Console.Error.WriteLineAsync($"{Name} {command.Name}: {usage}").ConfigureAwait(false);
            return 2;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
        }
        catch (CliUsageException error)
        {
            await Console.Error.WriteLineAsync($"{Name} {command.Name}: {error.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (VideoQaException error)
        {
            await Console.Error.WriteLineAsync($"{Name} {command.Name}: {error.Code}: {error.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // A missing or unreadable input file is the user's problem to fix, not a crash: one line, no stack trace.
            await Console.Error.WriteLineAsync($"{Name} {command.Name}: {error.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (Exception error)
        {
            // A bug rather than bad input, but scripts read stderr line by line: one line naming the exception, exit 1.
            await Console.Error.WriteLineAsync(
                $"{Name} {command.Name}: internal error: {error.GetType().Name}: {error.Message.Split('\n', 2)[0]}").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>The first thing wrong with the command line, in the project's words where it has them.</summary>
    private static string? FirstError(ParseResult parse)
    {
        if (parse.UnmatchedTokens.Count > 0)
        {
            var token = parse.UnmatchedTokens[0];
            return token.StartsWith('-') && token.Length > 1 ? $"unknown option {token}" : $"unexpected argument '{token}'";
        }

        return parse.Errors.Count > 0 ? parse.Errors[0].Message : null;
    }
}

/// <summary>Bad command line found by a command itself: printed as one line, exit code 2.</summary>
public sealed class CliUsageException(string message) : Exception(message);
