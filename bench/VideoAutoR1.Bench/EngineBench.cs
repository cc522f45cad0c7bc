using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using VideoAutoR1.Core;
using VideoAutoR1.Core.Prompting;
using VideoAutoR1.Core.Tokenization;
using VideoAutoR1.Engine;
using VideoAutoR1.Engine.Tests;
using VideoAutoR1.Media;
using VideoAutoR1.Model;
using static TorchSharp.torch;

namespace VideoAutoR1.Bench;

/// <summary>
/// Engine throughput and latency on a fixed random mid-size model (seeded; its outputs are arbitrary tokens, which is
/// all throughput needs): continuous batching vs one-at-a-time at several concurrencies, and the in-loop decision
/// vs the reference two-stage method (stop after a1, re-run vision tower + prefill of prompt and a1, continue).
/// </summary>
public static class EngineBench
{
    public const string Help = "engine throughput/latency: continuous batching vs one-at-a-time; in-loop early exit vs two-stage re-prefill";

    private static readonly int[] Concurrencies = [1, 4, 8, 16];

    public static async Task<int> RunAsync(string[] args)
    {
        var newTokens = args.Contains("--quick") ? 16 : 32;
        var root = Directory.CreateTempSubdirectory("videoautor1-engine-bench-").FullName;
        try
        {
            var modelDir = Path.Combine(root, "model");
            var config = MidSizeConfig();
            using (var model = Qwen2_5_VLForConditionalGeneration.CreateRandom(config, seed: 42, new ModelLoadOptions()))
            {
                SmallModel.SaveWithTokenizer(model, modelDir);
            }

            var video = SyntheticVideo(config);
            Console.WriteLine($"model: random seed 42, hidden {config.Text.HiddenSize}, {config.Text.NumHiddenLayers} layers, vocab {config.VocabSize}, " +
                $"vision depth {config.Vision.Depth}; video {video.GridT}x{video.GridH}x{video.GridW} patches = {video.TokenCount(2)} tokens; " +
                $"{newTokens} new tokens per request; torch threads {get_num_threads()}");
            Console.WriteLine();
            Console.WriteLine("continuous batching (max batch 16) vs one at a time (max batch 1), same requests:");
            Console.WriteLine($"{"conc",4} {"requests",8} | {"batched tok/s",13} {"req/s",6} {"p50 s",6} {"p95 s",6} | {"serial tok/s",12} {"req/s",6} {"p50 s",6} {"p95 s",6} | {"tok/s ratio",11}");
            foreach (var concurrency in Concurrencies)
            {
                var count = Math.Max(8, 2 * concurrency);
                var batched = await MeasureAsync(modelDir, maxBatch: 16, concurrency, count, newTokens, video);
                var serial = await MeasureAsync(modelDir, maxBatch: 1, concurrency, count, newTokens, video);
                Console.WriteLine($"{concurrency,4} {count,8} | {batched.TokensPerSecond,13:0.0} {batched.RequestsPerSecond,6:0.00} {batched.P50,6:0.00} {batched.P95,6:0.00} | " +
                    $"{serial.TokensPerSecond,12:0.0} {serial.RequestsPerSecond,6:0.00} {serial.P50,6:0.00} {serial.P95,6:0.00} | {batched.TokensPerSecond / serial.TokensPerSecond,10:0.00}x");
            }

            Console.WriteLine();
            CompareTwoStage(modelDir, video, firstAnswerTokens: 12, thinkingTokens: 4 * newTokens);
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static Qwen2_5_VLConfig MidSizeConfig()
    {
        var config = SmallModel.Config;
        return config with
        {
            Text = config.Text with
            {
                HiddenSize = 256,
                IntermediateSize = 768,
                NumHiddenLayers = 4,
                NumAttentionHeads = 8,
                NumKeyValueHeads = 2,
                HeadDim = 32,
                MropeSection = [4, 6, 6],
            },
            Vision = config.Vision with { Depth = 4, HiddenSize = 128, NumHeads = 4, IntermediateSize = 256, OutHiddenSize = 256, FullattBlockIndexes = [3] },
        };
    }

    /// <summary>4 frames at 224x224: what the media pipeline makes of a 2-second clip, with fixed random pixels.</summary>
    private static PreprocessedVideo SyntheticVideo(Qwen2_5_VLConfig config)
    {
        var random = new Random(3);
        var (t, h, w) = (2, 16, 16);
        var pixels = new float[t * h * w * config.Vision.PatchDim];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return new PreprocessedVideo(pixels, config.Vision.PatchDim, t, h, w, 1.0, [0, 0.5, 1, 1.5], 2, 2);
    }

    private static QuestionSpec Question(int i) =>
        new($"Question {i}: what happens in the video{new string('?', i % 7)}", ["yes", "no"], TaskKind.MultipleChoice);

    private static AnswerRequest Request(VideoQaEngine engine, int i, int newTokens) => engine.Resolver.Resolve(
        $"bench-{i}",
        new VideoSource.ServerPath("synthetic"),
        Question(i),
        RequestResolver.Empty with { Mode = AnswerMode.Think, MaxNewTokens = newTokens });

    private static async Task<(double TokensPerSecond, double RequestsPerSecond, double P50, double P95)> MeasureAsync(
        string modelDir, int maxBatch, int concurrency, int count, int newTokens, PreprocessedVideo video)
    {
        var options = Options.Create(new EngineOptions
        {
            ModelDirectory = modelDir,
            ModelId = "bench",
            MaxBatchSize = maxBatch,
            MaxQueueLength = 1024,
            MaxTokensPerSequence = 1024,
        });
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var media = new VideoPreprocessor(Options.Create(new MediaOptions()));
        using var metrics = new EngineMetrics(meters);
        using var engine = new VideoQaEngine(options, media, metrics, NullLogger<VideoQaEngine>.Instance);
        await engine.StartAsync(CancellationToken.None);
        await engine.WaitUntilReadyAsync(CancellationToken.None);
        await engine.AnswerAsync(Request(engine, 0, 2), video, CancellationToken.None);

        var latencies = new List<double>();
        var tokens = 0L;
        var next = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) is var i && i <= count)
            {
                var result = await engine.AnswerAsync(Request(engine, i, newTokens), video, CancellationToken.None);
                lock (latencies)
                {
                    latencies.Add(result.Timings.Total);
                    tokens += result.Tokens.Generated;
                }
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        await engine.StopAsync(CancellationToken.None);

        latencies.Sort();
        return (tokens / seconds, count / seconds, Percentile(latencies, 0.50), Percentile(latencies, 0.95));
    }

    private static double Percentile(List<double> sorted, double p) => sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>
    /// A request that thinks: a1 (12 tokens), then the rationale and a2. In-loop keeps decoding on the same KV cache;
    /// the reference demo stops, then runs the vision tower and prefill again over prompt + a1 before continuing.
    /// Greedy, one request, directly on the model; both must produce the same tokens.
    /// </summary>
    private static void CompareTwoStage(string modelDir, PreprocessedVideo video, int firstAnswerTokens, int thinkingTokens)
    {
        using var noGrad = no_grad();
        using var model = Qwen2_5_VLForConditionalGeneration.Load(modelDir, new ModelLoadOptions());
        using var cache = new KvCachePool(model.Config, 1, 2048, model.DType);
        var tokenizer = QwenTokenizer.Load(modelDir);
        var prompt = Array.ConvertAll(new PromptBuilder(new PromptOptions()).Encode(Question(0), video.TokenCount(2), tokenizer), id => (long)id);
        var grid = new GridThw(video.GridT, video.GridH, video.GridW);

        long[] Generate(long[] ids, int steps)
        {
            using var scope = NewDisposeScope();
            var pixels = tensor(video.PixelValues, [video.PixelValues.Length / video.PatchDim, video.PatchDim]);
            var embeds = model.GetVideoFeatures(pixels, [grid]);
            var slot = cache.Rent();
            try
            {
                var next = model.Prefill([new PrefillInput(slot, ids, embeds, model.GetRopeIndex(ids, [grid], [video.SecondPerGridT]))], cache)
                    .argmax(-1).item<long>();
                var output = new List<long>();
                for (var i = 0; i < steps; i++)
                {
                    output.Add(next);
                    if (i + 1 < steps)
                    {
                        // One scope per step, as the engine does: a step's tensors must not pile up over a long decode.
                        using var step = NewDisposeScope();
                        next = model.DecodeStep([next], [slot], cache).argmax(-1).item<long>();
                    }
                }

                return [.. output];
            }
            finally
            {
                cache.Release(slot);
            }
        }

        Generate(prompt, 2);
        const int Repeats = 3;
        var inLoop = Stopwatch.StartNew();
        long[] single = [];
        for (var r = 0; r < Repeats; r++)
        {
            single = Generate(prompt, firstAnswerTokens + thinkingTokens);
        }

        var inLoopSeconds = inLoop.Elapsed.TotalSeconds / Repeats;
        var twoStage = Stopwatch.StartNew();
        long[] joined = [];
        for (var r = 0; r < Repeats; r++)
        {
            var first = Generate(prompt, firstAnswerTokens);
            var second = Generate([.. prompt, .. first], thinkingTokens);
            joined = [.. first, .. second];
        }

        var twoStageSeconds = twoStage.Elapsed.TotalSeconds / Repeats;
        Console.WriteLine($"requests that think ({prompt.Length} prompt tokens incl. {video.TokenCount(2)} video, a1 {firstAnswerTokens} + {thinkingTokens} more tokens, mean of {Repeats}):");
        Console.WriteLine($"  in-loop decision (same KV cache):         {inLoopSeconds,7:0.000} s/request");
        Console.WriteLine($"  two-stage reference (re-run vision+prefill): {twoStageSeconds,7:0.000} s/request");
        Console.WriteLine($"  two-stage / in-loop: {twoStageSeconds / inLoopSeconds:0.00}x; identical tokens: {single.SequenceEqual(joined)}");
    }
}
