namespace VideoAutoR1.Core.Tests;

/// <summary>Locates the repository's test assets and the shared reference material next to the checkout.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindUp(AppContext.BaseDirectory, "VideoAutoR1.Service.sln")
        ?? throw new DirectoryNotFoundException("repository root (VideoAutoR1.Service.sln) not found above the test binaries");

    /// <summary>The real Qwen tokenizer files committed under tests/assets.</summary>
    public static string QwenTokenizer { get; } = Path.Combine(RepoRoot, "tests", "assets", "qwen-tokenizer");

    /// <summary>The shared reference directory: $VIDEOAUTOR1_SHARED, else the nearest shared/ above the checkout.</summary>
    public static string Shared { get; } = Environment.GetEnvironmentVariable("VIDEOAUTOR1_SHARED")
        ?? (FindUp(RepoRoot, Path.Combine("shared", "fixtures")) is { } parent
            ? Path.Combine(parent, "shared")
            : throw new DirectoryNotFoundException("shared/fixtures not found above the repository; set VIDEOAUTOR1_SHARED"));

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
