using System.Diagnostics;
using System.Text.Json.Nodes;

namespace VideoAutoR1.Deploy.Tests;

/// <summary>
/// The real tools the deploy tests drive: <c>kubectl kustomize</c> (skipped, saying so, where kubectl is absent),
/// <c>promtool</c> (from the prometheus package scripts/prerequisites.sh installs) and the schema validator in node/.
/// </summary>
internal static class DeployTools
{
    public static string Root { get; } = FindRoot();

    public static string Overlay(string name) => Path.Combine(Root, "deploy", "k8s", "overlays", name);

    public static string RuleFile => Path.Combine(Root, "deploy", "prometheus", "alerts.yml");

    private static string NodeScripts => Path.Combine(Root, "tests", "VideoAutoR1.Deploy.Tests", "node");

    /// <summary>The overlay rendered by kubectl's built-in kustomize, as multi-document YAML.</summary>
    public static string Kustomize(string overlay)
    {
        Skip.If(FindOnPath("kubectl") is null, "kubectl is not installed: the overlays are not rendered or validated on this machine");
        return Run("kubectl", "kustomize", Overlay(overlay)).Stdout;
    }

    /// <summary>Every object of a multi-document YAML text with its schema errors, from node/validate.mjs.</summary>
    public static IReadOnlyList<ValidatedObject> Validate(string yaml)
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, yaml);
            var result = JsonNode.Parse(RunNode("validate.mjs", file))!;
            return result["objects"]!.AsArray().Select(o => new ValidatedObject(
                (string?)o!["apiVersion"], (string?)o["kind"], (string?)o["name"], o["object"],
                o["errors"]!.AsArray().Select(e => (string)e!).ToArray())).ToList();
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>One YAML document as JSON, parsed by the same YAML library the validator uses.</summary>
    public static JsonNode YamlFileAsJson(string path) => JsonNode.Parse(RunNode("validate.mjs", "--to-json", path))!;

    public static (int ExitCode, string Stdout, string Stderr) Promtool(params string[] args)
    {
        Assert.True(FindOnPath("promtool") is not null, "promtool is missing: it comes with the Debian prometheus package (scripts/prerequisites.sh installs it)");
        return RunUnchecked("promtool", args);
    }

    private static string RunNode(params string[] args)
    {
        Assert.True(
            Directory.Exists(Path.Combine(NodeScripts, "node_modules", "kubernetes-models")),
            $"The validator's packages are missing. Run: npm ci --prefix tests/VideoAutoR1.Deploy.Tests/node");
        return Run("node", [Path.Combine(NodeScripts, args[0]), .. args[1..]]).Stdout;
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(string program, params string[] args)
    {
        var result = RunUnchecked(program, args);
        Assert.True(result.ExitCode == 0, $"{program} {string.Join(' ', args)} exited {result.ExitCode}:\n{result.Stderr}\n{result.Stdout}");
        return result;
    }

    private static (int ExitCode, string Stdout, string Stderr) RunUnchecked(string program, string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', args)} did not finish in 2 minutes");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

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

/// <summary>One rendered object and what the schema of its kind says is wrong with it (empty = valid).</summary>
internal sealed record ValidatedObject(string? ApiVersion, string? Kind, string? Name, JsonNode? Object, string[] Errors)
{
    public override string ToString() => $"{ApiVersion} {Kind} {Name}: {string.Join("; ", Errors)}";
}
