using TorchSharp;
using VideoAutoR1.Core;
using VideoAutoR1.Core.Prompting;
using VideoAutoR1.Core.Tokenization;
using VideoAutoR1.Media;
using VideoAutoR1.Model;
using static TorchSharp.torch;

namespace VideoAutoR1.Engine.Tests;

/// <summary>One training target: the engine's exact prompt for (question, video) followed by a completion.</summary>
public sealed record TemplateExample(QuestionSpec Question, PreprocessedVideo Video, string Completion);

/// <summary>
/// Teaches a tiny model to emit given completions for given prompts (teacher forcing, cross-entropy on the assistant
/// tokens only, Adam), so engine tests see real log-probabilities from a real forward pass instead of mocked logits.
/// </summary>
public static class TemplateTrainer
{
    public static double Train(
        IVideoLanguageModel model,
        QwenTokenizer tokenizer,
        IReadOnlyList<TemplateExample> examples,
        int steps,
        double learningRate)
    {
        var prompts = new PromptBuilder(new PromptOptions());
        var batch = new List<(Tensor Ids, Tensor Positions, Tensor VideoEmbeds, long PromptLength, Tensor Targets)>();
        using var keep = NewDisposeScope();
        foreach (var example in examples)
        {
            var video = example.Video;
            var grid = new GridThw(video.GridT, video.GridH, video.GridW);
            // The engine's prompt: a Qwen3-VL video (with group timestamps) is one timestamped block per temporal group.
            var prompt = Array.ConvertAll(
                prompts.Encode(example.Question, video.TokenCount(model.SpatialMergeSize), tokenizer, video.GroupTimestamps), id => (long)id);
            var completion = tokenizer.Encode(example.Completion).Select(id => (long)id).Append(tokenizer.Special.ImEnd).ToArray();
            var ids = prompt.Concat(completion).ToArray();
            var rope = model.GetRopeIndex(ids, [grid], [video.SecondPerGridT]);
            var positions = new long[3 * ids.Length];
            for (var row = 0; row < 3; row++)
            {
                for (var i = 0; i < ids.Length; i++)
                {
                    positions[(row * ids.Length) + i] = rope.PositionIds[row, i];
                }
            }

            var pixels = tensor(video.PixelValues, [video.PixelValues.Length / video.PatchDim, video.PatchDim]);
            batch.Add((
                tensor(ids, [1, ids.Length]),
                tensor(positions, [3, 1, ids.Length]),
                model.GetVideoFeatures(pixels, [grid]).detach(),
                prompt.Length,
                tensor(completion)));
        }

        // Softmax over the completions' own tokens plus a fixed sample of other words, the sample's logits raised by
        // ln(others / sampled) so the loss estimates the full softmax over the vocabulary (sampled softmax with the
        // uniform log-Q correction). Projecting every position onto all 151,936 words would dominate the cost.
        var vocabulary = model.Text.VocabSize;
        var hiddenSize = model.Text.HiddenSize;
        var targetIds = batch.SelectMany(b => b.Targets.data<long>().ToArray()).Distinct().Order().ToArray();
        var random = new Random(7);
        var others = Enumerable.Range(0, vocabulary).Select(i => (long)i).Except(targetIds).OrderBy(_ => random.Next()).Take(NegativeSamples).ToArray();
        var candidates = tensor(targetIds.Concat(others).ToArray());
        var correction = cat([zeros(targetIds.Length), full(others.Length, Math.Log((double)(vocabulary - targetIds.Length) / others.Length))]);
        var column = targetIds.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);
        var localTargets = batch.Select(b => tensor(b.Targets.data<long>().ToArray().Select(t => (long)column[t]).ToArray())).ToArray();

        // Which completion-token row each position reads: the tied embedding delta enters the inputs as well.
        var rowsRead = batch.Select(b =>
        {
            var ids = b.Ids.data<long>().ToArray();
            var oneHot = zeros(ids.Length, targetIds.Length);
            for (var i = 0; i < ids.Length; i++)
            {
                if (column.TryGetValue(ids[i], out var c))
                {
                    oneHot[i, c] = 1;
                }
            }

            return oneHot;
        }).ToArray();

        // What learns: the decoder layers, the final norm, and a delta on the embedding rows of the completion tokens
        // (added to the tied weight afterwards). The vision tower stays as initialised, as do all other embedding rows
        // (a dense update of the 151,936-row table would cost more than everything else together).
        var decoder = Decoder.Of(model);
        var module = (nn.Module)model;
        var layers = module.named_parameters()
            .Where(p => p.name.StartsWith(decoder.Prefix + "layers.", StringComparison.Ordinal) || p.name == decoder.Prefix + "norm.weight")
            .Select(p => p.parameter)
            .ToArray();
        foreach (var (_, parameter) in module.named_parameters())
        {
            parameter.requires_grad = layers.Contains(parameter);
        }

        var rowDelta = nn.Parameter(zeros(targetIds.Length, hiddenSize));
        var embedding = decoder.Embed.Weight;
        using var optimizer = optim.Adam(layers.Append(rowDelta), learningRate);
        var loss = double.NaN;
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var outputRows = embedding.index_select(0, candidates) + cat([rowDelta, zeros(others.Length, hiddenSize)]);
            var total = zeros(1);
            for (var i = 0; i < batch.Count; i++)
            {
                var (ids, positions, videoEmbeds, promptLength, _) = batch[i];
                var length = ids.shape[1];
                var isVideo = ids.eq(model.VideoTokenId).unsqueeze(-1).expand(-1, -1, hiddenSize);
                var embeds = decoder.Embed.forward(ids) + rowsRead[i].matmul(rowDelta).unsqueeze(0);
                var causal = full(length, length, float.NegativeInfinity).triu(1).view(1, 1, length, length);
                var hidden = decoder.Forward(embeds, isVideo, videoEmbeds, positions, causal);

                // Position i predicts token i + 1: the completion is predicted from the last prompt position on.
                var predicting = hidden[0, TensorIndex.Slice(promptLength - 1, length - 1)];
                var logits = nn.functional.linear(predicting, outputRows) + correction;
                total = total + nn.functional.cross_entropy(logits, localTargets[i]);
            }

            total = total / batch.Count;
            total.backward();
            optimizer.step();
            loss = total.item<float>();
        }

        using (no_grad())
        {
            embedding.index_add_(0, tensor(targetIds), rowDelta, 1);
            foreach (var (_, parameter) in module.named_parameters())
            {
                parameter.requires_grad = false;
            }
        }

        return loss;
    }

    private const int NegativeSamples = 2048;

    /// <summary>The decoder of either family, fed as the model feeds it (video rows scattered, DeepStack added).</summary>
    private sealed record Decoder(string Prefix, Model.QwenEmbedding Embed, Func<Tensor, Tensor, Tensor, Tensor, Tensor, Tensor> Run)
    {
        public static Decoder Of(IVideoLanguageModel model)
        {
            var root = ((nn.Module)model).named_children().Single(c => c.name == "model").module;
            if (root is Qwen2_5_VLTextModel qwen2)
            {
                return new Decoder("model.", qwen2.EmbedTokens,
                    (embeds, isVideo, features, positions, mask) => qwen2.Forward(embeds.masked_scatter(isVideo, features), positions, mask, cache: null));
            }

            var text = ((Qwen3VLModel)root).LanguageModel;
            return new Decoder("model.language_model.", text.EmbedTokens, (embeds, isVideo, features, positions, mask) =>
            {
                var hidden = embeds.shape[^1];
                var deepstack = Enumerable.Range(1, (int)(features.shape[1] / hidden) - 1)
                    .Select(j => zeros_like(embeds).masked_scatter(isVideo, features.narrow(1, j * hidden, hidden).contiguous()))
                    .ToArray();
                var scattered = embeds.masked_scatter(isVideo, features.narrow(1, 0, hidden).contiguous());
                return text.Forward(scattered, positions, mask, cache: null, new DeepstackInput(deepstack));
            });
        }

        public Tensor Forward(Tensor embeds, Tensor isVideo, Tensor features, Tensor positions, Tensor mask) =>
            Run(embeds, isVideo, features, positions, mask);
    }
}
