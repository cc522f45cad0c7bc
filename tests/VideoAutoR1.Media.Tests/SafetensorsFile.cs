using System.Text.Json;

namespace VideoAutoR1.Media.Tests;

/// <summary>Minimal safetensors reader: an 8-byte little-endian header length, a JSON header, then raw tensor bytes.</summary>
internal sealed class SafetensorsFile
{
    private readonly byte[] _data;
    private readonly long _dataStart;
    private readonly Dictionary<string, (string Dtype, long[] Shape, long Begin, long End)> _tensors = new(StringComparer.Ordinal);

    public SafetensorsFile(string path)
    {
        _data = File.ReadAllBytes(path);
        var headerLength = BitConverter.ToInt64(_data, 0);
        _dataStart = 8 + headerLength;
        using var header = JsonDocument.Parse(_data.AsMemory(8, (int)headerLength));
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                continue;
            }

            var offsets = entry.Value.GetProperty("data_offsets");
            _tensors[entry.Name] = (
                entry.Value.GetProperty("dtype").GetString()!,
                entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
                offsets[0].GetInt64(),
                offsets[1].GetInt64());
        }
    }

    public long[] Shape(string name) => _tensors[name].Shape;

    public byte[] UInt8(string name) => Bytes(name, "U8").ToArray();

    public float[] Float32(string name) => Cast<float>(name, "F32");

    public long[] Int64(string name) => Cast<long>(name, "I64");

    private T[] Cast<T>(string name, string dtype)
        where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(Bytes(name, dtype)).ToArray();

    private ReadOnlySpan<byte> Bytes(string name, string dtype)
    {
        var (actual, _, begin, end) = _tensors[name];
        Assert.Equal(dtype, actual);
        return _data.AsSpan((int)(_dataStart + begin), (int)(end - begin));
    }
}
