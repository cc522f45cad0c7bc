using System.Diagnostics;
using VideoAutoR1.Media;
using VideoAutoR1.Model;
using static TorchSharp.torch;

namespace VideoAutoR1.Engine;

/// <summary>What one batched prefill produced: the first token of each request and where the time went.</summary>
internal sealed record PrefillOutput(long[] Tokens, float[] LogProbs, double VisionSeconds, double PrefillSeconds);

/// <summary>
/// The tensor work of one engine step, engine thread only: the batched vision tower and prefill of newly admitted
/// requests, and one batched decode step of the running sequences. Each call runs in its own dispose scope, so
/// nothing it allocates outlives it but the KV cache it writes; a failure throws and the scheduler isolates it.
/// </summary>
internal sealed class BatchStep(EngineModel model)
{
    /// <summary>Vision tower over every video of the batch, prefill into <paramref name="slots"/>, first token of each.</summary>
    public PrefillOutput Prefill(IReadOnlyList<EngineRequest> requests, IReadOnlyList<int> slots)
    {
        using var scope = NewDisposeScope();
        var started = Stopwatch.GetTimestamp();
        var videoEmbeds = VisionTower(requests);
        var visionSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        var inputs = new PrefillInput[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i];
            var video = request.Video;
            var positions = video is null
                ? RopeIndex.Sequential(request.PromptIds.Length)
                : model.Network.GetRopeIndex(request.PromptIds, [Grid(video)], [video.SecondPerGridT]);
            inputs[i] = new PrefillInput(slots[i], request.PromptIds, videoEmbeds[i], positions);
        }

        started = Stopwatch.GetTimestamp();
        var logits = model.Network.Prefill(inputs, model.Cache);
        var (tokens, logProbs) = TokenSampler.Choose(logits, requests.Select(r => r.Sampler).ToArray());
        return new PrefillOutput(tokens, logProbs, visionSeconds, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>One decode step: the next token of every sequence of <paramref name="batch"/>.</summary>
    public (long[] Tokens, float[] LogProbs) Decode(IReadOnlyList<Sequence> batch)
    {
        using var scope = NewDisposeScope();
        var logits = model.Network.DecodeStep(batch.Select(s => s.LastToken).ToArray(), batch.Select(s => s.Slot).ToArray(), model.Cache);
        return TokenSampler.Choose(logits, batch.Select(s => s.Request.Sampler).ToArray());
    }

    /// <summary>Runs the vision tower once over every video of the batch and splits the embeddings per request.</summary>
    private Tensor?[] VisionTower(IReadOnlyList<EngineRequest> requests)
    {
        var embeds = new Tensor?[requests.Count];
        var withVideo = Enumerable.Range(0, requests.Count).Where(i => requests[i].Video is not null).ToArray();
        if (withVideo.Length == 0)
        {
            return embeds;
        }

        var pixels = cat(withVideo.Select(i => PixelTensor(requests[i].Video!)).ToArray(), 0);
        var features = model.Network.GetVideoFeatures(pixels, withVideo.Select(i => Grid(requests[i].Video!)).ToArray());
        var parts = features.split(withVideo.Select(i => (long)requests[i].VisualTokens).ToArray(), 0);
        for (var k = 0; k < withVideo.Length; k++)
        {
            embeds[withVideo[k]] = parts[k];
        }

        return embeds;
    }

    private Tensor PixelTensor(PreprocessedVideo video) =>
        tensor(video.PixelValues, [video.PixelValues.Length / video.PatchDim, video.PatchDim])
            .to(model.DType, model.Device);

    private static GridThw Grid(PreprocessedVideo video) => new(video.GridT, video.GridH, video.GridW);
}
