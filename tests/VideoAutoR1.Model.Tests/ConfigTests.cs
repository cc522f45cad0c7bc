using VideoAutoR1.Core;
using VideoAutoR1.Model;

namespace VideoAutoR1.Model.Tests;

public sealed class ConfigTests
{
    [Fact]
    public void Nested_and_flat_hub_layouts_describe_the_same_model()
    {
        var nested = Qwen2_5_VLConfig.Load(TestPaths.TinyAModel);
        var flat = Qwen2_5_VLConfig.Parse(File.ReadAllText(Path.Combine(TestPaths.TinyA, "config.hub-layout.json")));

        Assert.Equal(nested.Text with { MropeSection = [] }, flat.Text with { MropeSection = [] });
        Assert.Equal(nested.Text.MropeSection, flat.Text.MropeSection);
        Assert.Equal([2, 3, 3], nested.Text.MropeSection);
        Assert.Equal(1e6, flat.Text.RopeTheta);
        Assert.Equal(16, nested.Text.HeadDim);
        Assert.Equal(nested.Vision.FullattBlockIndexes, flat.Vision.FullattBlockIndexes);
        Assert.Equal(3, flat.Vision.InChannels);
        Assert.Equal(1176, nested.Vision.PatchDim);
        Assert.Equal(2, nested.Vision.MergerWindowSize);
        Assert.Equal((1003L, 1000L, 1001L, 1002L), (nested.VideoTokenId, nested.VisionStartTokenId, nested.VisionEndTokenId, nested.ImageTokenId));
        Assert.Equal((1003L, 1000L, 1001L), (flat.VideoTokenId, flat.VisionStartTokenId, flat.VisionEndTokenId));
        Assert.Equal([1004L], nested.EosTokenIds);
        Assert.False(nested.TieWordEmbeddings);
        Assert.Equal(2.0, nested.TokensPerSecond);
    }

    [Fact]
    public void Written_config_parses_back_identically()
    {
        var config = TestConfigs.Small(tie: true);
        var again = Qwen2_5_VLConfig.Parse(config.ToJson());
        Assert.Equal(config.ToJson(), again.ToJson());
        Assert.True(again.TieWordEmbeddings);
    }

    [Theory]
    [InlineData("\"mrope_section\": [\n        2,\n        3,\n        3\n      ]", "\"mrope_section\": [2, 3, 4]", "text_config.rope_parameters.mrope_section")]
    [InlineData("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3", "text_config.num_key_value_heads")]
    [InlineData("\"hidden_size\": 64", "\"hidden_size\": -64", "text_config.hidden_size")]
    [InlineData("\"window_size\": 56", "\"window_size\": 50", "vision_config.window_size")]
    [InlineData("\"fullatt_block_indexes\": [\n      1,\n      3\n    ]", "\"fullatt_block_indexes\": [1, 9]", "vision_config.fullatt_block_indexes")]
    [InlineData("\"video_token_id\": 1003", "\"video_token_id\": \"x\"", "video_token_id")]
    [InlineData("\"rope_type\": \"default\"", "\"rope_type\": \"yarn\"", "rope_parameters.rope_type")]
    public void Invalid_field_is_named_in_the_error(string original, string replacement, string field)
    {
        var text = File.ReadAllText(Path.Combine(TestPaths.TinyAModel, "config.json"));
        Assert.Contains(original, text);
        var error = Assert.Throws<VideoQaException>(() => Qwen2_5_VLConfig.Parse(text.Replace(original, replacement), "config.json"));
        Assert.Equal(ModelErrors.ConfigInvalid, error.Code);
        Assert.Contains(field, error.Message);
        Assert.StartsWith("config.json:", error.Message);
    }

    [Fact]
    public void Hub_layout_without_mrope_section_names_the_field()
    {
        var text = File.ReadAllText(Path.Combine(TestPaths.TinyA, "config.hub-layout.json"));
        var broken = text.Replace("\"mrope_section\": [2, 3, 3]", "\"other\": 1");
        var error = Assert.Throws<VideoQaException>(() => Qwen2_5_VLConfig.Parse(broken, "hub.json"));
        Assert.Contains("rope_scaling.mrope_section", error.Message);
    }

    [Fact]
    public void Directory_without_config_is_a_clear_error()
    {
        using var dir = new TempDir();
        var error = Assert.Throws<VideoQaException>(() => Qwen2_5_VLForConditionalGeneration.Load(dir.Path, new ModelLoadOptions()));
        Assert.Equal(ModelErrors.ConfigMissing, error.Code);
        Assert.Contains(dir.Path, error.Message);
    }
}
