namespace VideoAutoR1.Core.Grammar;

/// <summary>Parses a complete output (see <see cref="ParsedAnswer"/>); never throws for any text.</summary>
public static class AnswerParser
{
    public static ParsedAnswer Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var scanner = new AnswerScanner();
        scanner.Finish(text, []);
        return scanner.Snapshot(text);
    }
}
