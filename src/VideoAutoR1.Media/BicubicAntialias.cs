namespace VideoAutoR1.Media;

/// <summary>The two bicubic-antialias resize kernels of docs/specs/qwen-vl.md §E.4.</summary>
public enum ResizeKernel
{
    /// <summary>R1: libtorch's uint8 kernel (int16 fixed-point weights, uint8 after each pass). What the HF processor does.</summary>
    Uint8,

    /// <summary>R2: libtorch's float kernel (float32 weights and sums, one final clamp + round-half-even). What qwen-vl-utils does.</summary>
    Float,
}

/// <summary>
/// Separable Keys-cubic (a = −0.5) resize with antialias, width pass first, for interleaved RGB (HWC) uint8 frames.
/// One instance holds the weights and scratch buffers for one (input size, output size) pair and is reused for every
/// frame of a video; it is not thread-safe.
/// </summary>
public sealed class BicubicAntialias
{
    private const int Channels = 3;
    private readonly ResizeKernel _kernel;
    private readonly int _inHeight;
    private readonly int _inWidth;
    private readonly int _outHeight;
    private readonly int _outWidth;
    private readonly Axis? _horizontal;
    private readonly Axis? _vertical;

    // Per-video scratch buffers, reused frame after frame: one instance serves one video on one thread.
    private byte[]? _intermediate;
    private int[]? _intSums;
    private float[]? _floatInput;
    private float[]? _floatMiddle;
    private float[]? _floatOutput;

    public BicubicAntialias(int inHeight, int inWidth, int outHeight, int outWidth, ResizeKernel kernel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Math.Min(Math.Min(inHeight, inWidth), Math.Min(outHeight, outWidth)), 1);
        (_inHeight, _inWidth, _outHeight, _outWidth, _kernel) = (inHeight, inWidth, outHeight, outWidth, kernel);
        // An axis whose size is unchanged is skipped (its weights would be the identity anyway).
        _horizontal = inWidth == outWidth ? null : kernel == ResizeKernel.Uint8 ? Axis.Uint8(inWidth, outWidth) : Axis.Float(inWidth, outWidth);
        _vertical = inHeight == outHeight ? null : kernel == ResizeKernel.Uint8 ? Axis.Uint8(inHeight, outHeight) : Axis.Float(inHeight, outHeight);
    }

    public int OutputLength => _outHeight * _outWidth * Channels;

    /// <summary>Resizes one HWC RGB frame into <paramref name="destination"/> (HWC, <see cref="OutputLength"/> bytes).</summary>
    public void Resize(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.Length != _inHeight * _inWidth * Channels || destination.Length != OutputLength)
        {
            throw new ArgumentException("frame buffer sizes do not match the resizer");
        }

        if (_kernel == ResizeKernel.Uint8)
        {
            ResizeUint8(source, destination);
        }
        else
        {
            ResizeFloat(source, destination);
        }
    }

    private void ResizeUint8(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (_horizontal is null && _vertical is null)
        {
            source.CopyTo(destination);
            return;
        }

        if (_vertical is null)
        {
            HorizontalUint8(source, destination, _inHeight, _inWidth, _outWidth, _horizontal!);
            return;
        }

        if (_horizontal is null)
        {
            VerticalUint8(source, destination, _outHeight, _inWidth, _vertical);
            return;
        }

        // libtorch's uint8 kernel stores the horizontal pass as uint8 before the vertical pass.
        var intermediate = Scratch(ref _intermediate, _inHeight * _outWidth * Channels);
        HorizontalUint8(source, intermediate, _inHeight, _inWidth, _outWidth, _horizontal);
        VerticalUint8(intermediate, destination, _outHeight, _outWidth, _vertical);
    }

    private static void HorizontalUint8(ReadOnlySpan<byte> source, Span<byte> destination, int rows, int inWidth, int outWidth, Axis axis)
    {
        var round = 1 << (axis.Precision - 1);
        for (var y = 0; y < rows; y++)
        {
            var srcRow = source.Slice(y * inWidth * Channels, inWidth * Channels);
            var dstRow = destination.Slice(y * outWidth * Channels, outWidth * Channels);
            for (var x = 0; x < outWidth; x++)
            {
                var weights = axis.IntWeights.AsSpan(x * axis.MaxTaps, axis.Sizes[x]);
                var start = axis.Starts[x] * Channels;
                int r = round, g = round, b = round;
                for (var j = 0; j < weights.Length; j++)
                {
                    var w = weights[j];
                    var p = start + (j * Channels);
                    r += w * srcRow[p];
                    g += w * srcRow[p + 1];
                    b += w * srcRow[p + 2];
                }

                dstRow[x * Channels] = ClampToByte(r >> axis.Precision);
                dstRow[(x * Channels) + 1] = ClampToByte(g >> axis.Precision);
                dstRow[(x * Channels) + 2] = ClampToByte(b >> axis.Precision);
            }
        }
    }

    private void VerticalUint8(ReadOnlySpan<byte> source, Span<byte> destination, int outHeight, int width, Axis axis)
    {
        var round = 1 << (axis.Precision - 1);
        var rowLength = width * Channels;
        var sums = Scratch(ref _intSums, rowLength);
        for (var y = 0; y < outHeight; y++)
        {
            var weights = axis.IntWeights.AsSpan(y * axis.MaxTaps, axis.Sizes[y]);
            var start = axis.Starts[y];
            Array.Fill(sums, round);
            // Row by row keeps the reads sequential; integer sums do not depend on the order.
            for (var j = 0; j < weights.Length; j++)
            {
                var w = weights[j];
                var srcRow = source.Slice((start + j) * rowLength, rowLength);
                for (var i = 0; i < rowLength; i++)
                {
                    sums[i] += w * srcRow[i];
                }
            }

            var dstRow = destination.Slice(y * rowLength, rowLength);
            for (var i = 0; i < rowLength; i++)
            {
                dstRow[i] = ClampToByte(sums[i] >> axis.Precision);
            }
        }
    }

    private void ResizeFloat(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var plane = Scratch(ref _floatInput, source.Length);
        for (var i = 0; i < source.Length; i++)
        {
            plane[i] = source[i];
        }

        var width = _inWidth;
        if (_horizontal is not null)
        {
            var next = Scratch(ref _floatMiddle, _inHeight * _outWidth * Channels);
            HorizontalFloat(plane, next, _inHeight, _inWidth, _outWidth, _horizontal);
            plane = next;
            width = _outWidth;
        }

        if (_vertical is not null)
        {
            var next = Scratch(ref _floatOutput, _outHeight * width * Channels);
            VerticalFloat(plane, next, _outHeight, width, _vertical);
            plane = next;
        }

        // torchvision casts back to uint8 with clamp(0, 255) and round (half to even).
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (byte)MathF.Round(Math.Clamp(plane[i], 0f, 255f), MidpointRounding.ToEven);
        }
    }

    private static void HorizontalFloat(float[] source, float[] destination, int rows, int inWidth, int outWidth, Axis axis)
    {
        for (var y = 0; y < rows; y++)
        {
            var srcRow = y * inWidth * Channels;
            var dstRow = y * outWidth * Channels;
            for (var x = 0; x < outWidth; x++)
            {
                var weights = axis.FloatWeights.AsSpan(x * axis.MaxTaps, axis.Sizes[x]);
                var p = srcRow + (axis.Starts[x] * Channels);
                // libtorch's interpolate_aa_single_dim: first product, then accumulate, in float32.
                float r = source[p] * weights[0], g = source[p + 1] * weights[0], b = source[p + 2] * weights[0];
                for (var j = 1; j < weights.Length; j++)
                {
                    p += Channels;
                    r += source[p] * weights[j];
                    g += source[p + 1] * weights[j];
                    b += source[p + 2] * weights[j];
                }

                destination[dstRow + (x * Channels)] = r;
                destination[dstRow + (x * Channels) + 1] = g;
                destination[dstRow + (x * Channels) + 2] = b;
            }
        }
    }

    private static void VerticalFloat(float[] source, float[] destination, int outHeight, int width, Axis axis)
    {
        var rowLength = width * Channels;
        for (var y = 0; y < outHeight; y++)
        {
            var weights = axis.FloatWeights.AsSpan(y * axis.MaxTaps, axis.Sizes[y]);
            var first = source.AsSpan(axis.Starts[y] * rowLength, rowLength);
            var sums = destination.AsSpan(y * rowLength, rowLength);
            var w0 = weights[0];
            for (var i = 0; i < rowLength; i++)
            {
                sums[i] = first[i] * w0;
            }

            // Row by row, each output still sums its taps in libtorch's order: first product, then one add per tap.
            for (var j = 1; j < weights.Length; j++)
            {
                var w = weights[j];
                var srcRow = source.AsSpan((axis.Starts[y] + j) * rowLength, rowLength);
                for (var i = 0; i < rowLength; i++)
                {
                    sums[i] += srcRow[i] * w;
                }
            }
        }
    }

    private static T[] Scratch<T>(ref T[]? buffer, int length) => buffer is { Length: var l } && l == length ? buffer : buffer = new T[length];

    private static byte ClampToByte(int value) => (byte)Math.Clamp(value, 0, 255);

    /// <summary>Per output sample: first source sample, tap count and weights (libtorch's index ranges).</summary>
    private sealed class Axis
    {
        private const int InterpSize = 4;

        private Axis(int maxTaps, int[] starts, int[] sizes)
        {
            MaxTaps = maxTaps;
            Starts = starts;
            Sizes = sizes;
        }

        public int MaxTaps { get; }

        public int[] Starts { get; }

        public int[] Sizes { get; }

        public int[] IntWeights { get; private init; } = [];

        public float[] FloatWeights { get; private init; } = [];

        public int Precision { get; private init; }

        /// <summary>R1: weights in double, quantised to int16 at the largest precision the axis' biggest weight allows.</summary>
        public static Axis Uint8(int inSize, int outSize)
        {
            var scale = inSize / (double)outSize;
            var support = scale >= 1.0 ? InterpSize * 0.5 * scale : InterpSize * 0.5;
            var invScale = scale >= 1.0 ? 1.0 / scale : 1.0;
            var maxTaps = ((int)Math.Ceiling(support) * 2) + 1;
            var weights = new double[outSize * maxTaps];
            var (starts, sizes) = (new int[outSize], new int[outSize]);
            var wMax = 0.0;
            for (var i = 0; i < outSize; i++)
            {
                var center = scale * (i + 0.5);
                var xmin = Math.Max((long)(center - support + 0.5), 0);
                var xsize = Math.Clamp(Math.Min((long)(center + support + 0.5), inSize) - xmin, 0, maxTaps);
                var total = 0.0;
                for (var j = 0; j < xsize; j++)
                {
                    var w = Cubic((j + xmin - center + 0.5) * invScale);
                    weights[(i * maxTaps) + j] = w;
                    total += w;
                }

                for (var j = 0; j < xsize && total != 0.0; j++)
                {
                    weights[(i * maxTaps) + j] /= total;
                    wMax = Math.Max(wMax, weights[(i * maxTaps) + j]);
                }

                starts[i] = (int)xmin;
                sizes[i] = (int)xsize;
            }

            var precision = 0;
            while (precision < 22 && (int)(0.5 + (wMax * (1 << (precision + 1)))) < (1 << 15))
            {
                precision++;
            }

            var quantised = Array.ConvertAll(weights, w => (int)(short)Math.Round(w * (1 << precision), MidpointRounding.AwayFromZero));
            return new Axis(maxTaps, starts, sizes) { IntWeights = quantised, Precision = precision };
        }

        /// <summary>R2: libtorch's float kernel computes the weights in float32 with its mixed float/double promotions.</summary>
        public static Axis Float(int inSize, int outSize)
        {
            var scale = inSize / (float)outSize;
            var support = scale >= 1.0 ? (float)(InterpSize * 0.5 * scale) : (float)(InterpSize * 0.5);
            var invScale = scale >= 1.0 ? (float)(1.0 / scale) : 1.0f;
            var maxTaps = ((int)Math.Ceiling(support) * 2) + 1;
            var weights = new float[outSize * maxTaps];
            var (starts, sizes) = (new int[outSize], new int[outSize]);
            for (var i = 0; i < outSize; i++)
            {
                var center = (float)(scale * (i + 0.5));
                var xmin = Math.Max((long)((double)(center - support) + 0.5), 0);
                var xsize = Math.Clamp(Math.Min((long)((double)(center + support) + 0.5), inSize) - xmin, 0, maxTaps);
                var total = 0.0f;
                for (var j = 0; j < xsize; j++)
                {
                    var w = CubicFloat((float)(((double)((j + xmin) - center) + 0.5) * invScale));
                    weights[(i * maxTaps) + j] = w;
                    total += w;
                }

                for (var j = 0; j < xsize && total != 0.0f; j++)
                {
                    weights[(i * maxTaps) + j] /= total;
                }

                starts[i] = (int)xmin;
                sizes[i] = (int)xsize;
            }

            return new Axis(maxTaps, starts, sizes) { FloatWeights = weights };
        }

        private static double Cubic(double x)
        {
            const double a = -0.5;
            x = Math.Abs(x);
            return x < 1.0 ? ((((a + 2) * x) - (a + 3)) * x * x) + 1
                : x < 2.0 ? ((((a * x) - (5 * a)) * x) + (8 * a)) * x - (4 * a)
                : 0.0;
        }

        private static float CubicFloat(float x)
        {
            const float a = -0.5f;
            x = MathF.Abs(x);
            return x < 1.0f ? ((((a + 2) * x) - (a + 3)) * x * x) + 1
                : x < 2.0f ? ((((a * x) - (5 * a)) * x) + (8 * a)) * x - (4 * a)
                : 0.0f;
        }
    }
}
