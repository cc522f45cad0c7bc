using VideoAutoR1.Core.Prompting;
using VideoAutoR1.Core.Tokenization;
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
        Qwen2_5_VLConfig config,
        QwenTokenizer tokenizer,
        Qwen2_5_VLForConditionalGeneration model,
        KvCachePool cache,
        ScalarType dtype,
        Device device)
    {
        ModelId = modelId;
        Config = config;
        Tokenizer = tokenizer;
        Model = model;
        Cache = cache;
        DType = dtype;
        Device = device;
        Prompts = new PromptBuilder(new PromptOptions());
        StopTokenIds = config.EosTokenIds.Append(tokenizer.Special.ImEnd).Append(tokenizer.Special.EndOfText).ToHashSet();
    }

    public string ModelId { get; }

    public Qwen2_5_VLConfig Config { get; }

    public QwenTokenizer Tokenizer { get; }

    public PromptBuilder Prompts { get; }

    public Qwen2_5_VLForConditionalGeneration Model { get; }

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
        var config = Qwen2_5_VLConfig.Load(modelDirectory);
        var tokenizer = QwenTokenizer.Load(modelDirectory);
        if (tokenizer.VocabularySize > config.VocabSize)
        {
            throw ModelErrors.Model(
                ModelErrors.ConfigInvalid,
                $"tokenizer has {tokenizer.VocabularySize} ids but the model's vocab_size is {config.VocabSize}");
        }

        var model = Qwen2_5_VLForConditionalGeneration.Load(modelDirectory, new ModelLoadOptions(dtype, options.Device));
        var cache = new KvCachePool(config, options.MaxBatchSize, options.MaxTokensPerSequence, dtype, options.Device);
        return new EngineModel(modelId, config, tokenizer, model, cache, dtype, device);
    }

    /// <summary>Prompt ids for a question about a video of <paramref name="videoTokens"/> tokens, pads expanded.</summary>
    public long[] EncodePrompt(Core.QuestionSpec question, int videoTokens) => EncodePrompt(Tokenizer, Prompts, question, videoTokens);

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
        Model.Dispose();
    }
}
