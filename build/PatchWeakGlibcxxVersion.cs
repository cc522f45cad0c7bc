// Marks one GNU symbol-version requirement of an ELF shared library as weak (VER_FLG_WEAK).
//
// Why: TorchSharp 0.107.0's libLibTorchSharp.so needs GLIBCXX_3.4.32 (GCC 13) for a single symbol,
// std::ios_base_library_init(), a link-time marker that is never called. Debian 12's libstdc++ stops at
// GLIBCXX_3.4.30, so the loader refuses the library. A weak version requirement only warns when missing,
// so setting that one flag lets the library load; everything it really calls exists on Debian 12.
//
// This file is compiled twice: into the build as an inline MSBuild task (build/TorchSharpNative.targets)
// and into tests/VideoAutoR1.Build.Tests, which exercise it on crafted ELF files.
// Block namespace: the inline-task compiler may use a C# version without file-scoped namespaces.
#pragma warning disable IDE0161
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace VideoAutoR1.Build
{
    /// <summary>What <see cref="ElfSymbolVersions.MarkRequirementWeak"/> did to a file.</summary>
    public enum WeakPatchOutcome
    {
        /// <summary>The flag was set and the file rewritten.</summary>
        Patched,
        /// <summary>The requirement was already weak; the file was not touched.</summary>
        AlreadyWeak,
        /// <summary>The file does not require that version; the file was not touched.</summary>
        NotRequired,
    }

    /// <summary>Reads and edits the GNU symbol-versioning sections of 64-bit little-endian ELF files.</summary>
    public static class ElfSymbolVersions
    {
        private const uint ShtGnuVerdef = 0x6ffffffd;
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const ushort VerFlgWeak = 0x2;

        /// <summary>Sets VER_FLG_WEAK on every requirement of <paramref name="versionName"/> in the file.</summary>
        /// <exception cref="InvalidDataException">The file is not a 64-bit little-endian ELF.</exception>
        public static WeakPatchOutcome MarkRequirementWeak(string path, string versionName)
        {
            var image = File.ReadAllBytes(path);
            var outcome = WeakPatchOutcome.NotRequired;
            foreach (var (flagsOffset, name) in EnumerateRequirements(image))
            {
                if (name != versionName)
                {
                    continue;
                }

                var flags = ReadU16(image, flagsOffset);
                if ((flags & VerFlgWeak) != 0)
                {
                    if (outcome == WeakPatchOutcome.NotRequired)
                    {
                        outcome = WeakPatchOutcome.AlreadyWeak;
                    }

                    continue;
                }

                WriteU16(image, flagsOffset, (ushort)(flags | VerFlgWeak));
                outcome = WeakPatchOutcome.Patched;
            }

            if (outcome == WeakPatchOutcome.Patched)
            {
                // Write beside and rename: the output copy may be a hard link into a package cache.
                var temporary = path + ".weakpatch.tmp";
                File.WriteAllBytes(temporary, image);
                File.Delete(path);
                File.Move(temporary, path);
            }

            return outcome;
        }

        /// <summary>True when the library requires <paramref name="versionName"/> without the weak flag.</summary>
        public static bool RequiresStrongly(string path, string versionName)
        {
            var image = File.ReadAllBytes(path);
            foreach (var (flagsOffset, name) in EnumerateRequirements(image))
            {
                if (name == versionName && (ReadU16(image, flagsOffset) & VerFlgWeak) == 0)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>True when the library defines (provides) the symbol version, as libstdc++ does for GLIBCXX_*.</summary>
        public static bool DefinesVersion(string path, string versionName)
        {
            var image = File.ReadAllBytes(path);
            foreach (var section in FindSections(image, ShtGnuVerdef))
            {
                var offset = section.Offset;
                for (var i = 0; i < section.Info; i++)
                {
                    // Elf64_Verdef: vd_version u16, vd_flags u16, vd_ndx u16, vd_cnt u16, vd_hash u32, vd_aux u32, vd_next u32
                    var count = ReadU16(image, offset + 6);
                    var aux = offset + ReadU32(image, offset + 12);
                    for (var j = 0; j < count; j++)
                    {
                        // Elf64_Verdaux: vda_name u32, vda_next u32
                        if (ReadString(image, section.StringTable, ReadU32(image, aux)) == versionName)
                        {
                            return true;
                        }

                        aux += ReadU32(image, aux + 4);
                    }

                    var next = ReadU32(image, offset + 16);
                    if (next == 0)
                    {
                        break;
                    }

                    offset += next;
                }
            }

            return false;
        }

        // Yields (file offset of vna_flags, version name) for every Elf64_Vernaux entry.
        private static System.Collections.Generic.IEnumerable<(long FlagsOffset, string Name)> EnumerateRequirements(byte[] image)
        {
            foreach (var section in FindSections(image, ShtGnuVerneed))
            {
                var offset = section.Offset;
                for (var i = 0; i < section.Info; i++)
                {
                    // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
                    var count = ReadU16(image, offset + 2);
                    var aux = offset + ReadU32(image, offset + 8);
                    for (var j = 0; j < count; j++)
                    {
                        // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
                        yield return (aux + 4, ReadString(image, section.StringTable, ReadU32(image, aux + 8)));
                        aux += ReadU32(image, aux + 12);
                    }

                    var next = ReadU32(image, offset + 12);
                    if (next == 0)
                    {
                        break;
                    }

                    offset += next;
                }
            }
        }

        private readonly struct Section
        {
            public Section(long offset, long info, long stringTable)
            {
                Offset = offset;
                Info = info;
                StringTable = stringTable;
            }

            public long Offset { get; }

            /// <summary>sh_info: the number of entries in a verdef/verneed section.</summary>
            public long Info { get; }

            /// <summary>File offset of the string table named by sh_link.</summary>
            public long StringTable { get; }
        }

        private static System.Collections.Generic.List<Section> FindSections(byte[] image, uint type)
        {
            if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
            {
                throw new InvalidDataException("not an ELF file");
            }

            if (image[4] != 2 || image[5] != 1)
            {
                throw new InvalidDataException("only 64-bit little-endian ELF files are supported");
            }

            var sectionTable = (long)ReadU64(image, 0x28);
            var entrySize = ReadU16(image, 0x3a);
            var sectionCount = ReadU16(image, 0x3c);
            if (sectionTable <= 0 || entrySize < 64 || sectionTable + (long)entrySize * sectionCount > image.Length)
            {
                throw new InvalidDataException("ELF section header table lies outside the file");
            }

            var found = new System.Collections.Generic.List<Section>();
            for (var i = 0; i < sectionCount; i++)
            {
                var header = sectionTable + (long)i * entrySize;
                if (ReadU32(image, header + 4) != type)
                {
                    continue;
                }

                var link = ReadU32(image, header + 40);
                if (link >= sectionCount)
                {
                    throw new InvalidDataException("ELF version section links to a missing string table");
                }

                var strings = (long)ReadU64(image, sectionTable + (long)link * entrySize + 24);
                found.Add(new Section((long)ReadU64(image, header + 24), ReadU32(image, header + 44), strings));
            }

            return found;
        }

        private static ushort ReadU16(byte[] image, long offset)
        {
            Check(image, offset, 2);
            return (ushort)(image[offset] | (image[offset + 1] << 8));
        }

        private static uint ReadU32(byte[] image, long offset)
        {
            Check(image, offset, 4);
            return BitConverter.ToUInt32(image, (int)offset);
        }

        private static ulong ReadU64(byte[] image, long offset)
        {
            Check(image, offset, 8);
            return BitConverter.ToUInt64(image, (int)offset);
        }

        private static void WriteU16(byte[] image, long offset, ushort value)
        {
            image[offset] = (byte)value;
            image[offset + 1] = (byte)(value >> 8);
        }

        private static string ReadString(byte[] image, long table, long index)
        {
            var start = table + index;
            Check(image, start, 1);
            var end = Array.IndexOf(image, (byte)0, (int)start);
            if (end < 0)
            {
                throw new InvalidDataException("unterminated ELF string");
            }

            return Encoding.ASCII.GetString(image, (int)start, end - (int)start);
        }

        private static void Check(byte[] image, long offset, int size)
        {
            if (offset < 0 || offset + size > image.Length)
            {
                throw new InvalidDataException("ELF structure points outside the file");
            }
        }
    }

    /// <summary>
    /// MSBuild task: when the host's libstdc++ lacks <see cref="VersionName"/>, marks that requirement weak in
    /// each of <see cref="Libraries"/> (output copies, never the package cache). Idempotent and silent otherwise.
    /// </summary>
    public class PatchWeakGlibcxxVersion : Microsoft.Build.Utilities.Task
    {
        /// <summary>The native libraries to patch, e.g. every libLibTorchSharp.so in an output folder.</summary>
        [Required]
        public ITaskItem[] Libraries { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>The symbol version to make weak.</summary>
        public string VersionName { get; set; } = "GLIBCXX_3.4.32";

        /// <summary>Candidate paths of the host's libstdc++; the first that exists is consulted.</summary>
        public string[] HostLibraryCandidates { get; set; } =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6",
            "/usr/lib/libstdc++.so.6",
        };

        /// <summary>Paths actually rewritten by this run.</summary>
        [Output]
        public string[] Patched { get; private set; } = Array.Empty<string>();

        public override bool Execute()
        {
            var host = Array.Find(HostLibraryCandidates, File.Exists);
            if (host == null || ElfSymbolVersions.DefinesVersion(host, VersionName))
            {
                return true; // Nothing to do: not a glibc host we know, or its libstdc++ is new enough.
            }

            var patched = new System.Collections.Generic.List<string>();
            foreach (var item in Libraries)
            {
                var path = item.ItemSpec;
                try
                {
                    if (ElfSymbolVersions.MarkRequirementWeak(path, VersionName) == WeakPatchOutcome.Patched)
                    {
                        patched.Add(path);
                        Log.LogMessage(
                            MessageImportance.High,
                            $"TorchSharp native fix: {host} lacks {VersionName}; marked that requirement weak in {Path.GetFullPath(path)}");
                    }
                }
                catch (Exception error) when (error is InvalidDataException || error is IOException)
                {
                    Log.LogError($"Cannot patch {path}: {error.Message}");
                }
            }

            Patched = patched.ToArray();
            return !Log.HasLoggedErrors;
        }
    }
}
