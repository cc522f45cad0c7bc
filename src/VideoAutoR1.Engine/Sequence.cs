using VideoAutoR1.Core.Grammar;

namespace VideoAutoR1.Engine;

/// <summary>
/// One running request on the engine thread: its KV-cache slot, generated tokens with their raw log-probabilities,
/// and the decision state machine fed by the incremental output parser (docs/specs/videoauto-r1.md §3).
/// </summary>
internal sealed class Sequence
{
    private readonly IncrementalAnswerParser _parser;
    private readonly IReadOnlySet<long> _stopTokenIds;
    private readonly List<int> _generated = [];
    private readonly List<float> _logProbs = [];
    private readonly System.Text.StringBuilder _rationale = new();

    private readonly int _maxNewTokens;

    /// <param name="cacheRoom">Tokens left in the slot after the prompt: generation is clipped to it.</param>
    public Sequence(EngineRequest request, int slot, IncrementalAnswerParser parser, IReadOnlySet<long> stopTokenIds, int cacheRoom)
    {
        Request = request;
        Slot = slot;
        _parser = parser;
        _stopTokenIds = stopTokenIds;
        _maxNewTokens = Math.Min(request.Resolved.MaxNewTokens, cacheRoom);
    }

    public EngineRequest Request { get; }

    public int Slot { get; }

    public double QueueSeconds { get; init; }

    public double VisionSeconds { get; init; }

    public double PrefillSeconds { get; init; }

    /// <summary>When the prefill span ended (UTC); null when the request is not traced.</summary>
    public DateTime? DecodeStartUtc { get; init; }

    public SequencePhase Phase { get; private set; } = SequencePhase.Answer1;

    /// <summary>Why generation stopped; null while it runs.</summary>
    public FinishReason? StoppedBecause { get; private set; }

    /// <summary>The token the next decode step feeds back.</summary>
    public long LastToken { get; private set; }

    public IReadOnlyList<int> Generated => _generated;

    public string? A1 { get; private set; }

    public bool A1IsFallback { get; private set; }

    public double? A1LogConfidence { get; private set; }

    public double? TimeToA1 { get; private set; }

    /// <summary>Generated tokens when the first box closed (the decision point); null before.</summary>
    public int? TokensToA1 { get; private set; }

    public string? A2 { get; private set; }

    public bool Thought { get; private set; }

    public string? Rationale => Thought ? _rationale.ToString() : null;

    /// <summary>
    /// Takes the token just chosen and its raw log-probability; advances the state machine and publishes events.
    /// Returns the decision when the first box closed on this token (for metrics), else null.
    /// </summary>
    public A1Decision? Accept(long token, float rawLogProb, double elapsedSeconds)
    {
        LastToken = token;
        _generated.Add((int)token);
        _logProbs.Add(rawLogProb);

        var isStop = _stopTokenIds.Contains(token);
        var decision = Handle(isStop ? _parser.Complete() : _parser.Append((int)token), elapsedSeconds);
        if (Phase != SequencePhase.Done && isStop)
        {
            Stop(FinishReason.Stop);
        }
        else if (Phase != SequencePhase.Done && _generated.Count >= _maxNewTokens)
        {
            // Truncated: flush held-back rationale text before ending.
            Handle(_parser.Complete(), elapsedSeconds);
            if (Phase != SequencePhase.Done)
            {
                Stop(FinishReason.Length);
            }
        }

        return decision;
    }

    private A1Decision? Handle(IReadOnlyList<GrammarEvent> events, double elapsedSeconds)
    {
        A1Decision? decision = null;
        foreach (var grammarEvent in events)
        {
            switch (grammarEvent)
            {
                case FirstBoxClosed first when Phase == SequencePhase.Answer1:
                    decision = Decide(first, elapsedSeconds);
                    break;
                case RationaleDelta delta when Phase == SequencePhase.Thinking:
                    _rationale.Append(delta.Text);
                    Request.Publish(new AnswerEvent.RationaleDelta(delta.Text));
                    break;
                case SecondBoxClosed second when Phase == SequencePhase.Thinking:
                    A2 = second.A2;
                    Request.Publish(new AnswerEvent.A2Decided(second.A2));
                    Stop(FinishReason.Stop);
                    break;
            }

            if (Phase == SequencePhase.Done)
            {
                break;
            }
        }

        return decision;
    }

    private A1Decision Decide(FirstBoxClosed first, double elapsedSeconds)
    {
        A1 = first.A1;
        A1IsFallback = first.IsFallback;
        TimeToA1 = elapsedSeconds;
        TokensToA1 = _generated.Count;

        // The fallback string and a box whose answer span could not be located carry no confidence: always think.
        if (!first.IsFallback)
        {
            A1LogConfidence = A1Confidence.LogMean(_logProbs, first.SpanStart, first.SpanLength);
        }

        var request = Request.Resolved;
        var exit = request.Mode switch
        {
            AnswerMode.Direct => true,
            AnswerMode.Think => false,
            _ => A1Confidence.Exits(A1LogConfidence, request.Threshold),
        };

        Request.Publish(new AnswerEvent.A1Decided(first.A1, A1LogConfidence, first.IsFallback, WillThink: !exit));
        if (exit)
        {
            Stop(FinishReason.EarlyExit);
        }
        else
        {
            Thought = true;
            Phase = SequencePhase.Thinking;
        }

        return new A1Decision(EarlyExit: exit, Confidence: A1Confidence.Value(A1LogConfidence), elapsedSeconds);
    }

    private void Stop(FinishReason reason)
    {
        Phase = SequencePhase.Done;
        StoppedBecause = reason;
    }
}

/// <summary>What the first box's close decided, for metrics.</summary>
internal readonly record struct A1Decision(bool EarlyExit, double? Confidence, double TimeToA1Seconds);
