using TorchSharp;
using static TorchSharp.torch;

namespace VideoAutoR1.Model;

/// <summary>
/// Preallocated key/value cache: per layer [slots, kvHeads, maxTokens, headDim] for keys and values. A sequence rents
/// a slot, prefill and decode append to it, and its length and rope delta live here. Memory is zeroed so masked
/// positions never hold NaN.
/// </summary>
public sealed class KvCachePool : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;
    private readonly int[] _lengths;
    private readonly long[] _ropeDeltas;
    private readonly bool[] _rented;
    private readonly Stack<int> _free;

    public KvCachePool(Qwen2_5_VLConfig config, int maxSequences, int maxTokensPerSequence, ScalarType dtype, string device = "cpu")
        : this(config.Text, maxSequences, maxTokensPerSequence, dtype, device)
    {
    }

    /// <summary>A pool shaped for a decoder of either family (layers x kv heads x head_dim).</summary>
    public KvCachePool(Qwen2_5_VLTextConfig text, int maxSequences, int maxTokensPerSequence, ScalarType dtype, string device = "cpu")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequences, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokensPerSequence, 1);
        var shape = new long[] { maxSequences, text.NumKeyValueHeads, maxTokensPerSequence, text.HeadDim };
        var target = new Device(device);
        _keys = new Tensor[text.NumHiddenLayers];
        _values = new Tensor[text.NumHiddenLayers];
        try
        {
            for (var i = 0; i < text.NumHiddenLayers; i++)
            {
                _keys[i] = zeros(shape, dtype, target).DetachFromDisposeScope();
                _values[i] = zeros(shape, dtype, target).DetachFromDisposeScope();
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        DType = dtype;
        MaxSequences = maxSequences;
        MaxTokensPerSequence = maxTokensPerSequence;
        _lengths = new int[maxSequences];
        _ropeDeltas = new long[maxSequences];
        _rented = new bool[maxSequences];
        _free = new Stack<int>(Enumerable.Range(0, maxSequences).Reverse());
        BytesAllocated = 2L * text.NumHiddenLayers * shape.Aggregate(1L, (a, b) => a * b) * _keys[0].ElementSize;
    }

    public ScalarType DType { get; }
    public int MaxSequences { get; }
    public int MaxTokensPerSequence { get; }
    public int FreeSlots => _free.Count;
    public long BytesAllocated { get; }

    /// <summary>Takes a free slot (length 0); throws <c>kv_cache_exhausted</c> when none is free.</summary>
    public int Rent()
    {
        if (!_free.TryPop(out var slot))
        {
            throw new Core.VideoQaException(Core.ErrorKind.Overloaded, ModelErrors.CacheExhausted,
                $"all {MaxSequences} KV cache slots are in use");
        }

        _rented[slot] = true;
        _lengths[slot] = 0;
        _ropeDeltas[slot] = 0;
        return slot;
    }

    public void Release(int slot)
    {
        CheckRented(slot);
        _rented[slot] = false;
        _lengths[slot] = 0;
        _free.Push(slot);
    }

    /// <summary>Tokens cached in the slot.</summary>
    public int Length(int slot)
    {
        CheckRented(slot);
        return _lengths[slot];
    }

    /// <summary>Decode position offset: a token fed with <c>Length</c> cached tokens sits at Length + RopeDelta.</summary>
    public long RopeDelta(int slot)
    {
        CheckRented(slot);
        return _ropeDeltas[slot];
    }

    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values))
        {
            t?.Dispose();
        }
    }

    internal Tensor Keys(int layer) => _keys[layer];

    internal Tensor Values(int layer) => _values[layer];

    internal void Advance(int slot, int tokens, long? ropeDelta)
    {
        _lengths[slot] += tokens;
        if (ropeDelta is { } delta)
        {
            _ropeDeltas[slot] = delta;
        }
    }

    /// <summary>Checks that the slot is rented and can take <paramref name="tokens"/> more.</summary>
    internal void CheckCapacity(int slot, int tokens)
    {
        CheckRented(slot);
        if (_lengths[slot] + tokens > MaxTokensPerSequence)
        {
            throw new Core.VideoQaException(Core.ErrorKind.TooLarge, ModelErrors.CacheExhausted,
                $"slot {slot} holds {_lengths[slot]} tokens; {tokens} more exceed the {MaxTokensPerSequence}-token limit");
        }
    }

    private void CheckRented(int slot)
    {
        if (slot < 0 || slot >= MaxSequences || !_rented[slot])
        {
            throw new ArgumentException($"KV cache slot {slot} is not rented", nameof(slot));
        }
    }
}
