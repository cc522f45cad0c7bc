using System.Buffers.Binary;
using System.Text;

namespace VideoAutoR1.Build.Tests;

/// <summary>
/// Writes minimal 64-bit little-endian ELF files holding only what the patcher reads: a section header table,
/// a string table, and a GNU version-needs (.gnu.version_r) or version-definitions (.gnu.version_d) section.
/// </summary>
internal static class CraftedElf
{
    private const uint ShtStrtab = 3;
    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>A library needing <paramref name="versions"/> from libstdc++.so.6; (name, flags) per entry.</summary>
    public static byte[] Requiring(params (string Name, ushort Flags)[] versions)
    {
        var strings = new StringTable();
        var file = strings.Add("libstdc++.so.6");
        var section = new byte[16 + 16 * versions.Length];
        // Elf64_Verneed: vn_version, vn_cnt, vn_file, vn_aux, vn_next
        BinaryPrimitives.WriteUInt16LittleEndian(section.AsSpan(0), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(section.AsSpan(2), (ushort)versions.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(section.AsSpan(4), file);
        BinaryPrimitives.WriteUInt32LittleEndian(section.AsSpan(8), 16);
        for (var i = 0; i < versions.Length; i++)
        {
            // Elf64_Vernaux: vna_hash, vna_flags, vna_other, vna_name, vna_next
            var aux = section.AsSpan(16 + 16 * i);
            BinaryPrimitives.WriteUInt32LittleEndian(aux, 0x0297f862u + (uint)i);
            BinaryPrimitives.WriteUInt16LittleEndian(aux[4..], versions[i].Flags);
            BinaryPrimitives.WriteUInt16LittleEndian(aux[6..], (ushort)(i + 2));
            BinaryPrimitives.WriteUInt32LittleEndian(aux[8..], strings.Add(versions[i].Name));
            BinaryPrimitives.WriteUInt32LittleEndian(aux[12..], i + 1 < versions.Length ? 16u : 0u);
        }

        return Assemble(strings, ShtGnuVerneed, section, versions.Length == 0 ? 0 : 1);
    }

    /// <summary>A libstdc++ stand-in that defines <paramref name="versions"/>.</summary>
    public static byte[] Defining(params string[] versions)
    {
        var strings = new StringTable();
        var section = new byte[28 * versions.Length];
        for (var i = 0; i < versions.Length; i++)
        {
            // Elf64_Verdef (20 bytes): vd_version, vd_flags, vd_ndx, vd_cnt, vd_hash, vd_aux, vd_next; then Elf64_Verdaux (8)
            var def = section.AsSpan(28 * i);
            BinaryPrimitives.WriteUInt16LittleEndian(def, 1);
            BinaryPrimitives.WriteUInt16LittleEndian(def[4..], (ushort)(i + 1));
            BinaryPrimitives.WriteUInt16LittleEndian(def[6..], 1);
            BinaryPrimitives.WriteUInt32LittleEndian(def[12..], 20);
            BinaryPrimitives.WriteUInt32LittleEndian(def[16..], i + 1 < versions.Length ? 28u : 0u);
            BinaryPrimitives.WriteUInt32LittleEndian(def[20..], strings.Add(versions[i]));
        }

        return Assemble(strings, ShtGnuVerdef, section, versions.Length);
    }

    // Layout: ELF header (64) | string table | version section | section headers [null, strtab, version].
    private static byte[] Assemble(StringTable strings, uint versionType, byte[] versionSection, int entries)
    {
        var stringBytes = strings.ToArray();
        var stringOffset = 64;
        var versionOffset = stringOffset + stringBytes.Length;
        var headerOffset = (versionOffset + versionSection.Length + 7) & ~7;
        var image = new byte[headerOffset + 3 * 64];

        image[0] = 0x7f;
        image[1] = (byte)'E';
        image[2] = (byte)'L';
        image[3] = (byte)'F';
        image[4] = 2; // ELFCLASS64
        image[5] = 1; // little-endian
        image[6] = 1; // EV_CURRENT
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x10), 3); // ET_DYN
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x12), 62); // EM_X86_64
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(0x28), (ulong)headerOffset);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x34), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x3a), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x3c), 3);

        stringBytes.CopyTo(image, stringOffset);
        versionSection.CopyTo(image, versionOffset);
        WriteSectionHeader(image, headerOffset + 64, ShtStrtab, stringOffset, stringBytes.Length, link: 0, info: 0);
        WriteSectionHeader(image, headerOffset + 128, versionType, versionOffset, versionSection.Length, link: 1, info: (uint)entries);
        return image;
    }

    private static void WriteSectionHeader(byte[] image, int at, uint type, int offset, int size, uint link, uint info)
    {
        var header = image.AsSpan(at, 64);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], type);
        BinaryPrimitives.WriteUInt64LittleEndian(header[24..], (ulong)offset);
        BinaryPrimitives.WriteUInt64LittleEndian(header[32..], (ulong)size);
        BinaryPrimitives.WriteUInt32LittleEndian(header[40..], link);
        BinaryPrimitives.WriteUInt32LittleEndian(header[44..], info);
    }

    private sealed class StringTable
    {
        private readonly List<byte> _data = [0];

        public uint Add(string value)
        {
            var offset = (uint)_data.Count;
            _data.AddRange(Encoding.ASCII.GetBytes(value));
            _data.Add(0);
            return offset;
        }

        public byte[] ToArray() => [.. _data];
    }
}
