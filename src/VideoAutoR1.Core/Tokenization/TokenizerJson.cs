using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace VideoAutoR1.Core.Tokenization;

/// <summary>
/// What <see cref="QwenTokenizer"/> needs from a Hugging Face <c>tokenizer.json</c> (+ <c>tokenizer_config.json</c>).
/// Only the pipeline byte-level BPE checkpoints use is accepted; anything else is refused by name rather than
/// silently tokenised differently.
/// </summary>
internal sealed class TokenizerJson
{
    // Oniguruma and .NET agree on \s, \p{L}, \p{N} for the Qwen pattern; the timeout bounds pathological input.
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(30);

    public required List<KeyValuePair<string, int>> Vocabulary { get; init; }

    public required List<string> Merges { get; init; }

    public required List<AddedToken> AddedTokens { get; init; }

    public required UnicodeNormalizer? Normalizer { get; init; }

    public required Regex SplitPattern { get; init; }

    public string? EosToken { get; init; }

    public int? ModelMaxLength { get; init; }

    public static TokenizerJson Load(string directory)
    {
        var tokenizerPath = Path.Combine(directory, "tokenizer.json");
        if (!File.Exists(tokenizerPath))
        {
            throw VideoQaException.InvalidArgument("tokenizer_not_found", null, $"no tokenizer.json in '{directory}'");
        }

        try
        {
            using var tokenizer = JsonDocument.Parse(File.ReadAllBytes(tokenizerPath));
            var root = tokenizer.RootElement;
            var model = root.GetProperty("model");
            RequireBytePairModel(model);
            if (root.GetProperty("decoder") is not { ValueKind: JsonValueKind.Object } decoder
                || decoder.GetProperty("type").GetString() != "ByteLevel")
            {
                throw Unsupported("decoder must be ByteLevel");
            }

            var added = ReadAddedTokens(root);

            string? eos = null;
            int? maxLength = null;
            var configPath = Path.Combine(directory, "tokenizer_config.json");
            if (File.Exists(configPath))
            {
                using var config = JsonDocument.Parse(File.ReadAllBytes(configPath));
                MergeConfigAddedTokens(config.RootElement, added);
                eos = TokenContent(config.RootElement, "eos_token");
                if (config.RootElement.TryGetProperty("model_max_length", out var max) && max.TryGetInt64(out var value))
                {
                    maxLength = (int)Math.Min(value, int.MaxValue);
                }
            }

            return new TokenizerJson
            {
                Vocabulary = [.. model.GetProperty("vocab").EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.GetInt32()))],
                Merges = [.. model.GetProperty("merges").EnumerateArray().Select(ReadMerge)],
                AddedTokens = added,
                Normalizer = ReadNormalizer(root.GetProperty("normalizer")),
                SplitPattern = ReadPreTokenizer(root.GetProperty("pre_tokenizer")),
                EosToken = eos,
                ModelMaxLength = maxLength,
            };
        }
        catch (Exception error) when (error is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw VideoQaException.InvalidArgument("tokenizer_invalid", null, $"'{tokenizerPath}' is not a usable tokenizer.json: {error.Message}", error);
        }
    }

    private static void RequireBytePairModel(JsonElement model)
    {
        if (model.GetProperty("type").GetString() != "BPE")
        {
            throw Unsupported("model.type must be BPE");
        }

        if (model.TryGetProperty("byte_fallback", out var fallback) && fallback.ValueKind == JsonValueKind.True)
        {
            throw Unsupported("model.byte_fallback is not supported");
        }

        foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (model.TryGetProperty(affix, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() != "")
            {
                throw Unsupported($"model.{affix} is not supported");
            }
        }
    }

    // Older files write a merge as "a b", newer ones as ["a", "b"].
    private static string ReadMerge(JsonElement merge) => merge.ValueKind switch
    {
        JsonValueKind.String => merge.GetString()!,
        JsonValueKind.Array when merge.GetArrayLength() == 2 => $"{merge[0].GetString()} {merge[1].GetString()}",
        _ => throw new FormatException($"merge entry {merge.GetRawText()} is neither \"a b\" nor [\"a\", \"b\"]"),
    };

    private static List<AddedToken> ReadAddedTokens(JsonElement root)
    {
        var tokens = new List<AddedToken>();
        if (!root.TryGetProperty("added_tokens", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            return tokens;
        }

        foreach (var item in list.EnumerateArray())
        {
            tokens.Add(ReadAddedToken(item.GetProperty("id").GetInt32(), item));
        }

        return tokens;
    }

    private static AddedToken ReadAddedToken(int id, JsonElement item)
    {
        if (Flag(item, "single_word"))
        {
            throw Unsupported($"added token {id} uses single_word, which is not supported");
        }

        return new AddedToken(
            id,
            item.GetProperty("content").GetString()!,
            Flag(item, "special"),
            Flag(item, "normalized"),
            Flag(item, "lstrip"),
            Flag(item, "rstrip"));
    }

    // transformers also registers tokens listed only in tokenizer_config.json's added_tokens_decoder.
    private static void MergeConfigAddedTokens(JsonElement config, List<AddedToken> tokens)
    {
        if (!config.TryGetProperty("added_tokens_decoder", out var decoder) || decoder.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var entry in decoder.EnumerateObject())
        {
            var token = ReadAddedToken(int.Parse(entry.Name, System.Globalization.CultureInfo.InvariantCulture), entry.Value);
            if (!tokens.Any(t => t.Id == token.Id || t.Content == token.Content))
            {
                tokens.Add(token);
            }
        }
    }

    private static bool Flag(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    private static string? TokenContent(JsonElement config, string name) =>
        config.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Object => value.GetProperty("content").GetString(),
                _ => null,
            }
            : null;

    private static UnicodeNormalizer? ReadNormalizer(JsonElement normalizer)
    {
        if (normalizer.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var type = normalizer.GetProperty("type").GetString();
        if (type == "Sequence")
        {
            var steps = normalizer.GetProperty("normalizers").EnumerateArray().ToList();
            return steps.Count switch
            {
                0 => null,
                1 => ReadNormalizer(steps[0]),
                _ => throw Unsupported("a Sequence of several normalizers is not supported"),
            };
        }

        return new UnicodeNormalizer(type switch
        {
            "NFC" => NormalizationForm.FormC,
            "NFD" => NormalizationForm.FormD,
            "NFKC" => NormalizationForm.FormKC,
            "NFKD" => NormalizationForm.FormKD,
            _ => throw Unsupported($"normalizer {type} is not supported"),
        });
    }

    // Accepted: Sequence [ Split(Regex, Isolated, invert false), ByteLevel(add_prefix_space false, use_regex false) ].
    private static Regex ReadPreTokenizer(JsonElement preTokenizer)
    {
        var steps = preTokenizer.GetProperty("type").GetString() == "Sequence"
            ? preTokenizer.GetProperty("pretokenizers").EnumerateArray().ToList()
            : [preTokenizer];
        if (steps.Count != 2 || steps[0].GetProperty("type").GetString() != "Split" || steps[1].GetProperty("type").GetString() != "ByteLevel")
        {
            throw Unsupported("pre_tokenizer must be Sequence[Split, ByteLevel]");
        }

        var split = steps[0];
        if (split.GetProperty("behavior").GetString() != "Isolated" || Flag(split, "invert")
            || !split.GetProperty("pattern").TryGetProperty("Regex", out var pattern))
        {
            throw Unsupported("the Split pre-tokenizer must use a Regex pattern with behavior Isolated");
        }

        if (Flag(steps[1], "add_prefix_space") || Flag(steps[1], "use_regex"))
        {
            throw Unsupported("the ByteLevel pre-tokenizer must have add_prefix_space and use_regex false");
        }

        return new Regex(pattern.GetString()!, RegexOptions.Compiled | RegexOptions.CultureInvariant, RegexTimeout);
    }

    private static VideoQaException Unsupported(string message) =>
        new(ErrorKind.InvalidArgument, "tokenizer_unsupported", $"tokenizer.json: {message}");
}
