using System.Runtime.InteropServices;
using System.Text;
using VideoAutoR1.Core.Tokenization;

namespace VideoAutoR1.Core.Grammar;

/// <summary>
/// Follows one generated sequence token by token. It decodes the tokens itself (special tokens skipped, as the
/// reference decodes; UTF-8 characters split across byte-level tokens are held until complete) and reports when the
/// first box closes (with the confidence span, see <see cref="FirstBoxClosed"/> for when that is), rationale text as
/// it arrives, when the second box closes, and the end. Appending every token and then <see cref="Complete"/> gives the same <see cref="Current"/> as
/// <see cref="AnswerParser.Parse"/> on the decoded text. Not thread-safe: one instance per sequence.
/// </summary>
public sealed class IncrementalAnswerParser(QwenTokenizer tokenizer)
{
    private readonly QwenTokenizer _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private readonly List<int> _ids = [];
    private readonly List<char> _text = [];
    private readonly AnswerScanner _scanner = new();
    private FirstBoxClosed? _unsettled;
    private bool _completed;

    /// <summary>The parts found so far, with the format verdict as if the output ended here.</summary>
    public ParsedAnswer Current => _scanner.Snapshot(Text);

    /// <summary>Decoded text so far (special tokens skipped).</summary>
    public string DecodedText => new(Text);

    /// <summary>Tokens appended so far; <see cref="FirstBoxClosed.SpanStart"/> indexes this sequence.</summary>
    public int TokenCount => _ids.Count;

    public bool IsCompleted => _completed;

    private ReadOnlySpan<char> Text => CollectionsMarshal.AsSpan(_text);

    /// <summary>Feeds one generated token. An end-of-sequence token completes the sequence; tokens after completion are ignored.</summary>
    public IReadOnlyList<GrammarEvent> Append(int tokenId)
    {
        if (_completed)
        {
            return [];
        }

        _ids.Add(tokenId);
        var special = _tokenizer.Special;
        if (tokenId == special.ImEnd || tokenId == special.EndOfText || tokenId == _tokenizer.EndOfSequence)
        {
            return Complete();
        }

        if (_tokenizer.TokenBytes(tokenId, skipSpecialTokens: true) is not { } bytes)
        {
            return [];
        }

        Decode(bytes, flush: false);
        var events = new List<GrammarEvent>();
        _scanner.Advance(Text, events);
        SettleConfidenceSpan(events, _scanner.ThinkStart);
        return events;
    }

    /// <summary>Ends the sequence (also for truncation by a token limit): flushes held bytes and rationale.</summary>
    public IReadOnlyList<GrammarEvent> Complete()
    {
        if (_completed)
        {
            return [];
        }

        _completed = true;
        Decode([], flush: true);
        var events = new List<GrammarEvent>();
        _scanner.Finish(Text, events);
        SettleConfidenceSpan(events, _scanner.ThinkStart ?? _text.Count);
        events.Add(new Completed(Current));
        return events;
    }

    private void Decode(byte[] bytes, bool flush)
    {
        var count = _utf8.GetCharCount(bytes, flush);
        Span<char> chars = count <= 256 ? stackalloc char[count] : new char[count];
        _utf8.GetChars(bytes, chars, flush);
        _text.AddRange(chars);
    }

    /// <summary>
    /// Gives the first box its confidence span. The reference computes it over the stage-1 tokens, which run up to
    /// <c>&lt;think&gt;</c>; most spans are settled when the box closes and are reported then, the rest (content whose
    /// tokens merged with what follows, e.g. <c>]}</c>) are reported once <paramref name="stageOneEnd"/> is known.
    /// </summary>
    private void SettleConfidenceSpan(List<GrammarEvent> events, int? stageOneEnd)
    {
        var index = events.FindIndex(e => e is FirstBoxClosed);
        if (index >= 0)
        {
            _unsettled = (FirstBoxClosed)events[index];
            events.RemoveAt(index);
            if (ConfidenceSpan.FindSettled(_tokenizer, _ids, _unsettled.A1) is var (start, length))
            {
                events.Insert(index, _unsettled with { SpanStart = start, SpanLength = length });
                _unsettled = null;
                return;
            }
        }

        if (_unsettled is not null && stageOneEnd is { } end)
        {
            var (start, length) = ConfidenceSpan.Find(_tokenizer, _ids, _unsettled.A1, new string(Text[..end]));
            events.Insert(Math.Max(index, 0), _unsettled with { SpanStart = start, SpanLength = length });
            _unsettled = null;
        }
    }
}
