using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace VideoAutoR1.Model;

/// <summary>One tensor entry of a safetensors header; <see cref="Offset"/> is absolute in the file.</summary>
public sealed record SafeTensorEntry(string Name, string DType, long[] Shape, long Offset, long ByteLength)
{
    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// Reader for the safetensors format (8-byte little-endian header length, JSON header, raw data). The header is
/// validated against the file size before anything is read, and tensors are read straight into a destination
/// tensor's storage with positioned reads: the file is never held in a managed array.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    // Header ceiling from the reference implementation (100 MB): a larger length is a corrupt file.
    private const long MaxHeaderBytes = 100_000_000;
    private const int ChunkBytes = 8 << 20;

    private static readonly Dictionary<string, (int Size, ScalarType Type)> DTypes = new(StringComparer.Ordinal)
    {
        ["F32"] = (4, ScalarType.Float32),
        ["F16"] = (2, ScalarType.Float16),
        ["BF16"] = (2, ScalarType.BFloat16),
        ["F64"] = (8, ScalarType.Float64),
        ["I64"] = (8, ScalarType.Int64),
        ["I32"] = (4, ScalarType.Int32),
        ["I16"] = (2, ScalarType.Int16),
        ["I8"] = (1, ScalarType.Int8),
        ["U8"] = (1, ScalarType.Byte),
        ["BOOL"] = (1, ScalarType.Bool),
    };

    private readonly SafeFileHandle _handle;

    private SafeTensorsFile(string path, SafeFileHandle handle, Dictionary<string, SafeTensorEntry> entries)
    {
        Path = path;
        _handle = handle;
        Entries = entries;
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, SafeTensorEntry> Entries { get; }

    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path))
        {
            throw ModelErrors.Model(ModelErrors.CheckpointMissing, $"checkpoint file '{path}' does not exist");
        }

        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            return new SafeTensorsFile(path, handle, ReadHeader(path, handle));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public static ScalarType ScalarTypeOf(string dtype) => DTypes[dtype].Type;

    public SafeTensorEntry Get(string name) =>
        Entries.TryGetValue(name, out var entry)
            ? entry
            : throw ModelErrors.Model(ModelErrors.CheckpointMismatch, $"{Path}: no tensor named '{name}'");

    /// <summary>Reads a tensor into a new CPU tensor of its stored dtype.</summary>
    public Tensor Read(string name)
    {
        var entry = Get(name);
        var tensor = empty(entry.Shape, DTypes[entry.DType].Type);
        try
        {
            ReadInto(entry, tensor);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Fills <paramref name="destination"/> (contiguous, same element count) from the entry. Float data is converted
    /// between F32, F16 and BF16 on the fly (round-to-nearest-even, as torch's casts); other dtypes must match.
    /// </summary>
    public void ReadInto(SafeTensorEntry entry, Tensor destination)
    {
        if (destination.device_type != DeviceType.CPU)
        {
            using var staging = empty(destination.shape, destination.dtype);
            ReadInto(entry, staging);
            destination.copy_(staging);
            return;
        }

        if (!destination.is_contiguous() || destination.numel() != entry.Elements)
        {
            throw new ArgumentException($"destination for '{entry.Name}' must be contiguous with {entry.Elements} elements");
        }

        var source = DTypes[entry.DType];
        var converter = ElementConverter.For(source.Type, destination.dtype)
            ?? throw ModelErrors.Model(ModelErrors.CheckpointDtypeUnsupported,
                $"{Path}: tensor '{entry.Name}' has dtype {entry.DType}, which cannot be loaded as {destination.dtype}");

        using var flat = destination.view(-1);
        var targetSize = (int)destination.ElementSize;
        var elementsPerChunk = ChunkBytes / Math.Max(source.Size, targetSize);
        var buffer = converter.IsCopy ? null : ArrayPool<byte>.Shared.Rent(elementsPerChunk * source.Size);
        try
        {
            for (long done = 0; done < entry.Elements; done += elementsPerChunk)
            {
                var count = (int)Math.Min(elementsPerChunk, entry.Elements - done);
                using var chunk = flat.narrow(0, done, count);
                var target = chunk.bytes;
                var fileOffset = entry.Offset + done * source.Size;
                if (converter.IsCopy)
                {
                    ReadExactly(target, fileOffset, entry);
                }
                else
                {
                    var raw = buffer.AsSpan(0, count * source.Size);
                    ReadExactly(raw, fileOffset, entry);
                    converter.Convert(raw, target);
                }
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    public void Dispose() => _handle.Dispose();

    /// <summary>Writes tensors (contiguous, any device) as one safetensors file, header padded to 8 bytes.</summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        var list = tensors.ToList();
        var names = DTypes.ToDictionary(kv => kv.Value.Type, kv => kv.Key);
        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        long offset = 0;
        foreach (var (name, tensor) in list)
        {
            var bytes = tensor.numel() * tensor.ElementSize;
            header[name] = new { dtype = names[tensor.dtype], shape = tensor.shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }

        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        var padded = (json.Length + 7) / 8 * 8;
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, padded);
        stream.Write(length);
        stream.Write(json);
        stream.Write(Enumerable.Repeat((byte)' ', padded - json.Length).ToArray());
        foreach (var (_, tensor) in list)
        {
            using var cpu = tensor.detach().cpu().contiguous();
            using var flat = cpu.view(-1);
            var perChunk = Math.Max(1, ChunkBytes / (int)cpu.ElementSize);
            for (long done = 0; done < flat.numel(); done += perChunk)
            {
                using var chunk = flat.narrow(0, done, Math.Min(perChunk, flat.numel() - done));
                stream.Write(chunk.bytes);
            }
        }
    }

    private void ReadExactly(Span<byte> target, long offset, SafeTensorEntry entry)
    {
        while (target.Length > 0)
        {
            var read = RandomAccess.Read(_handle, target, offset);
            if (read == 0)
            {
                throw ModelErrors.Model(ModelErrors.CheckpointCorrupt, $"{Path}: file ends inside tensor '{entry.Name}'");
            }

            target = target[read..];
            offset += read;
        }
    }

    private static Dictionary<string, SafeTensorEntry> ReadHeader(string path, SafeFileHandle handle)
    {
        Core.VideoQaException Corrupt(string problem) => ModelErrors.Model(ModelErrors.CheckpointCorrupt, $"{path}: {problem}");
        var fileLength = RandomAccess.GetLength(handle);
        Span<byte> lengthBytes = stackalloc byte[8];
        if (fileLength < 8 || RandomAccess.Read(handle, lengthBytes, 0) != 8)
        {
            throw Corrupt("shorter than the 8-byte header length");
        }

        var headerLength = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > fileLength)
        {
            throw Corrupt($"header length {headerLength} does not fit in the file ({fileLength} bytes)");
        }

        var headerBytes = new byte[headerLength];
        if (RandomAccess.Read(handle, headerBytes, 8) != headerLength)
        {
            throw Corrupt("file ends inside the header");
        }

        JsonElement root;
        try
        {
            root = JsonDocument.Parse(headerBytes).RootElement;
        }
        catch (JsonException error)
        {
            throw Corrupt($"header is not valid JSON ({error.Message})");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Corrupt("header is not a JSON object");
        }

        var dataStart = 8 + headerLength;
        var dataLength = fileLength - dataStart;
        var entries = new Dictionary<string, SafeTensorEntry>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                continue;
            }

            entries[property.Name] = ParseEntry(property, dataStart, dataLength, Corrupt, path);
        }

        // Tensors must not overlap: a header whose ranges overlap is lying about its offsets.
        var ordered = entries.Values.OrderBy(e => e.Offset).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            if (ordered[i].Offset < ordered[i - 1].Offset + ordered[i - 1].ByteLength)
            {
                throw Corrupt($"tensors '{ordered[i - 1].Name}' and '{ordered[i].Name}' overlap in the data section");
            }
        }

        return entries;
    }

    private static SafeTensorEntry ParseEntry(
        JsonProperty property, long dataStart, long dataLength, Func<string, Core.VideoQaException> corrupt, string path)
    {
        var name = property.Name;
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
        {
            throw corrupt($"tensor '{name}' needs dtype, shape and two data_offsets");
        }

        var dtype = dtypeElement.GetString()!;
        if (!DTypes.TryGetValue(dtype, out var info))
        {
            throw ModelErrors.Model(ModelErrors.CheckpointDtypeUnsupported, $"{path}: tensor '{name}' has unsupported dtype {dtype}");
        }

        var shape = shapeElement.EnumerateArray()
            .Select(d => d.TryGetInt64(out var v) && v >= 0 ? v : throw corrupt($"tensor '{name}' has an invalid shape"))
            .ToArray();
        var begin = offsetsElement[0].TryGetInt64(out var b) ? b : -1;
        var end = offsetsElement[1].TryGetInt64(out var e) ? e : -1;
        var elements = shape.Aggregate(1L, (x, y) => x * y);
        if (begin < 0 || end < begin || end - begin != elements * info.Size)
        {
            throw corrupt($"tensor '{name}' data_offsets [{begin}, {end}] do not match {dtype} shape [{string.Join(", ", shape)}] ({elements * info.Size} bytes)");
        }

        if (end > dataLength)
        {
            throw corrupt($"tensor '{name}' ends at byte {end} of the data section but the file has only {dataLength} data bytes (truncated?)");
        }

        return new SafeTensorEntry(name, dtype, shape, dataStart + begin, end - begin);
    }

    /// <summary>Element-wise conversion between the float formats a checkpoint may hold and the model dtype.</summary>
    private sealed class ElementConverter
    {
        private readonly SpanAction? _convert;

        private delegate void SpanAction(ReadOnlySpan<byte> source, Span<byte> target);

        private ElementConverter(SpanAction? convert) => _convert = convert;

        public bool IsCopy => _convert is null;

        public void Convert(ReadOnlySpan<byte> source, Span<byte> target) => _convert!(source, target);

        public static ElementConverter? For(ScalarType from, ScalarType to)
        {
            if (from == to)
            {
                return new ElementConverter(null);
            }

            Func<ReadOnlySpan<byte>, int, float>? read = from switch
            {
                ScalarType.Float32 => (s, i) => MemoryMarshal.Cast<byte, float>(s)[i],
                ScalarType.BFloat16 => (s, i) => BitConverter.Int32BitsToSingle(MemoryMarshal.Cast<byte, ushort>(s)[i] << 16),
                ScalarType.Float16 => (s, i) => (float)MemoryMarshal.Cast<byte, Half>(s)[i],
                _ => null,
            };
            if (read is null)
            {
                return null;
            }

            return to switch
            {
                ScalarType.Float32 => new ElementConverter((s, t) =>
                {
                    var target = MemoryMarshal.Cast<byte, float>(t);
                    for (var i = 0; i < target.Length; i++)
                    {
                        target[i] = read(s, i);
                    }
                }),
                ScalarType.BFloat16 => new ElementConverter((s, t) =>
                {
                    var target = MemoryMarshal.Cast<byte, ushort>(t);
                    for (var i = 0; i < target.Length; i++)
                    {
                        target[i] = ToBFloat16(read(s, i));
                    }
                }),
                ScalarType.Float16 => new ElementConverter((s, t) =>
                {
                    var target = MemoryMarshal.Cast<byte, Half>(t);
                    for (var i = 0; i < target.Length; i++)
                    {
                        target[i] = (Half)read(s, i);
                    }
                }),
                _ => null,
            };
        }

        // c10::BFloat16 round_to_nearest_even.
        private static ushort ToBFloat16(float value)
        {
            if (float.IsNaN(value))
            {
                return 0x7FC0;
            }

            var bits = BitConverter.SingleToUInt32Bits(value);
            return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
        }
    }
}
