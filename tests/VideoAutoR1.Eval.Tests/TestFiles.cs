namespace VideoAutoR1.Eval.Tests;

/// <summary>A fresh temporary directory, removed on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("videoautor1-eval-tests-").FullName;

    public string this[string name] => System.IO.Path.Combine(Path, name);

    /// <summary>Writes <paramref name="text"/> to a file of the directory and returns its path.</summary>
    public string Write(string name, string text)
    {
        File.WriteAllText(this[name], text);
        return this[name];
    }

    /// <summary>Empty files standing in for videos: validation only checks that the file exists.</summary>
    public void Touch(params string[] names)
    {
        foreach (var name in names)
        {
            File.WriteAllBytes(this[name], []);
        }
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

internal static class Fixture
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", name);
}
