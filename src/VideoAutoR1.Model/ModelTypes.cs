using TorchSharp;

namespace VideoAutoR1.Model;

/// <summary>A video (or image, T = 1) grid in patch units: temporal groups x patch rows x patch columns.</summary>
public sealed record GridThw(int T, int H, int W)
{
    /// <summary>Patch rows this item contributes to <c>pixel_values_videos</c>.</summary>
    public long Patches => (long)T * H * W;

    /// <summary>LLM tokens (<c>&lt;|video_pad|&gt;</c>) after the 2x2 merge.</summary>
    public long Tokens(int spatialMergeSize) => Patches / (spatialMergeSize * spatialMergeSize);
}

/// <summary>Which transformers version's <c>get_rope_index</c> to reproduce (see docs/specs/qwen-vl.md §D.3 and §I).</summary>
public enum RopeIndexRule
{
    /// <summary>HF 4.57 (VideoAuto-R1's pin): text after a video at max+1, <c>second_per_grid_ts</c> truncated to int.</summary>
    Legacy,

    /// <summary>HF 5.16: text after a video at start + max(h', w'), <c>second_per_grid_ts</c> truncated to int.</summary>
    Current,

    /// <summary>Original Qwen / vLLM: text after a video at max+1, temporal index floor(k * s * tokens_per_second).</summary>
    FloatInterval,
}

/// <summary>How to materialise the weights.</summary>
public sealed record ModelLoadOptions(
    torch.ScalarType DType = torch.ScalarType.Float32,
    string Device = "cpu",
    RopeIndexRule RopeRule = RopeIndexRule.Legacy)
{
    public void Validate()
    {
        if (DType is not (torch.ScalarType.Float32 or torch.ScalarType.BFloat16 or torch.ScalarType.Float16))
        {
            throw new ArgumentException($"DType {DType} is not supported: use Float32, BFloat16 or Float16", nameof(DType));
        }

        _ = new torch.Device(Device);
    }
}

/// <summary>
/// 3-D rotary positions of one prompt: <see cref="PositionIds"/> is [3, L] (rows t, h, w). A token decoded when the
/// cache holds <c>n</c> tokens sits at <c>n + RopeDelta</c> on all three rows.
/// </summary>
public sealed record RopeIndex(long[,] PositionIds, long RopeDelta)
{
    public int Length => PositionIds.GetLength(1);

    /// <summary>Text-only prompt: positions 0..L-1 on all rows, delta 0.</summary>
    public static RopeIndex Sequential(int length)
    {
        var ids = new long[3, length];
        for (var i = 0; i < length; i++)
        {
            ids[0, i] = ids[1, i] = ids[2, i] = i;
        }

        return new RopeIndex(ids, 0);
    }
}

/// <summary>One sequence of a batched prefill: its cache slot, prompt ids, video embeddings for its pad tokens, positions.</summary>
public sealed record PrefillInput(int Slot, long[] InputIds, torch.Tensor? VideoEmbeds, RopeIndex Positions);
