using VideoAutoR1.Model;

namespace VideoAutoR1.Model.Tests;

/// <summary>Module fields mirror checkpoint names: the meta-device model lists exactly the Hub tensors.</summary>
public sealed class ParameterNameTests
{
    private static readonly string[] Expected =
    [
        "model.embed_tokens.weight [50, 24]",
        "model.layers.0.self_attn.q_proj.weight [24, 24]",
        "model.layers.0.self_attn.q_proj.bias [24]",
        "model.layers.0.self_attn.k_proj.weight [12, 24]",
        "model.layers.0.self_attn.k_proj.bias [12]",
        "model.layers.0.self_attn.v_proj.weight [12, 24]",
        "model.layers.0.self_attn.v_proj.bias [12]",
        "model.layers.0.self_attn.o_proj.weight [24, 24]",
        "model.layers.0.mlp.gate_proj.weight [40, 24]",
        "model.layers.0.mlp.up_proj.weight [40, 24]",
        "model.layers.0.mlp.down_proj.weight [24, 40]",
        "model.layers.0.input_layernorm.weight [24]",
        "model.layers.0.post_attention_layernorm.weight [24]",
        "model.norm.weight [24]",
        "visual.patch_embed.proj.weight [16, 3, 2, 14, 14]",
        "visual.blocks.0.norm1.weight [16]",
        "visual.blocks.0.norm2.weight [16]",
        "visual.blocks.0.attn.qkv.weight [48, 16]",
        "visual.blocks.0.attn.qkv.bias [48]",
        "visual.blocks.0.attn.proj.weight [16, 16]",
        "visual.blocks.0.attn.proj.bias [16]",
        "visual.blocks.0.mlp.gate_proj.weight [20, 16]",
        "visual.blocks.0.mlp.gate_proj.bias [20]",
        "visual.blocks.0.mlp.up_proj.weight [20, 16]",
        "visual.blocks.0.mlp.up_proj.bias [20]",
        "visual.blocks.0.mlp.down_proj.weight [16, 20]",
        "visual.blocks.0.mlp.down_proj.bias [16]",
        "visual.merger.ln_q.weight [16]",
        "visual.merger.mlp.0.weight [64, 64]",
        "visual.merger.mlp.0.bias [64]",
        "visual.merger.mlp.2.weight [24, 64]",
        "visual.merger.mlp.2.bias [24]",
        "lm_head.weight [50, 24]",
    ];

    [Fact]
    public void Meta_device_model_lists_hub_names_and_shapes()
    {
        var actual = Qwen2_5_VLForConditionalGeneration.ParameterShapes(TestConfigs.Small()).Select(Format).Order().ToArray();
        Assert.Equal(Expected.Order().ToArray(), actual);
    }

    [Fact]
    public void Tied_embeddings_have_no_lm_head()
    {
        var names = Qwen2_5_VLForConditionalGeneration.ParameterShapes(TestConfigs.Small(tie: true)).Select(p => p.Name).ToList();
        Assert.DoesNotContain("lm_head.weight", names);
        Assert.Equal(Expected.Length - 1, names.Count);
    }

    [Fact]
    public void Tiny_a_checkpoint_holds_exactly_the_expected_tensors()
    {
        var config = Qwen2_5_VLConfig.Load(TestPaths.TinyAModel);
        using var file = SafeTensorsFile.Open(Path.Combine(TestPaths.TinyAModel, "model.safetensors"));
        var onDisk = file.Entries.Values.Select(e => Format((e.Name, e.Shape))).Order().ToArray();
        var expected = Qwen2_5_VLForConditionalGeneration.ParameterShapes(config).Select(Format).Order().ToArray();
        Assert.Equal(expected, onDisk);
    }

    [Theory]
    [InlineData("model.language_model.layers.3.mlp.up_proj.weight", "model.layers.3.mlp.up_proj.weight")]
    [InlineData("model.visual.blocks.0.attn.qkv.bias", "visual.blocks.0.attn.qkv.bias")]
    [InlineData("lm_head.weight", "lm_head.weight")]
    [InlineData("model.norm.weight", "model.norm.weight")]
    public void Internal_transformers_names_map_to_hub_names(string stored, string hub)
    {
        Assert.Equal(hub, CheckpointIndex.ToHubName(stored));
        if (stored != hub)
        {
            Assert.Equal(stored, CheckpointIndex.ToInternalName(hub));
        }
    }

    private static string Format((string Name, long[] Shape) p) => $"{p.Name} [{string.Join(", ", p.Shape)}]";
}
