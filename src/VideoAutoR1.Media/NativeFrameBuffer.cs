using System.Buffers;
using System.Runtime.InteropServices;

namespace VideoAutoR1.Media;

/// <summary>
/// A frame buffer in native memory, freed on dispose. Decoded frames can be hundreds of megabytes: as managed arrays
/// they would land on the large object heap (or stay in a shared pool) long after the request; native blocks of
/// that size are returned to the operating system when freed.
/// </summary>
internal sealed unsafe class NativeFrameBuffer : MemoryManager<byte>
{
    private readonly int _length;
    private byte* _pointer;

    public NativeFrameBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        _length = length;
        _pointer = (byte*)NativeMemory.Alloc((nuint)length);
    }

    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_pointer is null, this);
        return new Span<byte>(_pointer, _length);
    }

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_pointer is null, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)_length);
        return new MemoryHandle(_pointer + elementIndex);
    }

    public override void Unpin()
    {
        // Native memory never moves.
    }

    protected override void Dispose(bool disposing)
    {
        if (_pointer is not null)
        {
            NativeMemory.Free(_pointer);
            _pointer = null;
        }
    }
}
