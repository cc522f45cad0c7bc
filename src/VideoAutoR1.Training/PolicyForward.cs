using VideoAutoR1.Model;
using static TorchSharp.torch;

namespace VideoAutoR1.Training;

/// <summary>
/// Teacher-forced passes over prompt + completion rows: the log-probability of each completion token under the
/// model, with autograd when the caller is not under <c>no_grad</c>.
/// </summary>
internal static class PolicyForward
{
    /// <summary>
    /// Rows of (example, completion ids); <paramref name="videoFeatures"/> are each row's video features in row order.
    /// Returns token log-probs [B, L-1] (position i scores token i+1) and the mask [B, L-1] of completion tokens,
    /// holding each token's weight where <paramref name="weights"/> are given (one per completion token), else 1.
    /// </summary>
    public static (Tensor LogProbs, Tensor Mask) CompletionLogProbs(
        Qwen2_5_VLForConditionalGeneration model, IReadOnlyList<(TrainingExample Example, long[] Completion)> rows, Tensor videoFeatures, long padId,
        IReadOnlyList<float[]>? weights = null)
    {
        var lengths = rows.Select(r => r.Example.PromptIds.Length + r.Completion.Length).ToArray();
        var width = lengths.Max();
        var ids = new long[rows.Count * width];
        var positions = new long[3 * rows.Count * width];
        var attention = new long[rows.Count * width];
        var mask = new float[rows.Count * (width - 1)];
        Array.Fill(ids, padId);
        for (var b = 0; b < rows.Count; b++)
        {
            var (example, completion) = rows[b];
            var sequence = example.PromptIds.Concat(completion).ToArray();
            Array.Copy(sequence, 0, ids, b * width, sequence.Length);
            var rope = model.GetRopeIndex(sequence, [example.Grid], [example.Video.SecondPerGridT]);
            for (var row = 0; row < 3; row++)
            {
                for (var i = 0; i < sequence.Length; i++)
                {
                    positions[((row * rows.Count) + b) * width + i] = rope.PositionIds[row, i];
                }
            }

            Array.Fill(attention, 1, b * width, sequence.Length);
            var first = (b * (width - 1)) + example.PromptIds.Length - 1;
            if (weights is null)
            {
                Array.Fill(mask, 1f, first, completion.Length);
            }
            else
            {
                Array.Copy(weights[b], 0, mask, first, completion.Length);
            }
        }

        using var scope = NewDisposeScope();
        var idTensor = tensor(ids, [rows.Count, width]);
        var logits = model.ForwardLogits(idTensor, tensor(positions, [3, rows.Count, width]), tensor(attention, [rows.Count, width]), videoFeatures);
        var logProbs = nn.functional.log_softmax(logits.narrow(1, 0, width - 1), -1)
            .gather(2, idTensor.narrow(1, 1, width - 1).unsqueeze(-1)).squeeze(-1);
        return (logProbs.MoveToOuterDisposeScope(), tensor(mask, [rows.Count, width - 1]).MoveToOuterDisposeScope());
    }

    /// <summary>Video features of each example, concatenated in order; trainable runs the vision tower with autograd.</summary>
    public static Tensor VideoFeatures(Qwen2_5_VLForConditionalGeneration model, IReadOnlyList<TrainingExample> examples, bool trainable)
    {
        using var scope = NewDisposeScope();
        var pixels = cat(examples.Select(e => tensor(e.Video.PixelValues, [e.Video.PixelValues.Length / e.Video.PatchDim, e.Video.PatchDim])).ToArray());
        var grids = examples.Select(e => e.Grid).ToArray();
        var features = trainable ? model.GetTrainableVideoFeatures(pixels, grids) : model.GetVideoFeatures(pixels, grids);
        return features.MoveToOuterDisposeScope();
    }

    /// <summary>Each example's rows of <paramref name="features"/>, as produced by <see cref="VideoFeatures"/>.</summary>
    public static Tensor[] Split(Tensor features, IReadOnlyList<TrainingExample> examples, int mergeSize) =>
        features.split(examples.Select(e => (long)e.VideoTokens(mergeSize)).ToArray(), 0);
}
