using Microsoft.Extensions.Logging;
using VideoAutoR1.Core.Grammar;

namespace VideoAutoR1.Engine;

/// <summary>
/// The engine thread's loop: let cancelled sequences leave, admit queued requests into free KV-cache slots within the
/// prefill budget, run one batched decode step, repeat; idle, it waits for <see cref="EngineState.Wake"/>. It owns
/// the running batch (nothing here is touched by other threads) and reaches the rest of the engine only through
/// <see cref="EngineState"/>; every request leaves through <see cref="RequestFinisher.Finish"/>.
/// </summary>
internal sealed class Scheduler(EngineState state, EngineModel model, EngineOptions options, EngineMetrics metrics, RequestFinisher finisher, ILogger logger)
{
    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(250);

    private readonly List<Sequence> _running = [];
    private readonly BatchStep _step = new(model);
    private readonly double _kvCapacity = (double)options.MaxBatchSize * options.MaxTokensPerSequence;

    /// <summary>Runs until the drain is over: stopping with nothing left, or the drain budget spent.</summary>
    public void Run()
    {
        while (true)
        {
            state.Beat();
            if (state.Stopping)
            {
                if (_running.Count == 0 && state.Queue.Reader.Count == 0)
                {
                    return;
                }

                if (state.DrainSpent.IsCancellationRequested)
                {
                    AbortAll();
                    return;
                }
            }

            LeaveCancelled();
            Admit();
            if (_running.Count == 0)
            {
                state.IdleProbe?.Invoke();
                state.KvUsage = 0;
                state.Wake.WaitOne(IdleWait);
                continue;
            }

            DecodeStep();
            PublishUsage();
        }
    }

    /// <summary>Fails every running and queued request as shutting down (the drain budget is spent, or the loop ended).</summary>
    public void AbortAll()
    {
        var error = state.ShuttingDown();
        foreach (var sequence in _running.ToArray())
        {
            Leave(sequence);
            finisher.Finish(sequence.Request, RequestOutcome.Cancelled, error);
        }

        while (state.Queue.Reader.TryRead(out var queued))
        {
            finisher.Finish(queued, RequestOutcome.Cancelled, error);
        }
    }

    private void LeaveCancelled()
    {
        for (var i = _running.Count - 1; i >= 0; i--)
        {
            var sequence = _running[i];
            if (sequence.Request.Lifetime.IsCancellationRequested)
            {
                Leave(sequence);
                finisher.Finish(sequence.Request, RequestFinisher.CancelledOutcome(sequence.Request), sequence.Request.CancellationError());
            }
        }
    }

    /// <summary>Takes queued requests into free slots, within the per-step prefill token budget, and prefills them.</summary>
    private void Admit()
    {
        var admitted = new List<EngineRequest>();
        var prefillTokens = 0;
        while (_running.Count + admitted.Count < options.MaxBatchSize && state.Queue.Reader.TryPeek(out var next))
        {
            if (next.IsFinished || next.Lifetime.IsCancellationRequested)
            {
                state.Queue.Reader.TryRead(out _);
                finisher.Finish(next, RequestFinisher.CancelledOutcome(next), next.CancellationError());
                continue;
            }

            if (admitted.Count > 0 && prefillTokens + next.PromptIds.Length > options.MaxPrefillTokensPerStep)
            {
                break;
            }

            state.Queue.Reader.TryRead(out _);
            metrics.Admitted(model.ModelId, next.Mode, next.Clock.Elapsed.TotalSeconds - next.EnqueuedAt);
            next.MarkAdmitted();
            prefillTokens += next.PromptIds.Length;
            admitted.Add(next);
        }

        if (admitted.Count == 0)
        {
            return;
        }

        if (!TryPrefill(admitted))
        {
            // One bad request must not fail the others: retry each alone, fail only those that still throw.
            foreach (var request in admitted)
            {
                TryPrefill([request]);
            }
        }
    }

    /// <summary>
    /// Batched vision tower + prefill of <paramref name="requests"/>, then their first token. On failure the slots
    /// are returned and, for a single request, the request is failed. Returns false when a batch of several failed.
    /// </summary>
    private bool TryPrefill(IReadOnlyList<EngineRequest> requests)
    {
        var slots = new int[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            slots[i] = model.Cache.Rent();
        }

        var admittedAt = requests.Select(r => r.Clock.Elapsed.TotalSeconds).ToArray();

        // One span per request, each covering the whole batched call.
        var spans = requests.Select(r => EngineTracing.StartChild(r.Trace, "videoqa.prefill")).ToArray();
        PrefillOutput output;
        try
        {
            output = _step.Prefill(requests, slots);
        }
        catch (Exception error)
        {
            foreach (var slot in slots)
            {
                model.Cache.Release(slot);
            }

            foreach (var span in spans)
            {
                EngineTracing.StopFailed(span, error);
            }

            if (requests.Count > 1)
            {
                logger.LogWarning(error, "Batched prefill of {Count} requests failed; retrying them one by one", requests.Count);
                return false;
            }

            finisher.Finish(requests[0], RequestOutcome.Failed, error);
            return true;
        }

        for (var i = 0; i < requests.Count; i++)
        {
            if (spans[i] is { IsAllDataRequested: true } span)
            {
                span.SetTag("videoautor1.batch.size", requests.Count);
                span.SetTag("gen_ai.usage.input_tokens", requests[i].PromptIds.Length);
                span.SetTag("videoautor1.visual_tokens", requests[i].VisualTokens);
            }

            EngineTracing.Stop(spans[i]);
        }

        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i];
            var room = options.MaxTokensPerSequence - request.PromptIds.Length;
            var sequence = new Sequence(request, slots[i], new IncrementalAnswerParser(model.Tokenizer), model.StopTokenIds, room)
            {
                QueueSeconds = admittedAt[i] - request.EnqueuedAt,
                VisionSeconds = output.VisionSeconds,
                PrefillSeconds = output.PrefillSeconds,
                DecodeStartUtc = spans[i] is { } span ? EngineTracing.EndTimeUtc(span) : null,
            };
            _running.Add(sequence);
            metrics.BatchChanged(model.ModelId, request.Mode, +1);
            Advance(sequence, output.Tokens[i], output.LogProbs[i]);
        }

        state.RunningCount = _running.Count;
        return true;
    }

    /// <summary>One batched decode step over every running sequence.</summary>
    private void DecodeStep()
    {
        var batch = _running.ToArray();
        if (TryDecode(batch, out var tokens, out var logProbs))
        {
            for (var i = 0; i < batch.Length; i++)
            {
                Advance(batch[i], tokens[i], logProbs[i]);
            }
        }
        else
        {
            // Isolate the failure: step each sequence alone, fail only those that still throw.
            foreach (var sequence in batch)
            {
                if (TryDecode([sequence], out var single, out var singleLogProb))
                {
                    Advance(sequence, single[0], singleLogProb[0]);
                }
            }
        }

        state.RunningCount = _running.Count;
    }

    private bool TryDecode(Sequence[] batch, out long[] tokens, out float[] logProbs)
    {
        try
        {
            (tokens, logProbs) = _step.Decode(batch);
            return true;
        }
        catch (Exception error)
        {
            if (batch.Length == 1)
            {
                Leave(batch[0]);
                finisher.Finish(batch[0].Request, RequestOutcome.Failed, error);
            }
            else
            {
                logger.LogWarning(error, "Batched decode step of {Count} sequences failed; isolating", batch.Length);
            }

            tokens = [];
            logProbs = [];
            return false;
        }
    }

    /// <summary>Feeds a chosen token to the sequence's state machine; finished sequences leave at once.</summary>
    private void Advance(Sequence sequence, long token, float rawLogProb)
    {
        var request = sequence.Request;
        try
        {
            var decision = sequence.Accept(token, rawLogProb, request.Clock.Elapsed.TotalSeconds);
            if (decision is { } d)
            {
                metrics.Decided(model.ModelId, request.Mode, d.EarlyExit, d.Confidence, d.TimeToA1Seconds);
            }

            if (sequence.Phase == SequencePhase.Done)
            {
                Leave(sequence);
                finisher.Finish(request, RequestOutcome.Completed, null, AnswerResults.Of(sequence, model));
            }
        }
        catch (Exception error)
        {
            Leave(sequence);
            finisher.Finish(request, RequestOutcome.Failed, error);
        }
    }

    /// <summary>Takes the sequence out of the batch and gives its cache slot back (once; later calls do nothing).</summary>
    private void Leave(Sequence sequence)
    {
        if (_running.Remove(sequence))
        {
            RecordDecodeSpan(sequence);
            model.Cache.Release(sequence.Slot);
            metrics.BatchChanged(model.ModelId, sequence.Request.Mode, -1);
            state.RunningCount = _running.Count;
        }
    }

    /// <summary>One span for the whole decode phase, recorded after the fact: no per-step tracing cost.</summary>
    private static void RecordDecodeSpan(Sequence sequence)
    {
        if (sequence.DecodeStartUtc is not { } start)
        {
            return;
        }

        var span = EngineTracing.StartChild(sequence.Request.Trace, "videoqa.decode", new DateTimeOffset(start));
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("gen_ai.usage.output_tokens", sequence.Generated.Count);
            if (sequence.StoppedBecause is { } reason)
            {
                span.SetTag("videoautor1.finish_reason", EngineTracing.FinishReasonName(reason));
            }
        }

        EngineTracing.Stop(span);
    }

    private void PublishUsage()
    {
        long held = 0;
        foreach (var sequence in _running)
        {
            held += model.Cache.Length(sequence.Slot);
        }

        state.KvUsage = held / _kvCapacity;
    }
}
