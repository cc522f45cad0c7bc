using System.Diagnostics;
using System.Text.Json;
using VideoAutoR1.Core;
using VideoAutoR1.Core.Tokenization;
using VideoAutoR1.Eval.Grading;
using VideoAutoR1.Media;
using VideoAutoR1.Model;
using VideoAutoR1.World;
using static TorchSharp.torch;

namespace VideoAutoR1.Training;

/// <summary>Where training stands, for a progress display.</summary>
/// <param name="Detail">Validation passes: the auto-mode accuracy of each family.</param>
public sealed record TrainingStatus(string Phase, int Step, int Steps, string Metric, double? Value, double? ValidationAccuracy, string? Detail = null);

/// <summary>What a finished run measured.</summary>
/// <param name="InitialReward">Mean dual-answer reward of the greedy completions of the validation clips before training.</param>
/// <param name="FinalReward">The same after training.</param>
public sealed record TrainingResult(string ModelDirectory, int VocabularySize, long Parameters, double Seconds,
    IReadOnlyDictionary<string, double> ValidationAccuracy, double ValidationThinkRatio, double InitialReward, double FinalReward);

/// <summary>
/// Trains a VideoAuto-R1 miniature on the synthetic world: a supervised warm-up on the answer → think → answer
/// template, then GRPO with the dual-answer reward (group-normalised advantages, KL to the warm-up model), rollouts
/// sampled through the batched KV-cache prefill/decode the engine serves with. Writes a Hugging Face model
/// directory (<c>model/</c>), the learning curves and <c>training.json</c> under the output directory.
/// </summary>
public sealed class Trainer(TrainingOptions options, string tokenizerSource, WorldRenderer renderer)
{
    public const string ModelFolder = "model";

    public async Task<TrainingResult> RunAsync(string outputDirectory, IProgress<TrainingStatus>? progress, CancellationToken ct)
    {
        options.Validate();
        set_num_threads(options.TorchThreads);
        var clock = Stopwatch.StartNew();
        var modelDirectory = Path.Combine(outputDirectory, ModelFolder);
        Directory.CreateDirectory(modelDirectory);

        var train = WorldGenerator.Generate(WorldSplit.Train, options.TrainPerFamily, options.Seed);
        var validation = WorldGenerator.Generate(WorldSplit.Validation, options.ValidationPerFamily, options.Seed);

        int vocabulary;
        if (options.InitFrom is { } init)
        {
            foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json", VisionPreprocessing.FileName, VisionPreprocessing.VideoFileName })
            {
                File.Copy(Path.Combine(init, file), Path.Combine(modelDirectory, file), overwrite: true);
            }

            vocabulary = QwenTokenizer.Load(modelDirectory).VocabularySize;
        }
        else
        {
            // The vocabulary covers the world's texts (questions, options, rationales); other text still encodes byte by byte.
            var corpusScenes = WorldGenerator.Generate(WorldSplit.Train, Math.Max(200, options.TrainPerFamily), options.Seed + 1).Concat(train);
            vocabulary = CompactTokenizer.Write(tokenizerSource, TrainingData.Corpus(corpusScenes), modelDirectory);
            options.Recipe.WriteProcessorConfigs(modelDirectory);
        }

        var tokenizer = QwenTokenizer.Load(modelDirectory);
        var preprocessing = VisionPreprocessing.Load(modelDirectory, VideoProcessorKind.Qwen2VL);

        progress?.Report(new TrainingStatus("render", 0, train.Count + validation.Count, "clips", null, null));
        var data = new TrainingData(tokenizer, preprocessing, renderer);
        var clips = Path.Combine(outputDirectory, "clips");
        var trainExamples = await data.PrepareAsync(train, clips,
            new Progress<int>(n => progress?.Report(new TrainingStatus("render", n, train.Count + validation.Count, "clips", n, null))), ct);
        var validationExamples = await data.PrepareAsync(validation, clips, null, ct);

        using var model = options.InitFrom is { } from
            ? Qwen2_5_VLForConditionalGeneration.Load(from, new ModelLoadOptions())
            : Qwen2_5_VLForConditionalGeneration.CreateRandom(options.Recipe.CreateConfig(tokenizer), options.Seed, new ModelLoadOptions());
        var parameters = ((nn.Module)model).parameters().Sum(p => p.numel());
        var run = new TrainingRun(model, tokenizer, options, trainExamples, validationExamples, progress);
        var initial = run.Validate(0);
        run.Warmup(ct);

        // Saved after each phase, so a run stopped during GRPO keeps its warm-up.
        model.Save(modelDirectory);
        run.Grpo(ct);
        var final = run.Validate(options.WarmupSteps + options.GrpoSteps);

        model.Save(modelDirectory);
        run.Curves.Save(outputDirectory);
        var result = new TrainingResult(modelDirectory, vocabulary, parameters, clock.Elapsed.TotalSeconds, final.PerFamily, final.Point.ThinkRatio,
            initial.Point.Reward!.Value, final.Point.Reward!.Value);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, "training.json"),
            JsonSerializer.Serialize(new { options, result, train = train.Count, validation = validation.Count }, new JsonSerializerOptions { WriteIndented = true }), ct);
        return result;
    }
}

/// <summary>The state of one run: the model, its data, the optimiser steps of both phases and the validation passes.</summary>
internal sealed class TrainingRun(
    Qwen2_5_VLForConditionalGeneration model,
    QwenTokenizer tokenizer,
    TrainingOptions options,
    IReadOnlyList<TrainingExample> train,
    IReadOnlyList<TrainingExample> validation,
    IProgress<TrainingStatus>? progress)
{
    private readonly Random _random = new(options.Seed);
    private readonly Generator _generator = new((ulong)options.Seed);
    private readonly AnswerGrader _grader = new();
    private readonly DualAnswerReward _reward = new();
    private readonly int _merge = model.SpatialMergeSize;
    private double? _lastValidation;
    private (CurvePoint Point, IReadOnlyDictionary<string, double> PerFamily)? _lastPass;

    public TrainingCurves Curves { get; } = new();

    public void Warmup(CancellationToken ct)
    {
        if (options.WarmupSteps == 0)
        {
            return;
        }

        var parameters = Trainable(vision: true);
        using var optimizer = optim.AdamW(parameters, options.WarmupLearningRate, weight_decay: 0.01);
        var order = new Queue<int>();
        for (var step = 1; step <= options.WarmupSteps; step++)
        {
            ct.ThrowIfCancellationRequested();
            if (order.Count < options.WarmupBatch)
            {
                foreach (var i in Enumerable.Range(0, train.Count).OrderBy(_ => _random.Next()))
                {
                    order.Enqueue(i);
                }
            }

            var batch = Enumerable.Range(0, Math.Min(options.WarmupBatch, train.Count)).Select(_ => train[order.Dequeue()]).ToArray();
            SetLearningRate(optimizer, Cosine(options.WarmupLearningRate, step, options.WarmupSteps));
            double loss;
            using (var scope = NewDisposeScope())
            {
                optimizer.zero_grad();
                var features = PolicyForward.VideoFeatures(model, batch, trainable: true);
                var (logProbs, mask) = PolicyForward.CompletionLogProbs(model, batch.Select(e => (e, e.CompletionIds)).ToArray(), features,
                    tokenizer.Special.EndOfText, batch.Select(e => e.CompletionWeights).ToArray());
                var total = -(logProbs * mask).sum() / mask.sum();
                total.backward();
                nn.utils.clip_grad_norm_(parameters, 1.0);
                optimizer.step();
                loss = total.item<float>();
            }

            Curves.Add(new CurvePoint("warmup", step, loss, null, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN));
            progress?.Report(new TrainingStatus("warm-up", step, options.WarmupSteps, "loss", loss, _lastValidation));
            if (step % options.EvaluateEvery == 0 || step == options.WarmupSteps)
            {
                Validate(step);
            }
        }
    }

    public void Grpo(CancellationToken ct)
    {
        if (options.GrpoSteps == 0)
        {
            return;
        }

        using var reference = Snapshot();
        var parameters = Trainable(vision: false);
        using var optimizer = optim.AdamW(parameters, options.GrpoLearningRate, weight_decay: 0.0);
        var maxPrompt = train.Max(e => e.PromptIds.Length);
        using var sampler = new RolloutSampler(model, tokenizer, options.GrpoPrompts * options.Rollouts, maxPrompt, options.MaxNewTokens);
        for (var step = 1; step <= options.GrpoSteps; step++)
        {
            ct.ThrowIfCancellationRequested();
            var prompts = Enumerable.Range(0, options.GrpoPrompts).Select(_ => train[_random.Next(train.Count)]).ToArray();
            using var scope = NewDisposeScope();
            var features = PolicyForward.Split(PolicyForward.VideoFeatures(model, prompts, trainable: false), prompts, _merge);
            var rollouts = sampler.Sample(prompts, features, options.Rollouts, options.Temperature, _generator);
            var rewards = rollouts.Select(r => _reward.Compute(r.Text, prompts[r.Example].Truth).Total).ToArray();
            var advantages = Advantages(rewards, options.Rollouts);
            var outcomes = rollouts.Select(r => sampler.Score(r, prompts[r.Example], _grader, options.Threshold)).ToArray();

            optimizer.zero_grad();
            var learning = Enumerable.Range(0, rollouts.Count).Where(i => advantages[i] != 0).ToArray();
            if (learning.Length > 0)
            {
                var rows = learning.Select(i => (prompts[rollouts[i].Example], rollouts[i].Tokens)).ToArray();
                var rowFeatures = cat(learning.Select(i => features[rollouts[i].Example]).ToArray());
                var (logProbs, mask) = PolicyForward.CompletionLogProbs(model, rows, rowFeatures, tokenizer.Special.EndOfText);
                Tensor referenceLogProbs;
                using (no_grad())
                {
                    referenceLogProbs = PolicyForward.CompletionLogProbs(reference, rows, rowFeatures, tokenizer.Special.EndOfText).LogProbs;
                }

                // GRPO on-policy (one update per batch of rollouts, so the PPO ratio is 1 and its clip inactive) with
                // the k3 estimate of KL(π‖π_ref) per token; each sequence's tokens are averaged, then the sequences.
                var advantage = tensor(learning.Select(i => (float)advantages[i]).ToArray()).unsqueeze(1);
                var ratio = (logProbs - logProbs.detach()).exp();
                var delta = referenceLogProbs - logProbs;
                var kl = delta.exp() - delta - 1;
                var perToken = -(ratio * advantage - options.KlBeta * kl);
                var loss = ((perToken * mask).sum(1) / mask.sum(1)).mean();
                loss.backward();
                nn.utils.clip_grad_norm_(parameters, 1.0);
                optimizer.step();
            }

            var reward = rewards.Average();
            var globalStep = options.WarmupSteps + step;
            Curves.Add(Point("grpo", globalStep, reward, outcomes));
            progress?.Report(new TrainingStatus("GRPO", step, options.GrpoSteps, "reward", reward, _lastValidation));
            if (step % Math.Max(1, options.EvaluateEvery / 5) == 0 || step == options.GrpoSteps)
            {
                Validate(globalStep);
            }
        }
    }

    /// <summary>Greedy completions of the validation clips, scored as auto mode at τ serves them.</summary>
    public (CurvePoint Point, IReadOnlyDictionary<string, double> PerFamily) Validate(int step)
    {
        if (_lastPass is { } last && last.Point.Step == step)
        {
            return last;
        }

        var outcomes = new Outcome[validation.Count];
        var rewards = new double[validation.Count];
        var batch = Math.Max(1, Math.Min(32, validation.Count));
        var maxPrompt = validation.Max(e => e.PromptIds.Length);
        using (var sampler = new RolloutSampler(model, tokenizer, batch, maxPrompt, options.MaxNewTokens))
        {
            for (var start = 0; start < validation.Count; start += batch)
            {
                using var scope = NewDisposeScope();
                var examples = validation.Skip(start).Take(batch).ToArray();
                var features = PolicyForward.Split(PolicyForward.VideoFeatures(model, examples, trainable: false), examples, _merge);
                var rollouts = sampler.Sample(examples, features, 1, 0, null);
                for (var i = 0; i < rollouts.Count; i++)
                {
                    outcomes[start + i] = sampler.Score(rollouts[i], examples[i], _grader, options.Threshold);
                    rewards[start + i] = _reward.Compute(rollouts[i].Text, examples[i].Truth).Total;
                }
            }
        }

        var point = Point("validation", step, rewards.Average(), outcomes);
        Curves.Add(point);
        _lastValidation = point.FinalAccuracy;
        var perFamily = validation.Select((e, i) => (Family: e.Scene.Family.ToString().ToLowerInvariant(), outcomes[i].FinalCorrect))
            .GroupBy(p => p.Family).ToDictionary(g => g.Key, g => g.Average(p => p.FinalCorrect ? 1.0 : 0.0));
        progress?.Report(new TrainingStatus("validation", step, step, "accuracy", point.FinalAccuracy, point.FinalAccuracy,
            string.Join(", ", perFamily.Select(p => FormattableString.Invariant($"{p.Key} {100 * p.Value:0}%")))
            + FormattableString.Invariant($"; think ratio {100 * point.ThinkRatio:0}%, reward {point.Reward:0.00}")));
        _lastPass = (point, perFamily);
        return _lastPass.Value;
    }

    private static CurvePoint Point(string phase, int step, double? reward, IReadOnlyList<Outcome> outcomes) => new(
        phase, step, null, reward,
        outcomes.Average(o => o.A1Correct ? 1.0 : 0.0),
        outcomes.Average(o => o.A2Correct ? 1.0 : 0.0),
        outcomes.Average(o => o.FinalCorrect ? 1.0 : 0.0),
        outcomes.Average(o => o.Thinks ? 1.0 : 0.0),
        outcomes.Average(o => o.Thinks ? o.Tokens : o.TokensToA1));

    /// <summary>(r − mean of its group) / (std of its group + 1e-4), groups of <paramref name="groupSize"/> in order.</summary>
    public static double[] Advantages(IReadOnlyList<double> rewards, int groupSize)
    {
        var advantages = new double[rewards.Count];
        for (var start = 0; start < rewards.Count; start += groupSize)
        {
            var group = rewards.Skip(start).Take(groupSize).ToArray();
            var mean = group.Average();
            var std = Math.Sqrt(group.Sum(r => (r - mean) * (r - mean)) / Math.Max(1, group.Length - 1));
            for (var i = 0; i < group.Length; i++)
            {
                advantages[start + i] = (group[i] - mean) / (std + 1e-4);
            }
        }

        return advantages;
    }

    /// <summary>The parameters a phase trains (the paper's RL keeps the vision encoder frozen), with grad enabled only on them.</summary>
    private TorchSharp.Modules.Parameter[] Trainable(bool vision)
    {
        var module = (nn.Module)model;
        var chosen = new List<TorchSharp.Modules.Parameter>();
        foreach (var (name, parameter) in module.named_parameters())
        {
            var train = vision || !name.StartsWith("visual.", StringComparison.Ordinal);
            parameter.requires_grad = train;
            if (train)
            {
                chosen.Add(parameter);
            }
        }

        return [.. chosen];
    }

    /// <summary>A frozen copy of the current weights (the KL reference).</summary>
    private Qwen2_5_VLForConditionalGeneration Snapshot()
    {
        var copy = Qwen2_5_VLForConditionalGeneration.CreateRandom(model.Config, 0, model.Options);
        using var noGrad = no_grad();
        var source = ((nn.Module)model).named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in ((nn.Module)copy).named_parameters())
        {
            parameter.requires_grad = false;
            parameter.copy_(source[name]);
        }

        return copy;
    }

    private static double Cosine(double peak, int step, int steps)
    {
        var warm = Math.Max(1, steps / 20);
        return step <= warm ? peak * step / warm : peak * (0.1 + (0.9 * 0.5 * (1 + Math.Cos(Math.PI * (step - warm) / Math.Max(1, steps - warm)))));
    }

    private static void SetLearningRate(optim.Optimizer optimizer, double rate)
    {
        foreach (var group in optimizer.ParamGroups)
        {
            group.LearningRate = rate;
        }
    }
}
