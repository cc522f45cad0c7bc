using System.Text.Json;
using System.Text.Json.Nodes;
using VideoAutoR1.Core.Tokenization;

namespace VideoAutoR1.Training;

/// <summary>
/// A byte-level BPE tokenizer cut down from a Qwen tokenizer to what a corpus needs: the 256 byte tokens, every token
/// the corpus encodes to, and the tokens its merges are built from. The merges kept are exactly those whose result is
/// kept, in their original order, so every corpus text encodes to the same token strings as with the full tokenizer
/// (each merge the full tokenizer applies to it is kept, and the lowest-ranked applicable merge is the same one), and
/// any other text still encodes, byte by byte where its merges are gone. Added tokens keep their contents and flags;
/// all ids are renumbered densely (vocabulary first, added tokens after). The output is a Hugging Face
/// <c>tokenizer.json</c> + <c>tokenizer_config.json</c>, loadable by <c>transformers</c> and by <see cref="QwenTokenizer"/>.
/// </summary>
public static class CompactTokenizer
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the compact tokenizer of <paramref name="corpus"/> into <paramref name="targetDirectory"/>; returns its vocabulary size.</summary>
    public static int Write(string sourceDirectory, IEnumerable<string> corpus, string targetDirectory)
    {
        var source = QwenTokenizer.Load(sourceDirectory);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(sourceDirectory, "tokenizer.json")))!.AsObject();
        var model = json["model"]!.AsObject();
        var vocabulary = model["vocab"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<int>(), StringComparer.Ordinal);
        var tokenOf = vocabulary.ToDictionary(p => p.Value, p => p.Key);
        var merges = model["merges"]!.AsArray().Select(Merge).ToList();
        var producedBy = new Dictionary<string, (string Left, string Right)>(StringComparer.Ordinal);
        foreach (var (left, right) in merges)
        {
            producedBy.TryAdd(left + right, (left, right));
        }

        var kept = new HashSet<string>(vocabulary.Keys.Where(t => t.Length == 1), StringComparer.Ordinal);
        void Keep(string token)
        {
            if (kept.Add(token) && producedBy.TryGetValue(token, out var parts))
            {
                Keep(parts.Left);
                Keep(parts.Right);
            }
        }

        foreach (var text in corpus)
        {
            foreach (var id in source.Encode(text))
            {
                if (tokenOf.TryGetValue(id, out var token))
                {
                    Keep(token);
                }
            }
        }

        var newVocabulary = new JsonObject();
        var next = 0;
        foreach (var token in kept.OrderBy(t => vocabulary[t]))
        {
            newVocabulary[token] = next++;
        }

        model["vocab"] = newVocabulary;
        model["merges"] = new JsonArray(merges.Where(m => kept.Contains(m.Left + m.Right))
            .Select(m => (JsonNode)new JsonArray(m.Left, m.Right)).ToArray());

        var addedIds = new Dictionary<int, int>();
        foreach (var added in json["added_tokens"]!.AsArray().OrderBy(a => a!["id"]!.GetValue<int>()))
        {
            var oldId = added!["id"]!.GetValue<int>();
            addedIds[oldId] = next;
            added["id"] = next++;
        }

        Directory.CreateDirectory(targetDirectory);
        File.WriteAllText(Path.Combine(targetDirectory, "tokenizer.json"), json.ToJsonString(Compact));

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(sourceDirectory, "tokenizer_config.json")))!.AsObject();
        if (config["added_tokens_decoder"] is JsonObject decoder)
        {
            var renumbered = new JsonObject();
            foreach (var (id, entry) in decoder.ToArray())
            {
                decoder.Remove(id);
                renumbered[addedIds[int.Parse(id, System.Globalization.CultureInfo.InvariantCulture)].ToString(System.Globalization.CultureInfo.InvariantCulture)] = entry;
            }

            config["added_tokens_decoder"] = renumbered;
        }

        File.WriteAllText(Path.Combine(targetDirectory, "tokenizer_config.json"), config.ToJsonString(Compact));
        return next;
    }

    private static (string Left, string Right) Merge(JsonNode? node) => node switch
    {
        JsonArray pair => (pair[0]!.GetValue<string>(), pair[1]!.GetValue<string>()),
        JsonValue text when text.GetValue<string>().Split(' ') is [var left, var right] => (left, right),
        _ => throw new FormatException($"unreadable merge {node?.ToJsonString()}"),
    };
}
