using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using VideoAutoR1.Engine;
using VideoAutoR1.Engine.Tests;
using VideoAutoR1.Model;
using static TorchSharp.torch;

namespace VideoAutoR1.Bench;

/// <summary>
/// Prefill and decode throughput of a Qwen2.5-0.5B-shaped text model with a 4-block vision tower (random weights),
/// batch 1 and 8, fp32 and bf16, each next to a roofline measured in the same run: the same token count pushed through
/// plain libtorch matmuls over exactly the model's linear-layer weights (what the model cannot beat).
/// </summary>
public static class ModelBench
{
    public static Task<int> RunAsync(string[] args)
    {
        var prompt = BenchArgs.Int(args, "--prompt", 32);
        var steps = BenchArgs.Int(args, "--steps", 4);
        var batches = BenchArgs.Ints(args, "--batch", [1, 8]);
        var dtypes = BenchArgs.Strings(args, "--dtype", ["fp32", "bf16"]);
        var config = MidSizeConfig();
        Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()} on {Environment.ProcessorCount} cores; torch threads {get_num_threads()}; text: hidden {config.Text.HiddenSize}, {config.Text.NumHiddenLayers} layers, " +
            $"{config.Text.NumAttentionHeads}/{config.Text.NumKeyValueHeads} heads, vocab {config.Text.VocabSize}; vision: {config.Vision.Depth} blocks");
        Console.WriteLine($"prefill: {prompt}-token prompts; decode: {steps} steps after the prefill; 1 warm-up repetition, then the fastest of 3 (decode: of all steps); model and roofline alternate");
        Console.WriteLine($"{"dtype",-5} {"phase",-8} {"batch",5} {"model tok/s",12} {"matmul tok/s",13} {"model/roofline",15}");
        foreach (var name in dtypes)
        {
            var dtype = name == "bf16" ? ScalarType.BFloat16 : ScalarType.Float32;
            using var model = Qwen2_5_VLForConditionalGeneration.CreateRandom(config, 1, new ModelLoadOptions(dtype));
            var weights = model.named_parameters()
                .Where(p => p.name.StartsWith("model.layers.", StringComparison.Ordinal) && p.parameter.dim() == 2)
                .Select(p => (Tensor)p.parameter)
                .Append(model.named_parameters().Single(p => p.name == "model.embed_tokens.weight").parameter)   // tied lm_head
                .ToList();
            foreach (var batch in batches)
            {
                var (prefill, decode, prefillRoof, decodeRoof) = Measure(model, weights, batch, prompt, steps);
                Row(name, "prefill", batch, batch * prompt / prefill, batch * prompt / prefillRoof);
                Row(name, "decode", batch, batch / decode, batch / decodeRoof);
            }

            MeasureVision(model, name);
        }

        return Task.FromResult(0);
    }

    /// <summary>
    /// Qwen2.5-0.5B text dimensions (tied embeddings) with the 7B vision block shape, 4 blocks deep; vocabulary, special
    /// ids and patch geometry as the default model's (the real Qwen tokenizer's).
    /// </summary>
    public static Qwen2_5_VLConfig MidSizeConfig()
    {
        var small = SmallModel.Config;
        return small with
        {
            Text = small.Text with
            {
                HiddenSize = 896,
                IntermediateSize = 4864,
                NumHiddenLayers = 24,
                NumAttentionHeads = 14,
                NumKeyValueHeads = 2,
                HeadDim = 64,
                MropeSection = [8, 12, 12],
            },
            Vision = small.Vision with
            {
                Depth = 4,
                HiddenSize = 1280,
                NumHeads = 16,
                IntermediateSize = 3420,
                OutHiddenSize = 896,
                FullattBlockIndexes = [3],
            },
        };
    }

    // Seconds per prefill (whole batch) and per decode step (whole batch), for the model and for the roofline. Model and
    // roofline alternate within each repetition so load changes on a shared machine hit both; the minimum is reported.
    private static (double Prefill, double Decode, double PrefillRoof, double DecodeRoof) Measure(
        Qwen2_5_VLForConditionalGeneration model, IReadOnlyList<Tensor> weights, int batch, int prompt, int steps)
    {
        var random = new Random(batch);
        List<double> prefills = [], decodes = [], prefillRoofs = [], decodeRoofs = [];
        for (var run = 0; run < 4; run++)
        {
            using var pool = new KvCachePool(model.Config, batch, prompt + steps + 1, model.DType);
            var slots = Enumerable.Range(0, batch).Select(_ => pool.Rent()).ToArray();
            var inputs = slots.Select(slot =>
            {
                var ids = Enumerable.Range(0, prompt).Select(_ => (long)random.Next(1000, 100000)).ToArray();
                return new PrefillInput(slot, ids, null, RopeIndex.Sequential(prompt));
            }).ToList();
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            var next = model.Prefill(inputs, pool).argmax(-1).data<long>().ToArray();
            var prefill = clock.Elapsed.TotalSeconds;
            var prefillRoof = MatmulSeconds(weights, batch * prompt, model.DType);
            for (var s = 0; s < steps; s++)
            {
                clock.Restart();
                next = model.DecodeStep(next, slots, pool).argmax(-1).data<long>().ToArray();
                var decode = clock.Elapsed.TotalSeconds;
                var decodeRoof = MatmulSeconds(weights, batch, model.DType);
                if (run > 0)
                {
                    decodes.Add(decode);
                    decodeRoofs.Add(decodeRoof);
                }
            }

            if (run > 0)
            {
                prefills.Add(prefill);
                prefillRoofs.Add(prefillRoof);
            }
        }

        return (prefills.Min(), decodes.Min(), prefillRoofs.Min(), decodeRoofs.Min());
    }

    // Seconds for `tokens` rows through every weight matrix once (x @ Wᵀ).
    private static double MatmulSeconds(IReadOnlyList<Tensor> weights, int tokens, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var inputs = weights.Select(w => randn(tokens, w.shape[1], dtype)).ToList();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < weights.Count; i++)
        {
            nn.functional.linear(inputs[i], weights[i]).Dispose();
        }

        return clock.Elapsed.TotalSeconds;
    }

    private static void MeasureVision(Qwen2_5_VLForConditionalGeneration model, string dtype)
    {
        using var scope = NewDisposeScope();
        var grid = new GridThw(2, 16, 16);
        var pixels = randn(grid.Patches, model.Config.Vision.PatchDim);
        var times = new List<double>();
        for (var run = 0; run < 3; run++)
        {
            var clock = Stopwatch.StartNew();
            model.GetVideoFeatures(pixels, [grid]).Dispose();
            if (run > 0)
            {
                times.Add(clock.Elapsed.TotalSeconds);
            }
        }

        Console.WriteLine($"{dtype,-5} vision   grid (2,16,16) = {grid.Patches} patches: {grid.Patches / times.Min(),10:0} patches/s");
    }

    private static void Row(string dtype, string phase, int batch, double model, double roofline) =>
        Console.WriteLine($"{dtype,-5} {phase,-8} {batch,5} {model,12:0.0} {roofline,13:0.0} {model / roofline,15:0.00}");
}

/// <summary><c>--name value</c> parsing for the model benchmarks.</summary>
internal static class BenchArgs
{
    public static int Int(string[] args, string name, int fallback) => Ints(args, name, [fallback])[0];

    public static int[] Ints(string[] args, string name, int[] fallback)
    {
        var values = Strings(args, name, []);
        return values.Length == 0 ? fallback : values.Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>Values of <paramref name="name"/>, comma-separated (e.g. <c>--batch 1,8</c>).</summary>
    public static string[] Strings(string[] args, string name, string[] fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1].Split(',') : fallback;
    }

    public static string? Value(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
