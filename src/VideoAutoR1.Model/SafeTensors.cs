using System.Buffers.Binary;
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
    /// between F32, F16 and BF16 on the fly; other dtypes must match.
    /// </summary>
    public void ReadInto(SafeTensorEntry entry, Tensor destination)
    {
        if (destination.device_type != DeviceType.CPU)
        {
            using var onCpu = empty(destination.shape, destination.dtype);
            ReadInto(entry, onCpu);
            destination.copy_(onCpu);
            return;
        }

        if (!destination.is_contiguous() || destination.numel() != entry.Elements)
        {
            throw new ArgumentException($"destination for '{entry.Name}' must be contiguous with {entry.Elements} elements");
        }

        var source = DTypes[entry.DType];
        if (source.Type != destination.dtype && !(IsFloat(source.Type) && IsFloat(destination.dtype)))
        {
            throw ModelErrors.Model(ModelErrors.CheckpointDtypeUnsupported,
                $"{Path}: tensor '{entry.Name}' has dtype {entry.DType}, which cannot be loaded as {destination.dtype}");
        }

        // Same dtype: bytes go straight into the destination. Otherwise they pass through a small staging tensor and
        // libtorch's cast (round-to-nearest-even, exactly what torch's .to(dtype) does).
        using var flat = destination.view(-1);
        var elementsPerChunk = ChunkBytes / source.Size;
        using var staging = source.Type == destination.dtype ? null : empty(elementsPerChunk, source.Type);
        for (long done = 0; done < entry.Elements; done += elementsPerChunk)
        {
            var count = (int)Math.Min(elementsPerChunk, entry.Elements - done);
            using var chunk = flat.narrow(0, done, count);
            var fileOffset = entry.Offset + done * source.Size;
            if (staging is null)
            {
                ReadExactly(chunk.bytes, fileOffset, entry);
            }
            else
            {
                using var raw = staging.narrow(0, 0, count);
                ReadExactly(raw.bytes, fileOffset, entry);
                chunk.copy_(raw);
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

    private static bool IsFloat(ScalarType type) => type is ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16;
}
