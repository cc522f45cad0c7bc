namespace VideoAutoR1.Engine;

/// <summary>
/// The model the service and the CLI use when none is configured: <c>videoauto-r1-mini</c>, a small Qwen2.5-VL trained
/// in this repository with the VideoAuto-R1 recipe on a synthetic video world (<c>models/videoauto-r1-mini</c>, its
/// model card says how and how well). It is shipped beside this assembly and loaded like any checkpoint directory.
/// </summary>
public static class DefaultModel
{
    public const string ModelId = "videoauto-r1-mini";

    /// <summary>The shipped model directory (copied from the repository's <c>models/videoauto-r1-mini</c> at build time).</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "default-model");

    /// <summary>The full Qwen tokenizer files shipped next to this assembly (copied from the repo's tokenizer assets).</summary>
    public static string TokenizerSourceDirectory => Path.Combine(AppContext.BaseDirectory, "qwen-tokenizer");
}
