using System.Buffers;

namespace VideoAutoR1.Core.Tokenization;

/// <summary>
/// Splits text around added tokens the way Hugging Face's <c>AddedVocabulary</c> does: non-overlapping
/// leftmost-longest matches, with <c>lstrip</c>/<c>rstrip</c> widening a match over adjacent whitespace.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;
    private readonly SearchValues<char> _firstChars;

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        // Longest first, so the first hit at a position is the longest one.
        _byFirstChar = tokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
        _firstChars = SearchValues.Create([.. _byFirstChar.Keys]);
    }

    public bool IsEmpty => _byFirstChar.Count == 0;

    /// <summary>Pieces in order: plain text (<c>Token</c> null) or one added token, each as a range of <paramref name="text"/>.</summary>
    public List<(AddedToken? Token, int Start, int Length)> Split(string text)
    {
        var pieces = new List<(AddedToken?, int, int)>();
        var emitted = 0;
        var search = 0;
        while (search < text.Length)
        {
            var relative = text.AsSpan(search).IndexOfAny(_firstChars);
            if (relative < 0)
            {
                break;
            }

            var position = search + relative;
            var token = LongestAt(text, position);
            if (token is null)
            {
                search = position + 1;
                continue;
            }

            var start = position;
            var stop = position + token.Content.Length;
            search = stop;
            if (token.LStrip)
            {
                while (start > emitted && char.IsWhiteSpace(text[start - 1]))
                {
                    start--;
                }
            }

            if (token.RStrip)
            {
                while (stop < text.Length && char.IsWhiteSpace(text[stop]))
                {
                    stop++;
                }

                search = stop;
            }

            if (start > emitted)
            {
                pieces.Add((null, emitted, start - emitted));
            }

            pieces.Add((token, start, stop - start));
            emitted = stop;
        }

        if (emitted < text.Length)
        {
            pieces.Add((null, emitted, text.Length - emitted));
        }

        return pieces;
    }

    private AddedToken? LongestAt(string text, int position)
    {
        foreach (var token in _byFirstChar[text[position]])
        {
            if (text.AsSpan(position).StartsWith(token.Content, StringComparison.Ordinal))
            {
                return token;
            }
        }

        return null;
    }
}
