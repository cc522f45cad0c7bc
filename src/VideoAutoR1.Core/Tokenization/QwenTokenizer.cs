using System.Text;
using Microsoft.ML.Tokenizers;

namespace VideoAutoR1.Core.Tokenization;

/// <summary>
/// The Qwen2/2.5/3(-VL) tokenizer from a checkpoint's <c>tokenizer.json</c>, matching Hugging Face <c>tokenizers</c>
/// id for id: added tokens are cut out first (leftmost-longest, special or not), each remaining stretch is
/// normalised (NFC), split by the pre-tokenizer regex and encoded by byte-level BPE (Microsoft.ML.Tokenizers).
/// Thread-safe; load once and share.
/// </summary>
public sealed class QwenTokenizer
{
    private readonly BpeTokenizer _bpe;
    private readonly UnicodeNormalizer? _normalizer;
    private readonly AddedTokenMatcher _rawAddedTokens;
    private readonly AddedTokenMatcher _normalizedAddedTokens;
    private readonly Dictionary<string, int> _tokenToId;
    private readonly byte[]?[] _idToBytes;
    private readonly bool[] _isSpecial;

    private QwenTokenizer(TokenizerJson json)
    {
        _normalizer = json.Normalizer;
        _bpe = BpeTokenizer.Create(new BpeOptions(json.Vocabulary)
        {
            Merges = json.Merges,
            ByteLevel = true,
            PreTokenizer = new IsolatedRegexPreTokenizer(json.SplitPattern),
        });
        _rawAddedTokens = new AddedTokenMatcher(json.AddedTokens.Where(t => !t.Normalized));
        _normalizedAddedTokens = new AddedTokenMatcher(json.AddedTokens.Where(t => t.Normalized));

        _tokenToId = new Dictionary<string, int>(json.Vocabulary.Count + json.AddedTokens.Count, StringComparer.Ordinal);
        foreach (var (token, id) in json.Vocabulary)
        {
            _tokenToId[token] = id;
        }

        foreach (var token in json.AddedTokens)
        {
            _tokenToId[token.Content] = token.Id;
        }

        VocabularySize = _tokenToId.Values.Max() + 1;
        _idToBytes = new byte[]?[VocabularySize];
        _isSpecial = new bool[VocabularySize];
        foreach (var (token, id) in json.Vocabulary)
        {
            _idToBytes[id] = ByteLevel.TokenBytes(token);
        }

        foreach (var token in json.AddedTokens)
        {
            _idToBytes[token.Id] = ByteLevel.TokenBytes(token.Content);
            _isSpecial[token.Id] = token.Special;
        }

        Special = new QwenSpecialTokens(
            Require("<|im_start|>"),
            Require("<|im_end|>"),
            Require("<|endoftext|>"),
            Require("<|vision_start|>"),
            Require("<|vision_end|>"),
            Require("<|video_pad|>"),
            Require("<|image_pad|>"),
            AddedId(json, "<think>"),
            AddedId(json, "</think>"));
        EndOfSequence = json.EosToken is { } eos && TokenToId(eos) is { } eosId ? eosId : Special.ImEnd;
        ModelMaxLength = json.ModelMaxLength;
    }

    /// <summary>Highest id + 1, added tokens included.</summary>
    public int VocabularySize { get; }

    public QwenSpecialTokens Special { get; }

    /// <summary>The <c>eos_token</c> of <c>tokenizer_config.json</c> (<c>&lt;|im_end|&gt;</c> when absent).</summary>
    public int EndOfSequence { get; }

    /// <summary><c>model_max_length</c> of <c>tokenizer_config.json</c>, when given.</summary>
    public int? ModelMaxLength { get; }

    /// <summary>Loads <c>tokenizer.json</c> (+ <c>tokenizer_config.json</c> when present) from a checkpoint directory.</summary>
    public static QwenTokenizer Load(string directory)
    {
        var json = TokenizerJson.Load(directory);
        try
        {
            return new QwenTokenizer(json);
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException or FormatException)
        {
            // Microsoft.ML.Tokenizers rejects e.g. merges that name tokens missing from the vocabulary.
            throw new VideoQaException(ErrorKind.InvalidArgument, "tokenizer_invalid", $"tokenizer.json in '{directory}' is inconsistent: {error.Message}", error);
        }
    }

    /// <summary>Token ids without BOS/EOS. Added tokens (e.g. <c>&lt;|im_start|&gt;</c>) in the text become single ids.</summary>
    /// <exception cref="VideoQaException"><c>invalid_text_encoding</c> when the text holds an unpaired surrogate.</exception>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!UnicodeText.IsWellFormed(text))
        {
            throw new VideoQaException(ErrorKind.InvalidArgument, "invalid_text_encoding", "text contains an unpaired UTF-16 surrogate");
        }

        var ids = new List<int>(text.Length / 3 + 4);
        foreach (var (token, start, length) in _rawAddedTokens.Split(text))
        {
            if (token is not null)
            {
                ids.Add(token.Id);
                continue;
            }

            var segment = text.Substring(start, length);
            if (_normalizer is not null)
            {
                segment = _normalizer.Normalize(segment);
            }

            foreach (var (normalizedToken, innerStart, innerLength) in _normalizedAddedTokens.Split(segment))
            {
                if (normalizedToken is not null)
                {
                    ids.Add(normalizedToken.Id);
                }
                else
                {
                    ids.AddRange(_bpe.EncodeToIds(segment.AsSpan(innerStart, innerLength), considerPreTokenization: true, considerNormalization: false));
                }
            }
        }

        return [.. ids];
    }

    /// <summary>
    /// Text of the ids, as Hugging Face decodes: bytes of all tokens concatenated, then UTF-8 with U+FFFD for invalid
    /// sequences. Unknown ids are skipped; <paramref name="skipSpecialTokens"/> drops added tokens marked special
    /// (so <c>&lt;think&gt;</c>, a non-special added token, stays).
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var buffer = new List<byte>();
        foreach (var id in ids)
        {
            if (TokenBytes(id, skipSpecialTokens) is { } bytes)
            {
                buffer.AddRange(bytes);
            }
        }

        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(buffer));
    }

    public int? TokenToId(string token) => _tokenToId.TryGetValue(token, out var id) ? id : null;

    /// <summary>Whether the id is an added token marked <c>special</c> (dropped by <c>skipSpecialTokens</c>).</summary>
    public bool IsSpecial(int id) => (uint)id < (uint)_isSpecial.Length && _isSpecial[id];

    /// <summary>The bytes one token contributes to decoded text; null for unknown ids and skipped special tokens.</summary>
    internal byte[]? TokenBytes(int id, bool skipSpecialTokens) =>
        (uint)id >= (uint)_idToBytes.Length || (skipSpecialTokens && _isSpecial[id]) ? null : _idToBytes[id];

    private static int? AddedId(TokenizerJson json, string content) =>
        json.AddedTokens.FirstOrDefault(t => t.Content == content)?.Id;

    private int Require(string token) =>
        TokenToId(token) ?? throw new VideoQaException(
            ErrorKind.InvalidArgument, "tokenizer_unsupported", $"tokenizer.json has no {token} token; not a Qwen tokenizer");
}
