using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using VideoAutoR1.Core;
using VideoAutoR1.Model;
using static TorchSharp.torch;

namespace VideoAutoR1.Model.Tests;

public sealed class LoaderTests
{
    [Fact]
    public void Save_then_load_round_trips_weights_and_logits()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var original = Qwen2_5_VLForConditionalGeneration.CreateRandom(TestConfigs.Small(), 7, new ModelLoadOptions());
        original.Save(dir.Path);
        using var loaded = Qwen2_5_VLForConditionalGeneration.Load(dir.Path, new ModelLoadOptions());
        AssertSameParameters(original, loaded);
        var ids = tensor(new long[] { 1, 2, 3, 4 }, [1, 4]);
        var positions = arange(4).view(1, 1, 4).expand(3, 1, 4);
        Assert.True(original.ForwardLogits(ids, positions).eq(loaded.ForwardLogits(ids, positions)).all().item<bool>());
    }

    [Fact]
    public void Same_seed_gives_same_random_weights()
    {
        using var a = Qwen2_5_VLForConditionalGeneration.CreateRandom(TestConfigs.Small(), 3, new ModelLoadOptions());
        using var b = Qwen2_5_VLForConditionalGeneration.CreateRandom(TestConfigs.Small(), 3, new ModelLoadOptions());
        AssertSameParameters(a, b);
    }

    [Fact]
    public void Tied_embeddings_load_without_lm_head_and_ignore_a_stored_one()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var model = Qwen2_5_VLForConditionalGeneration.CreateRandom(TestConfigs.Small(tie: true), 5, new ModelLoadOptions());
        model.Save(dir.Path);
        using (var file = SafeTensorsFile.Open(Path.Combine(dir.Path, CheckpointIndex.SingleFile)))
        {
            Assert.DoesNotContain("lm_head.weight", file.Entries.Keys);
        }

        using var loaded = Qwen2_5_VLForConditionalGeneration.Load(dir.Path, new ModelLoadOptions());
        var ids = tensor(new long[] { 4, 9 }, [1, 2]);
        var positions = arange(2).view(1, 1, 2).expand(3, 1, 2);
        var logits = loaded.ForwardLogits(ids, positions);
        var embed = loaded.named_parameters().Single(p => p.name == "model.embed_tokens.weight").parameter;
        Assert.Equal(TestConfigs.Small().VocabSize, logits.shape[2]);

        // An export that also stores lm_head.weight: the config flag wins (spec §B).
        RewriteCheckpoint(dir.Path, tensors => tensors["lm_head.weight"] = zeros_like(embed));
        using var again = Qwen2_5_VLForConditionalGeneration.Load(dir.Path, new ModelLoadOptions());
        Assert.True(again.ForwardLogits(ids, positions).eq(logits).all().item<bool>());
    }

    [Theory]
    [InlineData(ScalarType.BFloat16, ScalarType.Float32)]
    [InlineData(ScalarType.Float16, ScalarType.Float32)]
    [InlineData(ScalarType.Float32, ScalarType.BFloat16)]
    [InlineData(ScalarType.BFloat16, ScalarType.BFloat16)]
    public void Disk_dtype_is_converted_like_torch_casts(ScalarType onDisk, ScalarType target)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var model = Qwen2_5_VLForConditionalGeneration.CreateRandom(TestConfigs.Small(), 11, new ModelLoadOptions());
        model.Save(dir.Path);
        RewriteCheckpoint(dir.Path, tensors =>
        {
            foreach (var name in tensors.Keys.ToList())
            {
                tensors[name] = tensors[name].to(onDisk);
            }
        });

        using var loaded = Qwen2_5_VLForConditionalGeneration.Load(dir.Path, new ModelLoadOptions(target));
        var expected = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().to(onDisk).to(target));
        foreach (var (name, parameter) in loaded.named_parameters())
        {
            Assert.Equal(target, parameter.dtype);
            Assert.True(parameter.eq(expected[name]).all().item<bool>(), $"{name} differs from torch's {onDisk}->{target} cast");
        }
    }

    [Fact]
    public void Sharded_checkpoint_with_internal_names_loads_like_the_single_file()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var model = Qwen2_5_VLForConditionalGeneration.CreateRandom(TestConfigs.Small(), 13, new ModelLoadOptions());
        model.Save(dir.Path);
        var single = Path.Combine(dir.Path, CheckpointIndex.SingleFile);
        var tensors = ReadAll(single);
        File.Delete(single);
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToList();
        var map = new JsonObject();
        for (var shard = 0; shard < 2; shard++)
        {
            var file = $"model-0000{shard + 1}-of-00002.safetensors";
            var part = names.Where((_, i) => i % 2 == shard).ToList();
            // The second shard uses transformers-5 internal names.
            var stored = part.Select(n => (Name: shard == 1 ? CheckpointIndex.ToInternalName(n) : n, Tensor: tensors[n])).ToList();
            SafeTensorsFile.Write(Path.Combine(dir.Path, file), stored);
            foreach (var (name, _) in stored)
            {
                map[name] = file;
            }
        }

        File.WriteAllText(Path.Combine(dir.Path, CheckpointIndex.IndexFile), new JsonObject { ["weight_map"] = map }.ToJsonString());
        using var loaded = Qwen2_5_VLForConditionalGeneration.Load(dir.Path, new ModelLoadOptions());
        AssertSameParameters(model, loaded);
    }

    [Fact]
    public void Missing_unexpected_and_wrong_shaped_tensors_are_listed_in_one_error()
    {
        using var dir = new TempDir();
        SaveSmall(dir.Path);
        RewriteCheckpoint(dir.Path, tensors =>
        {
            tensors.Remove("model.norm.weight");
            tensors["visual.extra.weight"] = zeros(2);
            tensors["model.layers.0.mlp.up_proj.weight"] = zeros(41, 24);
        });

        var error = AssertLoadFails(dir.Path, ModelErrors.CheckpointMismatch);
        Assert.Contains("missing (1): model.norm.weight (internal model.language_model.norm.weight)", error.Message);
        Assert.Contains("unexpected (1): visual.extra.weight (internal model.visual.extra.weight) in model.safetensors", error.Message);
        Assert.Contains("model.layers.0.mlp.up_proj.weight (internal model.language_model.layers.0.mlp.up_proj.weight) in model.safetensors: [41, 24] on disk, [40, 24] expected", error.Message);
    }

    [Fact]
    public void Truncated_file_names_the_file_and_tensor()
    {
        using var dir = new TempDir();
        SaveSmall(dir.Path);
        var path = Path.Combine(dir.Path, CheckpointIndex.SingleFile);
        using (var stream = new FileStream(path, FileMode.Open))
        {
            stream.SetLength(stream.Length - 10);
        }

        var error = AssertLoadFails(dir.Path, ModelErrors.CheckpointCorrupt);
        Assert.Contains(path, error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Header_lying_about_offsets_is_rejected()
    {
        using var dir = new TempDir();
        SaveSmall(dir.Path);
        var path = Path.Combine(dir.Path, CheckpointIndex.SingleFile);
        EditHeader(path, header =>
        {
            // Point one tensor at the bytes of another of the same size.
            var first = header["model.layers.0.mlp.gate_proj.weight"]!["data_offsets"]!.AsArray();
            header["model.layers.0.mlp.up_proj.weight"]!["data_offsets"] = new JsonArray((long)first[0]!, (long)first[1]!);
        });
        var error = AssertLoadFails(dir.Path, ModelErrors.CheckpointCorrupt);
        Assert.Contains("overlap", error.Message);
        Assert.Contains(path, error.Message);

        EditHeader(path, header => header["model.norm.weight"]!["data_offsets"] = new JsonArray(0, 3));
        Assert.Contains("model.norm.weight", AssertLoadFails(dir.Path, ModelErrors.CheckpointCorrupt).Message);
    }

    [Fact]
    public void Unsupported_dtype_names_the_tensor()
    {
        using var dir = new TempDir();
        SaveSmall(dir.Path);
        var path = Path.Combine(dir.Path, CheckpointIndex.SingleFile);
        EditHeader(path, header => header["model.norm.weight"]!["dtype"] = "F8_E4M3");
        Assert.Contains("'model.norm.weight' has unsupported dtype F8_E4M3",
            AssertLoadFails(dir.Path, ModelErrors.CheckpointDtypeUnsupported).Message);

        using var scope = NewDisposeScope();
        SaveSmall(dir.Path);
        RewriteCheckpoint(dir.Path, tensors => tensors["model.norm.weight"] = zeros(24, ScalarType.Int32));
        Assert.Contains("model.norm.weight", AssertLoadFails(dir.Path, ModelErrors.CheckpointDtypeUnsupported).Message);
    }

    [Fact]
    public void Video_grid_not_matching_pixels_is_an_input_error()
    {
        using var scope = NewDisposeScope();
        using var model = Qwen2_5_VLForConditionalGeneration.CreateRandom(TestConfigs.Small(), 1, new ModelLoadOptions());
        using var pixels = zeros(16, model.Config.Vision.PatchDim);
        using var fewer = zeros(12, model.Config.Vision.PatchDim);
        var live = LiveTensors();
        var error = Assert.Throws<VideoQaException>(() => model.GetVideoFeatures(pixels, [new GridThw(1, 4, 6)]));
        Assert.Equal(ModelErrors.VideoGridMismatch, error.Code);
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("pixel_values_videos", error.Message);
        var odd = Assert.Throws<VideoQaException>(() => model.GetVideoFeatures(fewer, [new GridThw(1, 3, 4)]));
        Assert.Contains("spatial_merge_size", odd.Message);
        Assert.Equal(live, LiveTensors());
    }

    private static long LiveTensors() => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    private static VideoQaException AssertLoadFails(string dir, string code)
    {
        var live = LiveTensors();
        var error = Assert.Throws<VideoQaException>(() => Qwen2_5_VLForConditionalGeneration.Load(dir, new ModelLoadOptions()));
        Assert.Equal(code, error.Code);
        Assert.Equal(live, LiveTensors());
        return error;
    }

    private static void SaveSmall(string dir)
    {
        using var model = Qwen2_5_VLForConditionalGeneration.CreateRandom(TestConfigs.Small(), 2, new ModelLoadOptions());
        model.Save(dir);
    }

    private static Dictionary<string, Tensor> ReadAll(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        return file.Entries.Keys.ToDictionary(n => n, file.Read);
    }

    private static void RewriteCheckpoint(string dir, Action<Dictionary<string, Tensor>> edit)
    {
        var path = Path.Combine(dir, CheckpointIndex.SingleFile);
        var tensors = ReadAll(path);
        edit(tensors);
        SafeTensorsFile.Write(path, tensors.Select(kv => (kv.Key, kv.Value)));
    }

    private static void EditHeader(string path, Action<JsonObject> edit)
    {
        var bytes = File.ReadAllBytes(path);
        var length = (int)BinaryPrimitives.ReadInt64LittleEndian(bytes);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, length))!.AsObject();
        edit(header);
        var json = Encoding.UTF8.GetBytes(header.ToJsonString()).Concat(Enumerable.Repeat((byte)' ', 8)).ToArray();
        var newLength = (json.Length + 7) / 8 * 8;
        var output = new byte[8 + newLength + bytes.Length - 8 - length];
        BinaryPrimitives.WriteInt64LittleEndian(output, newLength);
        Array.Fill(output, (byte)' ', 8, newLength);
        json.CopyTo(output, 8);
        Array.Copy(bytes, 8 + length, output, 8 + newLength, bytes.Length - 8 - length);
        File.WriteAllBytes(path, output);
    }

    private static void AssertSameParameters(Qwen2_5_VLForConditionalGeneration a, Qwen2_5_VLForConditionalGeneration b)
    {
        var left = a.named_parameters().ToList();
        var right = b.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(left.Count, right.Count);
        foreach (var (name, parameter) in left)
        {
            Assert.True(parameter.eq(right[name]).all().item<bool>(), $"{name} differs");
        }
    }
}
