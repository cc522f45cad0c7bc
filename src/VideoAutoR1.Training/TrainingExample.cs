using Microsoft.Extensions.Options;
using VideoAutoR1.Core;
using VideoAutoR1.Core.Grammar;
using VideoAutoR1.Core.Prompting;
using VideoAutoR1.Core.Tokenization;
using VideoAutoR1.Eval.Grading;
using VideoAutoR1.Media;
using VideoAutoR1.Model;
using VideoAutoR1.World;

namespace VideoAutoR1.Training;

/// <summary>
/// One scene made into model inputs exactly as the engine makes them: the clip through the media pipeline with the
/// model's processor config, the prompt through the engine's prompt builder, and the warm-up completion with a
/// loss weight per token (<see cref="TrainingData.AnswerWeight"/> inside the boxes, 1 elsewhere).
/// </summary>
public sealed record TrainingExample(
    WorldScene Scene,
    GroundTruth Truth,
    PreprocessedVideo Video,
    GridThw Grid,
    long[] PromptIds,
    long[] CompletionIds,
    float[] CompletionWeights)
{
    public QuestionSpec Question => Scene.Spec;

    public int VideoTokens(int mergeSize) => Video.TokenCount(mergeSize);
}

/// <summary>Renders scenes and turns them into <see cref="TrainingExample"/>s.</summary>
public sealed class TrainingData(QwenTokenizer tokenizer, VisionPreprocessing preprocessing, WorldRenderer renderer)
{
    /// <summary>
    /// Loss weight of the tokens inside <c>\boxed{…}</c>. The rest of a completion is mostly template the model copies
    /// after a few steps; the answers are the few tokens that depend on the video, so the warm-up weighs them more.
    /// </summary>
    public const float AnswerWeight = 4f;

    private readonly PromptBuilder _prompts = new(new PromptOptions());

    public async Task<IReadOnlyList<TrainingExample>> PrepareAsync(
        IReadOnlyList<WorldScene> scenes, string clipDirectory, IProgress<int>? progress, CancellationToken ct)
    {
        var paths = await renderer.RenderAllAsync(scenes, clipDirectory, Environment.ProcessorCount, null, ct);
        var media = new MediaOptions { ServerPathRoot = Path.GetFullPath(clipDirectory), MaxConcurrency = Environment.ProcessorCount };
        using var preprocessor = new VideoPreprocessor(Options.Create(media));
        var examples = new TrainingExample[scenes.Count];
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, scenes.Count), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct },
            async (i, token) =>
            {
                var video = await preprocessor.PreprocessAsync(new VideoSource.ServerPath(Path.GetFileName(paths[i])), null, preprocessing, token);
                examples[i] = Make(scenes[i], video);
                progress?.Report(Interlocked.Increment(ref done));
            });
        return examples;
    }

    public TrainingExample Make(WorldScene scene, PreprocessedVideo video)
    {
        var question = scene.Spec;
        var prompt = Array.ConvertAll(_prompts.Encode(question, video.TokenCount(preprocessing.MergeSize), tokenizer), id => (long)id);
        var ids = tokenizer.Encode(scene.Completion);
        var completion = ids.Select(id => (long)id).Append(tokenizer.Special.ImEnd).ToArray();
        return new TrainingExample(scene, GroundTruth.Parse(question, scene.Answer), video,
            new GridThw(video.GridT, video.GridH, video.GridW), prompt, completion, Weights(scene.Completion, ids).Append(1f).ToArray());
    }

    /// <summary><see cref="AnswerWeight"/> for each token that overlaps the content of a box, else 1.</summary>
    private float[] Weights(string completion, int[] ids)
    {
        var inBox = new bool[completion.Length];
        for (var open = completion.IndexOf(AnswerTemplate.BoxOpen, StringComparison.Ordinal); open >= 0;
             open = completion.IndexOf(AnswerTemplate.BoxOpen, open + 1, StringComparison.Ordinal))
        {
            var start = open + AnswerTemplate.BoxOpen.Length;
            var end = completion.IndexOf('}', start);
            for (var i = start; i < end; i++)
            {
                inBox[i] = true;
            }
        }

        var weights = new float[ids.Length];
        var position = 0;
        for (var t = 0; t < ids.Length; t++)
        {
            // World completions are ASCII, so each token decodes to exactly its own characters.
            var length = tokenizer.Decode([ids[t]]).Length;
            weights[t] = Enumerable.Range(position, length).Any(i => i < inBox.Length && inBox[i]) ? AnswerWeight : 1f;
            position += length;
        }

        return weights;
    }

    /// <summary>Every text the model reads or writes for these scenes (the corpus of the compact tokenizer).</summary>
    public static IEnumerable<string> Corpus(IEnumerable<WorldScene> scenes)
    {
        var prompts = new PromptBuilder(new PromptOptions());
        foreach (var scene in scenes)
        {
            yield return prompts.Build(scene.Spec, 0);
            yield return scene.Completion;
        }
    }
}
