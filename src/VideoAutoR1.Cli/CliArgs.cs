namespace VideoAutoR1.Cli;

/// <summary>
/// Minimal <c>--name value</c> / <c>--flag</c> parser shared by the subcommands. Options outside the declared names
/// are refused, so a typo such as <c>--max-new-token</c> is an error rather than silently ignored.
/// </summary>
public sealed class CliArgs
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public CliArgs(IReadOnlyList<string> args, IReadOnlySet<string> optionNames, IReadOnlySet<string> flagNames)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                Positional.Add(arg);
                continue;
            }

            var name = arg[2..];
            if (flagNames.Contains(name))
            {
                _flags.Add(name);
                continue;
            }

            if (!optionNames.Contains(name))
            {
                throw new CliUsageException($"unknown option --{name}");
            }

            if (i + 1 >= args.Count)
            {
                throw new CliUsageException($"option --{name} needs a value");
            }

            if (!_values.TryGetValue(name, out var list))
            {
                _values[name] = list = [];
            }

            list.Add(args[++i]);
        }
    }

    public List<string> Positional { get; } = [];

    public bool Flag(string name) => _flags.Contains(name);

    public string? Optional(string name) => _values.TryGetValue(name, out var list) ? list[^1] : null;

    public string Required(string name) => Optional(name) ?? throw new CliUsageException($"missing required option --{name}");

    /// <summary>All values of a repeatable option, in order.</summary>
    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var list) ? list : [];

    public double? OptionalDouble(string name) =>
        Optional(name) is { } text
            ? double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new CliUsageException($"--{name} must be a number, got '{text}'")
            : null;

    public int? OptionalInt(string name) =>
        Optional(name) is { } text
            ? int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new CliUsageException($"--{name} must be an integer, got '{text}'")
            : null;
}

/// <summary>Bad command line: printed as one line, exit code 2.</summary>
public sealed class CliUsageException(string message) : Exception(message);
