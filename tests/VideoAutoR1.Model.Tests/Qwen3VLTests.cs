using System.Text.Json.Nodes;
using TorchSharp;
using VideoAutoR1.Core;
using VideoAutoR1.Model;
using static TorchSharp.torch;

namespace VideoAutoR1.Model.Tests;

/// <summary>Qwen3-VL: config reading, family detection, loading (single, sharded, tied), batching with DeepStack.</summary>
public sealed class Qwen3VLTests
{
    private const double BatchTolerance = 1e-5;
    private static readonly int[] None = [];

    private static string TinyQ3aModel => Path.Combine(TestPaths.TinyQ3a, "model");

    [Fact]
    public void Hub_config_reads_the_decoder_vision_tower_and_special_ids()
    {
        var config = Qwen3VLConfig.Load(TinyQ3aModel);
        Assert.Equal(VideoLanguageModels.Family.Qwen3VL, VideoLanguageModels.Detect(TinyQ3aModel));
        Assert.Equal(VideoLanguageModels.Family.Qwen2_5_VL, VideoLanguageModels.Detect(TestPaths.TinyAModel));
        Assert.Equal(5e6, config.Text.RopeTheta);
        Assert.Equal([4, 2, 2], config.Text.MropeSection);
        Assert.False(config.AttentionBias);
        Assert.False(config.TieWordEmbeddings);
        Assert.Equal(8, config.Vision.NumGridPerSide);
        Assert.Equal([1, 2], config.Vision.DeepstackVisualIndexes);
        Assert.Equal(16, config.Vision.PatchSize);
        Assert.Equal([1004L], config.EosTokenIds);

        // The transformers 5 layout (rope_parameters) and our own writer read back to the same config.
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(TinyQ3aModel, "config.json")))!.AsObject();
        var text = root["text_config"]!.AsObject();
        text.Remove("rope_scaling");
        text.Remove("rope_theta");
        text["rope_parameters"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 5e6, ["mrope_section"] = new JsonArray(4, 2, 2) };
        var v5 = Qwen3VLConfig.Parse(root.ToJsonString()) with { EosTokenIds = config.EosTokenIds };
        AssertSameConfig(config, v5);
        AssertSameConfig(config, Qwen3VLConfig.Parse(config.ToJson()));
    }

    [Theory]
    [InlineData("vision_config", "hidden_act", "\"silu\"", "gelu_pytorch_tanh")]
    [InlineData("vision_config", "num_position_embeddings", "60", "square")]
    [InlineData("vision_config", "deepstack_visual_indexes", "[1, 9]", "deepstack_visual_indexes")]
    [InlineData("", "model_type", "\"qwen3_vl_moe\"", "not supported")]
    public void Invalid_configs_are_refused_with_the_field(string section, string field, string value, string message)
    {
        using var dir = new TempDir();
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(TinyQ3aModel, "config.json")))!.AsObject();
        var target = section.Length == 0 ? root : root[section]!.AsObject();
        target[field] = JsonNode.Parse(value);
        File.WriteAllText(Path.Combine(dir.Path, "config.json"), root.ToJsonString());
        var error = Assert.Throws<VideoQaException>(() => VideoLanguageModels.Load(dir.Path, new ModelLoadOptions()));
        Assert.Equal(ModelErrors.ConfigInvalid, error.Code);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Random_model_saves_and_loads_by_family_with_identical_logits(bool tie)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var config = Qwen3VLConfig.Load(TinyQ3aModel) with { TieWordEmbeddings = tie };
        using var original = Qwen3VLForConditionalGeneration.CreateRandom(config, 9, new ModelLoadOptions());
        original.Save(dir.Path);
        using (var file = SafeTensorsFile.Open(Path.Combine(dir.Path, CheckpointIndex.SingleFile)))
        {
            Assert.Equal(!tie, file.Entries.ContainsKey("lm_head.weight"));
            Assert.Contains("model.language_model.layers.0.self_attn.q_norm.weight", file.Entries.Keys);
            Assert.Contains("model.visual.deepstack_merger_list.1.norm.bias", file.Entries.Keys);
        }

        using var loaded = VideoLanguageModels.Load(dir.Path, new ModelLoadOptions());
        Assert.Equal(Qwen3VLConfig.Architecture, loaded.Architecture);
        var ids = tensor(new long[] { 3, 1, 4, 1, 5 }, [1, 5]);
        var positions = arange(5).view(1, 1, 5).expand(3, 1, 5);
        Assert.True(original.ForwardLogits(ids, positions).eq(loaded.ForwardLogits(ids, positions)).all().item<bool>());
    }

    [Fact]
    public void Sharded_checkpoint_loads_like_the_single_file()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        File.Copy(Path.Combine(TinyQ3aModel, "config.json"), Path.Combine(dir.Path, "config.json"));
        var map = new JsonObject();
        using (var single = SafeTensorsFile.Open(Path.Combine(TinyQ3aModel, CheckpointIndex.SingleFile)))
        {
            var names = single.Entries.Keys.Order(StringComparer.Ordinal).ToArray();
            var halves = names.Chunk((names.Length + 1) / 2).ToArray();
            for (var i = 0; i < halves.Length; i++)
            {
                var shard = $"model-{i + 1:00000}-of-{halves.Length:00000}.safetensors";
                SafeTensorsFile.Write(Path.Combine(dir.Path, shard), halves[i].Select(n => (n, single.Read(n))));
                foreach (var n in halves[i])
                {
                    map[n] = shard;
                }
            }
        }

        File.WriteAllText(Path.Combine(dir.Path, CheckpointIndex.IndexFile), new JsonObject { ["weight_map"] = map }.ToJsonString());
        using var sharded = Qwen3VLForConditionalGeneration.Load(dir.Path, new ModelLoadOptions());
        using var reference = Qwen3VLForConditionalGeneration.Load(TinyQ3aModel, new ModelLoadOptions());
        var ids = tensor(new long[] { 7, 8, 9 }, [1, 3]);
        var positions = arange(3).view(1, 1, 3).expand(3, 1, 3);
        Assert.True(sharded.ForwardLogits(ids, positions).eq(reference.ForwardLogits(ids, positions)).all().item<bool>());
    }

    [Fact]
    public void Missing_deepstack_weights_are_listed_by_name()
    {
        using var dir = new TempDir();
        File.Copy(Path.Combine(TinyQ3aModel, "config.json"), Path.Combine(dir.Path, "config.json"));
        using (var single = SafeTensorsFile.Open(Path.Combine(TinyQ3aModel, CheckpointIndex.SingleFile)))
        {
            SafeTensorsFile.Write(Path.Combine(dir.Path, CheckpointIndex.SingleFile), single.Entries.Keys
                .Where(n => !n.StartsWith("model.visual.deepstack_merger_list.1.", StringComparison.Ordinal))
                .Select(n => (n, single.Read(n))));
        }

        var error = Assert.Throws<VideoQaException>(() => VideoLanguageModels.Load(dir.Path, new ModelLoadOptions()));
        Assert.Equal(ModelErrors.CheckpointMismatch, error.Code);
        Assert.Contains("model.visual.deepstack_merger_list.1.linear_fc1.weight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Batched_prefill_and_decode_with_deepstack_equal_each_prompt_alone()
    {
        using var scope = NewDisposeScope();
        using var model = Qwen3VLForConditionalGeneration.Load(TinyQ3aModel, new ModelLoadOptions());
        using var inputs = SafeTensorsFile.Open(Path.Combine(TestPaths.TinyQ3a, "inputs.safetensors"));
        using var gridTensor = inputs.Read("video_grid_thw");
        var g = gridTensor.data<long>().ToArray();
        var grids = new[] { new GridThw((int)g[0], (int)g[1], (int)g[2]) };
        var features = model.GetVideoFeatures(inputs.Read("pixel_values_videos"), grids);
        using var idsTensor = inputs.Read("input_ids");
        var videoPrompt = idsTensor.data<long>().ToArray();
        PrefillInput Video(long[] ids) => new(0, ids, features, model.GetRopeIndex(ids, grids, []));
        PrefillInput Text(long[] ids) => new(0, ids, null, RopeIndex.Sequential(ids.Length));
        var prompts = new[] { Text([5, 6, 7]), Video(videoPrompt), Video([9, 9, .. videoPrompt, 4]), Text([.. Enumerable.Range(1, 30).Select(i => (long)i)]) };

        var alone = prompts.Select(p => Greedy(model, [p])[0]).ToArray();
        var batched = Greedy(model, prompts);
        for (var b = 0; b < prompts.Length; b++)
        {
            Assert.Equal(alone[b].Tokens, batched[b].Tokens);
            var diff = (alone[b].Logits - batched[b].Logits).abs().max().item<float>();
            Assert.True(diff <= BatchTolerance, $"prompt {b}: batched logits differ by {diff}");
        }

        // The first prompt's cached prefill equals the cache-less forward's last position (DeepStack applied in both).
        var full = model.ForwardLogits(tensor(videoPrompt, [1, videoPrompt.Length]),
            PositionTensor(prompts[1].Positions), videoEmbeds: features);
        Assert.True((full[0, -1] - alone[1].Logits[0]).abs().max().item<float>() <= BatchTolerance);
    }

    private static List<(long[] Tokens, Tensor Logits)> Greedy(Qwen3VLForConditionalGeneration model, IReadOnlyList<PrefillInput> prompts)
    {
        using var pool = new KvCachePool(model.Text, prompts.Count, 128, ScalarType.Float32);
        var slots = prompts.Select(_ => pool.Rent()).ToArray();
        var logits = model.Prefill(prompts.Select((p, i) => p with { Slot = slots[i] }).ToList(), pool);
        var steps = new List<Tensor> { logits };
        var tokens = new List<long[]> { logits.argmax(-1).data<long>().ToArray() };
        for (var s = 0; s < 4; s++)
        {
            logits = model.DecodeStep(tokens[^1], slots, pool);
            steps.Add(logits);
            tokens.Add(logits.argmax(-1).data<long>().ToArray());
        }

        return Enumerable.Range(0, prompts.Count)
            .Select(b => (tokens.Select(t => t[b]).ToArray(), stack(steps.Select(l => l[b]).ToArray())))
            .ToList();
    }

    private static Tensor PositionTensor(RopeIndex positions)
    {
        var flat = new long[3 * positions.Length];
        Buffer.BlockCopy(positions.PositionIds, 0, flat, 0, flat.Length * sizeof(long));
        return tensor(flat, [3, 1, positions.Length]);
    }

    private static void AssertSameConfig(Qwen3VLConfig expected, Qwen3VLConfig actual)
    {
        Assert.Equal(expected.Text with { MropeSection = None }, actual.Text with { MropeSection = None });
        Assert.Equal(expected.Text.MropeSection, actual.Text.MropeSection);
        Assert.Equal(expected.Vision.DeepstackVisualIndexes, actual.Vision.DeepstackVisualIndexes);
        Assert.Equal(expected.Vision with { DeepstackVisualIndexes = None }, actual.Vision with { DeepstackVisualIndexes = None });
        Assert.Equal(expected.EosTokenIds, actual.EosTokenIds);
        Assert.Equal(expected.VideoTokenId, actual.VideoTokenId);
        Assert.Equal(expected.TieWordEmbeddings, actual.TieWordEmbeddings);
    }
}
