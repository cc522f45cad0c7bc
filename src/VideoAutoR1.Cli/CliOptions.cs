using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace VideoAutoR1.Cli;

/// <summary>
/// Typed options with the project's error sentences (culture-invariant numbers, "--mode must be auto, think or
/// direct, got 'x'"), shared by the subcommands so the same option reads and fails the same way in each.
/// </summary>
public static class CliOptions
{
    /// <summary>A floating-point option; unset is null.</summary>
    public static Option<double?> Number(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result => Parse(result, name, "a number", (string text, out double value) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value)),
    };

    /// <summary>An integer option; unset is null.</summary>
    public static Option<int?> Integer(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result => Parse(result, name, "an integer", (string text, out int value) =>
            int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value)),
    };

    /// <summary>A string option; <paramref name="required"/> makes it mandatory.</summary>
    public static Option<string> Text(string name, string description, bool required = false) => new(name)
    {
        Description = description,
        Required = required,
    };

    /// <summary>A repeatable string option (<c>--name a --name b</c>), in order.</summary>
    public static Option<string[]> Repeated(string name, string description) => new(name)
    {
        Description = description,
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>A switch: present = true.</summary>
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    /// <summary>
    /// One of a fixed set of words, mapped to <typeparamref name="T"/>; unset is <paramref name="unset"/>. Anything
    /// else fails as "--name must be a, b or c, got 'x'".
    /// </summary>
    public static Option<T> Choice<T>(string name, string description, T unset, params (string Word, T Value)[] choices) => new(name)
    {
        Description = description,
        HelpName = string.Join('|', choices.Select(c => c.Word).Distinct()),
        DefaultValueFactory = _ => unset,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            foreach (var (word, value) in choices)
            {
                if (word == text)
                {
                    return value;
                }
            }

            result.AddError($"{name} must be {Words(choices.Select(c => c.Word).Distinct().ToArray())}, got '{text}'");
            return unset;
        },
    };

    /// <summary>--model of the commands that start the engine.</summary>
    public static Option<string> ModelDirectory() => Text("--model", "checkpoint directory; default: the built-in default model");

    /// <summary>--device of the commands that start the engine (Engine:Device).</summary>
    public static Option<string> Device(string description = "torch device, e.g. cuda:0 or cpu (Engine:Device)") => Text("--device", description);

    /// <summary>--dtype of the commands that start the engine (Engine:DType).</summary>
    public static Option<string> DType(string description = "bfloat16, float16 or float32 (Engine:DType)") => Text("--dtype", description);

    /// <summary>The positional argument of a command taking one path (or none, when <paramref name="optional"/>).</summary>
    public static Argument<string?> Path(string name, string description, bool optional = false) => new(name)
    {
        Description = description,
        Arity = optional ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne,
    };

    private delegate bool TryParse<T>(string text, out T value);

    private static T? Parse<T>(ArgumentResult result, string name, string what, TryParse<T> tryParse)
        where T : struct
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (tryParse(text, out var value))
        {
            return value;
        }

        result.AddError($"{name} must be {what}, got '{text}'");
        return null;
    }

    private static string Words(string[] words) =>
        words.Length == 1 ? words[0] : $"{string.Join(", ", words[..^1])} or {words[^1]}";
}
