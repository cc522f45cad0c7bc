namespace VideoAutoR1.Core.Grammar;

/// <summary>
/// Left-to-right scanner for <c>\boxed{a1}&lt;think&gt;r&lt;/think&gt;\boxed{a2}</c> over text that may still grow.
/// It only commits to what more text cannot change (a marker cut in half at the end is waited for), so feeding the
/// text in any number of pieces gives the same result as feeding it whole.
/// </summary>
internal sealed class AnswerScanner
{
    private enum Phase
    {
        SeekFirstBox,
        InFirstBox,
        SeekThink,
        InThink,
        SeekSecondBox,
        InSecondBox,
        Done,
    }

    private Phase _phase;
    private int _position;
    private int _depth;
    private int _firstBoxStart;
    private int _firstBoxEnd;
    private int _thinkStart;
    private int _rationaleStart;
    private int _rationaleEmitted;
    private int _thinkEnd;
    private int _secondBoxStart;
    private int _secondBoxEnd;
    private string? _a1;
    private string? _a2;

    /// <summary>Where <c>&lt;think&gt;</c> starts, once it has followed the first box: the end of the stage-1 answer.</summary>
    public int? ThinkStart => _phase >= Phase.InThink ? _thinkStart : null;

    /// <summary>Scans as far as <paramref name="text"/> (everything so far) allows, adding what it learned to <paramref name="events"/>.</summary>
    public void Advance(ReadOnlySpan<char> text, List<GrammarEvent> events)
    {
        while (true)
        {
            switch (_phase)
            {
                case Phase.SeekFirstBox when Seek(text, AnswerTemplate.BoxOpen) is { } at:
                    _firstBoxStart = at;
                    OpenBox(at, Phase.InFirstBox);
                    break;
                case Phase.InFirstBox when CloseBox(text) is { } close:
                    _a1 = text[(_firstBoxStart + AnswerTemplate.BoxOpen.Length)..close].ToString();
                    _firstBoxEnd = _position = close + 1;
                    _phase = Phase.SeekThink;
                    events.Add(new FirstBoxClosed(_a1, AnswerTemplate.IsFallback(_a1), 0, 0));
                    break;
                case Phase.SeekThink when Seek(text, AnswerTemplate.ThinkOpen) is { } at:
                    _thinkStart = at;
                    _rationaleStart = _rationaleEmitted = _position = at + AnswerTemplate.ThinkOpen.Length;
                    _phase = Phase.InThink;
                    break;
                case Phase.InThink:
                    var end = Seek(text, AnswerTemplate.ThinkClose);
                    EmitRationale(text, end ?? _position, events);
                    if (end is null)
                    {
                        return;
                    }

                    _thinkEnd = _position = end.Value + AnswerTemplate.ThinkClose.Length;
                    _phase = Phase.SeekSecondBox;
                    break;
                case Phase.SeekSecondBox when Seek(text, AnswerTemplate.BoxOpen) is { } at:
                    _secondBoxStart = at;
                    OpenBox(at, Phase.InSecondBox);
                    break;
                case Phase.InSecondBox when CloseBox(text) is { } close:
                    _a2 = text[(_secondBoxStart + AnswerTemplate.BoxOpen.Length)..close].ToString();
                    _secondBoxEnd = _position = close + 1;
                    _phase = Phase.Done;
                    events.Add(new SecondBoxClosed(_a2));
                    break;
                default:
                    return;
            }
        }
    }

    /// <summary>The text has ended: releases rationale held back in case it was the start of <c>&lt;/think&gt;</c>.</summary>
    public void Finish(ReadOnlySpan<char> text, List<GrammarEvent> events)
    {
        Advance(text, events);
        if (_phase == Phase.InThink)
        {
            EmitRationale(text, text.Length, events);
        }
    }

    /// <summary>The parts found so far and the format verdict as if <paramref name="text"/> ended here.</summary>
    public ParsedAnswer Snapshot(ReadOnlySpan<char> text)
    {
        string? rationale = _phase switch
        {
            < Phase.InThink => null,
            Phase.InThink => text[_rationaleStart..].ToString(),
            _ => text[_rationaleStart..(_thinkEnd - AnswerTemplate.ThinkClose.Length)].ToString(),
        };
        return new ParsedAnswer(_a1, AnswerTemplate.IsFallback(_a1), rationale, _a2, Verdict(text, rationale));
    }

    private AnswerFormat Verdict(ReadOnlySpan<char> text, string? rationale)
    {
        if (_phase <= Phase.InFirstBox)
        {
            return AnswerFormat.NoAnswer;
        }

        if (!PythonText.IsBlank(text[.._firstBoxStart]))
        {
            return AnswerFormat.TextBeforeFirstBox;
        }

        if (_phase == Phase.SeekThink)
        {
            return AnswerFormat.MissingThink;
        }

        if (!PythonText.IsBlank(text[_firstBoxEnd.._thinkStart]))
        {
            return AnswerFormat.TextBetweenParts;
        }

        if (_phase == Phase.InThink)
        {
            return AnswerFormat.UnclosedThink;
        }

        if (PythonText.IsBlank(rationale))
        {
            return AnswerFormat.EmptyThink;
        }

        if (_phase != Phase.Done)
        {
            return AnswerFormat.MissingSecondBox;
        }

        if (!PythonText.IsBlank(text[_thinkEnd.._secondBoxStart]))
        {
            return AnswerFormat.TextBetweenParts;
        }

        return PythonText.IsBlank(text[_secondBoxEnd..]) ? AnswerFormat.WellFormed : AnswerFormat.TextAfterSecondBox;
    }

    private void OpenBox(int at, Phase phase)
    {
        _position = at + AnswerTemplate.BoxOpen.Length;
        _depth = 1;
        _phase = phase;
    }

    /// <summary>
    /// Index of the next <paramref name="marker"/> at or after the scan position, or null. Without a match the scan
    /// position moves to the first place where the text's tail could still be the beginning of the marker.
    /// </summary>
    private int? Seek(ReadOnlySpan<char> text, string marker)
    {
        var found = text[_position..].IndexOf(marker, StringComparison.Ordinal);
        if (found >= 0)
        {
            return _position + found;
        }

        var start = Math.Max(_position, text.Length - marker.Length + 1);
        while (start < text.Length && !marker.AsSpan().StartsWith(text[start..], StringComparison.Ordinal))
        {
            start++;
        }

        _position = start;
        return null;
    }

    /// <summary>Index of the brace that balances the open box, or null (scan position moves to the end).</summary>
    private int? CloseBox(ReadOnlySpan<char> text)
    {
        for (; _position < text.Length; _position++)
        {
            var c = text[_position];
            if (c == '{')
            {
                _depth++;
            }
            else if (c == '}' && --_depth == 0)
            {
                return _position;
            }
        }

        return null;
    }

    private void EmitRationale(ReadOnlySpan<char> text, int end, List<GrammarEvent> events)
    {
        if (end > _rationaleEmitted)
        {
            events.Add(new RationaleDelta(text[_rationaleEmitted..end].ToString()));
            _rationaleEmitted = end;
        }
    }
}
