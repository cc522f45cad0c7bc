using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace VideoAutoR1.Build.Tests;

public sealed class WeakVersionPatchTests : IDisposable
{
    private const string Needed = "GLIBCXX_3.4.32";
    private readonly string _dir = Directory.CreateTempSubdirectory("elfpatch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Strong_requirement_becomes_weak_and_only_its_flag_byte_changes()
    {
        var path = Write("lib.so", CraftedElf.Requiring(("GLIBCXX_3.4.30", 0), (Needed, 0)));
        var before = File.ReadAllBytes(path);

        Assert.True(ElfSymbolVersions.RequiresStrongly(path, Needed));
        Assert.Equal(WeakPatchOutcome.Patched, ElfSymbolVersions.MarkRequirementWeak(path, Needed));

        var after = File.ReadAllBytes(path);
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToArray();
        Assert.Single(changed);
        Assert.Equal(0x2, after[changed[0]]);
        Assert.False(ElfSymbolVersions.RequiresStrongly(path, Needed));
        Assert.True(ElfSymbolVersions.RequiresStrongly(path, "GLIBCXX_3.4.30"), "the other requirement stays strong");
    }

    [Fact]
    public void Patching_twice_is_idempotent()
    {
        var path = Write("lib.so", CraftedElf.Requiring((Needed, 0)));
        ElfSymbolVersions.MarkRequirementWeak(path, Needed);
        var once = File.ReadAllBytes(path);

        Assert.Equal(WeakPatchOutcome.AlreadyWeak, ElfSymbolVersions.MarkRequirementWeak(path, Needed));
        Assert.Equal(once, File.ReadAllBytes(path));
    }

    [Fact]
    public void Library_without_that_requirement_is_left_alone()
    {
        var image = CraftedElf.Requiring(("GLIBCXX_3.4.30", 0), ("GLIBCXX_3.4.29", 0));
        var path = Write("other.so", image);
        var stamp = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, stamp);

        Assert.Equal(WeakPatchOutcome.NotRequired, ElfSymbolVersions.MarkRequirementWeak(path, Needed));
        Assert.Equal(image, File.ReadAllBytes(path));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public void Non_elf_file_is_rejected_without_being_modified()
    {
        var path = Write("notes.so", "this is not an ELF file, just text padding it beyond sixty-four bytes......"u8.ToArray());
        var before = File.ReadAllBytes(path);

        Assert.Throws<InvalidDataException>(() => ElfSymbolVersions.MarkRequirementWeak(path, Needed));
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void Version_definitions_are_read_from_a_libstdcxx_stand_in()
    {
        var path = Write("libstdc++.so.6", CraftedElf.Defining("GLIBCXX_3.4", "GLIBCXX_3.4.30", Needed));
        Assert.True(ElfSymbolVersions.DefinesVersion(path, Needed));
        Assert.False(ElfSymbolVersions.DefinesVersion(path, "GLIBCXX_3.4.33"));
    }

    [Fact]
    public void Task_stays_silent_and_patches_nothing_when_host_libstdcxx_is_new_enough()
    {
        var host = Write("libstdc++.so.6", CraftedElf.Defining("GLIBCXX_3.4.30", "GLIBCXX_3.4.31", Needed));
        var library = Write("libLibTorchSharp.so", CraftedElf.Requiring((Needed, 0)));
        var before = File.ReadAllBytes(library);

        var (task, engine) = NewTask(host, library);

        Assert.True(task.Execute());
        Assert.Empty(task.Patched);
        Assert.Empty(engine.Messages);
        Assert.Equal(before, File.ReadAllBytes(library));
    }

    [Fact]
    public void Task_patches_once_with_one_message_when_host_libstdcxx_is_too_old()
    {
        var host = Write("libstdc++.so.6", CraftedElf.Defining("GLIBCXX_3.4.29", "GLIBCXX_3.4.30"));
        var library = Write("libLibTorchSharp.so", CraftedElf.Requiring((Needed, 0)));

        var (first, firstLog) = NewTask(host, library);
        Assert.True(first.Execute());
        Assert.Equal([library], first.Patched);
        var message = Assert.Single(firstLog.Messages);
        Assert.Contains(Needed, message);
        Assert.False(ElfSymbolVersions.RequiresStrongly(library, Needed));

        var (second, secondLog) = NewTask(host, library);
        Assert.True(second.Execute());
        Assert.Empty(second.Patched);
        Assert.Empty(secondLog.Messages);
    }

    [Fact]
    public void Build_patches_the_output_copy_only_when_the_host_needs_it_and_never_the_package_cache()
    {
        var hostLibrary = new PatchWeakGlibcxxVersion().HostLibraryCandidates.FirstOrDefault(File.Exists);
        Assert.NotNull(hostLibrary);
        var hostIsNewEnough = ElfSymbolVersions.DefinesVersion(hostLibrary, Needed);
        var output = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        Assert.True(File.Exists(output), $"expected TorchSharp's native library at {output}");
        Assert.Equal(hostIsNewEnough, ElfSymbolVersions.RequiresStrongly(output, Needed));

        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var cached = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(cached), $"expected the NuGet cache copy at {cached}");
        Assert.True(ElfSymbolVersions.RequiresStrongly(cached, Needed), "the package cache must never be patched");
    }

    private (PatchWeakGlibcxxVersion Task, RecordingBuildEngine Engine) NewTask(string host, string library)
    {
        var engine = new RecordingBuildEngine();
        var task = new PatchWeakGlibcxxVersion
        {
            BuildEngine = engine,
            HostLibraryCandidates = [host],
            Libraries = [new TaskItem(library)],
        };
        return (task, engine);
    }

    private string Write(string name, byte[] content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>Collects what a task logs, as MSBuild's own engine would show it.</summary>
    private sealed class RecordingBuildEngine : IBuildEngine
    {
        public List<string> Messages { get; } = [];

        public List<string> Errors { get; } = [];

        public bool ContinueOnError => false;

        public int LineNumberOfTaskNode => 0;

        public int ColumnNumberOfTaskNode => 0;

        public string ProjectFileOfTaskNode => "test.proj";

        public bool BuildProjectFile(string projectFileName, string[] targetNames, System.Collections.IDictionary globalProperties, System.Collections.IDictionary targetOutputs) =>
            throw new NotSupportedException();

        public void LogCustomEvent(CustomBuildEventArgs e) => Messages.Add(e.Message ?? string.Empty);

        public void LogErrorEvent(BuildErrorEventArgs e) => Errors.Add(e.Message ?? string.Empty);

        public void LogMessageEvent(BuildMessageEventArgs e) => Messages.Add(e.Message ?? string.Empty);

        public void LogWarningEvent(BuildWarningEventArgs e) => Messages.Add(e.Message ?? string.Empty);
    }
}
