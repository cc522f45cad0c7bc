using VideoAutoR1.Core.Prompting;
using VideoAutoR1.Core.Tokenization;
using VideoAutoR1.Media;
using VideoAutoR1.Model;
using static TorchSharp.torch;

namespace VideoAutoR1.Engine;

/// <summary>
/// What the engine serves: weights and KV cache (engine thread only) plus the torch-free tokenizer and prompt builder
/// (shared with request threads). Loaded on the engine thread so every tensor is born on it.
/// </summary>
internal sealed class EngineModel : IDisposable
{
    private EngineModel(
        string modelId,
        QwenTokenizer tokenizer,
        IVideoLanguageModel model,
        KvCachePool cache,
        VisionPreprocessing preprocessing,
        ScalarType dtype,
        Device device)
    {
        ModelId = modelId;
        Tokenizer = tokenizer;
        Network = model;
        Cache = cache;
        DType = dtype;
        Device = device;
        Prompts = new PromptBuilder(new PromptOptions());
        Preprocessing = preprocessing;
        StopTokenIds = model.EosTokenIds.Append(tokenizer.Special.ImEnd).Append(tokenizer.Special.EndOfText).ToHashSet();
    }

    public string ModelId { get; }

    public QwenTokenizer Tokenizer { get; }

    public PromptBuilder Prompts { get; }

    /// <summary>Qwen2.5-VL or Qwen3-VL, as the directory's config.json says.</summary>
    public IVideoLanguageModel Network { get; }

    public KvCachePool Cache { get; }

    public ScalarType DType { get; }

    public Device Device { get; }

    /// <summary>End of turn or sequence: <c>&lt;|im_end|&gt;</c>, <c>&lt;|endoftext|&gt;</c> and the config's EOS ids.</summary>
    public IReadOnlySet<long> StopTokenIds { get; }

    /// <summary>Loads the checkpoint and allocates the KV cache. Call on the engine thread.</summary>
    public static EngineModel Load(string modelDirectory, string modelId, EngineOptions options)
    {
        var dtype = ParseDType(options.DType);
        var device = new Device(options.Device);
        var tokenizer = QwenTokenizer.Load(modelDirectory);
        var model = VideoLanguageModels.Load(modelDirectory, new ModelLoadOptions(dtype, options.Device));
        try
        {
            if (tokenizer.VocabularySize > model.Text.VocabSize)
            {
                throw ModelErrors.Model(
                    ModelErrors.ConfigInvalid,
                    $"tokenizer has {tokenizer.VocabularySize} ids but the model's vocab_size is {model.Text.VocabSize}");
            }

            var cache = new KvCachePool(model.Text, options.MaxBatchSize, options.MaxTokensPerSequence, dtype, options.Device);
            var family = model.Architecture == Qwen3VLConfig.Architecture ? VideoProcessorKind.Qwen3VL : VideoProcessorKind.Qwen2VL;
            var preprocessing = VisionPreprocessing.Load(modelDirectory, family);
            if ((preprocessing.PatchSize, preprocessing.TemporalPatchSize, 3) != model.PatchGeometry || preprocessing.MergeSize != model.SpatialMergeSize)
            {
                throw ModelErrors.Model(ModelErrors.ConfigInvalid,
                    $"the processor config (patch {preprocessing.PatchSize}, merge {preprocessing.MergeSize}) does not match the vision tower's " +
                    $"(patch {model.PatchGeometry.PatchSize}, merge {model.SpatialMergeSize})");
            }

            return new EngineModel(modelId, tokenizer, model, cache, preprocessing, dtype, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>How videos are preprocessed for this model (its processor config over its family's defaults).</summary>
    public VisionPreprocessing Preprocessing { get; }

    /// <summary>
    /// Prompt ids for a question about a video of <paramref name="videoTokens"/> tokens, pads expanded; a Qwen3-VL
    /// model gets one timestamped block per temporal group.
    /// </summary>
    public long[] EncodePrompt(Core.QuestionSpec question, int videoTokens, PreprocessedVideo? video)
    {
        IReadOnlyList<double>? groups = null;
        if (Preprocessing.Kind == VideoProcessorKind.Qwen3VL && videoTokens > 0)
        {
            groups = video?.GroupTimestamps ?? throw new Core.VideoQaException(Core.ErrorKind.InvalidArgument, "video_layout_invalid",
                "a Qwen3-VL model needs the per-group timestamps of its own video processor");
        }

        return Array.ConvertAll(Prompts.Encode(question, videoTokens, Tokenizer, groups), id => (long)id);
    }

    public static long[] EncodePrompt(QwenTokenizer tokenizer, PromptBuilder prompts, Core.QuestionSpec question, int videoTokens) =>
        Array.ConvertAll(prompts.Encode(question, videoTokens, tokenizer), id => (long)id);

    public static ScalarType ParseDType(string name) => name switch
    {
        "float32" => ScalarType.Float32,
        "bfloat16" => ScalarType.BFloat16,
        "float16" => ScalarType.Float16,
        _ => throw new ArgumentException($"unsupported dtype '{name}'", nameof(name)),
    };

    public void Dispose()
    {
        Cache.Dispose();
        Network.Dispose();
    }
}
