using VideoAutoR1.Core.Grammar;
using VideoAutoR1.Core.Tokenization;
using VideoAutoR1.Eval.Grading;
using VideoAutoR1.Model;
using static TorchSharp.torch;

namespace VideoAutoR1.Training;

/// <summary>One sampled completion: its tokens (the end-of-turn token included when produced) and each token's log-prob.</summary>
public sealed record Rollout(int Example, long[] Tokens, float[] LogProbs, string Text);

/// <summary>
/// How a completion fares as the engine would serve it: a1 with its confidence (mean log-prob of the first box's
/// answer span, the engine's rule), whether auto mode at τ would think, and the correctness of a1, a2 and the answer
/// auto mode returns. <see cref="TokensToA1"/> counts the tokens auto mode generates when it exits early.
/// </summary>
public sealed record Outcome(bool A1Correct, bool A2Correct, bool Thinks, bool FinalCorrect, int TokensToA1, int Tokens, double? Iou);

/// <summary>
/// Samples completions through the serving path: a batched prefill into slots of a <see cref="KvCachePool"/>, then
/// one batched <see cref="IVideoLanguageModel.DecodeStep"/> per token over the sequences still running.
/// </summary>
public sealed class RolloutSampler : IDisposable
{
    private readonly Qwen2_5_VLForConditionalGeneration _model;
    private readonly QwenTokenizer _tokenizer;
    private readonly KvCachePool _cache;
    private readonly int _maxNewTokens;
    private readonly HashSet<long> _stop;
    private readonly Tensor _never;

    public RolloutSampler(Qwen2_5_VLForConditionalGeneration model, QwenTokenizer tokenizer, int maxSequences, int maxPromptTokens, int maxNewTokens)
    {
        _model = model;
        _tokenizer = tokenizer;
        _maxNewTokens = maxNewTokens;
        _cache = new KvCachePool(model.Text, maxSequences, maxPromptTokens + maxNewTokens, model.DType);
        _stop = [.. model.EosTokenIds, tokenizer.Special.ImEnd, tokenizer.Special.EndOfText];

        // What a completion may not contain: the vision and other control markers (a sampled <|vision_start|> would
        // open a video block with no video) and the padding rows of the embedding beyond the tokenizer's ids.
        var special = tokenizer.Special;
        var allowed = new HashSet<int> { special.ImEnd, special.EndOfText };
        var never = new float[model.Text.VocabSize];
        for (var id = 0; id < never.Length; id++)
        {
            var control = id >= tokenizer.VocabularySize || (tokenizer.IsSpecial(id) && !allowed.Contains(id));
            never[id] = control || id == special.VisionStart || id == special.VisionEnd || id == special.VideoPad || id == special.ImagePad
                ? float.NegativeInfinity
                : 0f;
        }

        _never = tensor(never).unsqueeze(0);
    }

    public int MaxSequences => _cache.MaxSequences;

    /// <summary>
    /// <paramref name="perExample"/> completions of each example, at <paramref name="temperature"/> (0: greedy).
    /// <paramref name="features"/> are each example's video features (no autograd needed).
    /// </summary>
    public IReadOnlyList<Rollout> Sample(IReadOnlyList<TrainingExample> examples, Tensor[] features, int perExample, double temperature, Generator? generator)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rows = Enumerable.Range(0, examples.Count).SelectMany(e => Enumerable.Repeat(e, perExample)).ToArray();
        if (rows.Length > _cache.MaxSequences)
        {
            throw new ArgumentException($"{rows.Length} sequences exceed the sampler's {_cache.MaxSequences} slots", nameof(perExample));
        }

        var slots = rows.Select(_ => _cache.Rent()).ToArray();
        try
        {
            var prefill = rows.Select((e, i) =>
            {
                var example = examples[e];
                var rope = _model.GetRopeIndex(example.PromptIds, [example.Grid], [example.Video.SecondPerGridT]);
                return new PrefillInput(slots[i], example.PromptIds, features[e], rope);
            }).ToArray();
            var logits = _model.Prefill(prefill, _cache);
            var tokens = rows.Select(_ => new List<long>()).ToArray();
            var logProbs = rows.Select(_ => new List<float>()).ToArray();
            var running = Enumerable.Range(0, rows.Length).ToList();
            for (var step = 0; step < _maxNewTokens && running.Count > 0; step++)
            {
                logits = logits + _never;
                var logp = nn.functional.log_softmax(logits, -1);
                var chosen = temperature == 0
                    ? logp.argmax(-1)
                    : multinomial(nn.functional.softmax(logits / temperature, -1), 1, generator: generator).squeeze(-1);
                var chosenLogp = logp.gather(1, chosen.unsqueeze(-1)).squeeze(-1);
                var ids = chosen.data<long>().ToArray();
                var values = chosenLogp.data<float>().ToArray();
                var next = new List<int>();
                for (var j = 0; j < running.Count; j++)
                {
                    var row = running[j];
                    tokens[row].Add(ids[j]);
                    logProbs[row].Add(values[j]);
                    if (!_stop.Contains(ids[j]))
                    {
                        next.Add(j);
                    }
                }

                if (next.Count == 0 || step == _maxNewTokens - 1)
                {
                    break;
                }

                running = next.Select(j => running[j]).ToList();
                logits = _model.DecodeStep(next.Select(j => ids[j]).ToArray(), running.Select(r => slots[r]).ToArray(), _cache);
            }

            return rows.Select((e, i) => new Rollout(e, [.. tokens[i]], [.. logProbs[i]],
                _tokenizer.Decode(tokens[i].Select(t => (int)t), skipSpecialTokens: true))).ToArray();
        }
        finally
        {
            foreach (var slot in slots)
            {
                _cache.Release(slot);
            }
        }
    }

    /// <summary>Scores a completion as auto mode at <paramref name="threshold"/> would serve it.</summary>
    public Outcome Score(Rollout rollout, TrainingExample example, AnswerGrader grader, double threshold)
    {
        var parser = new IncrementalAnswerParser(_tokenizer);
        FirstBoxClosed? first = null;
        var tokensToA1 = rollout.Tokens.Length;
        for (var i = 0; i < rollout.Tokens.Length; i++)
        {
            foreach (var grammarEvent in parser.Append((int)rollout.Tokens[i]))
            {
                if (grammarEvent is FirstBoxClosed box && first is null)
                {
                    first = box;
                    tokensToA1 = i + 1;
                }
            }
        }

        parser.Complete();
        var answer = parser.Current;
        var confidence = first is { IsFallback: false } ? A1Confidence.LogMean(rollout.LogProbs, first.SpanStart, first.SpanLength) : null;
        var thinks = !A1Confidence.Exits(confidence, threshold);
        var a1 = grader.Grade(example.Question, example.Truth, first?.A1);
        var a2 = grader.Grade(example.Question, example.Truth, answer.A2);
        var final = thinks ? a2 : a1;
        return new Outcome(a1.Score >= 0.5, a2.Score >= 0.5, thinks, final.Score >= 0.5, tokensToA1, rollout.Tokens.Length, final.Iou);
    }

    public void Dispose()
    {
        _never.Dispose();
        _cache.Dispose();
    }
}
