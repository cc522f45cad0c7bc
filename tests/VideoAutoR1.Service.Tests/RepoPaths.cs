namespace VideoAutoR1.Service.Tests;

/// <summary>Files of the repository the tests use (found by walking up from the test binaries).</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string SampleVideo => Path.Combine(Root, "samples", "testsrc-4s.mp4");

    public static string Protos => Path.Combine(Root, "protos");

    public static string NodeClients => Path.Combine(Root, "tests", "VideoAutoR1.Service.Tests", "node");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "VideoAutoR1.Service.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Repository root (VideoAutoR1.Service.sln) not found above " + AppContext.BaseDirectory);
    }
}
