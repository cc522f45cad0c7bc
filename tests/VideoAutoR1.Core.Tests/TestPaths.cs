namespace VideoAutoR1.Core.Tests;

/// <summary>Locates the repository's test assets.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindUp(AppContext.BaseDirectory, "VideoAutoR1.Service.sln")
        ?? throw new DirectoryNotFoundException("repository root (VideoAutoR1.Service.sln) not found above the test binaries");

    /// <summary>The real Qwen tokenizer files committed under tests/assets.</summary>
    public static string QwenTokenizer { get; } = Path.Combine(RepoRoot, "tests", "assets", "qwen-tokenizer");

    private static string? FindUp(string start, string relative)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (Path.Exists(Path.Combine(dir.FullName, relative)))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
