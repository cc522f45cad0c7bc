using VideoAutoR1.Core;

namespace VideoAutoR1.Model;

/// <summary>Stable error codes for model configuration, checkpoint and input failures.</summary>
public static class ModelErrors
{
    public const string ConfigMissing = "model_config_missing";
    public const string ConfigInvalid = "model_config_invalid";
    public const string CheckpointMissing = "checkpoint_missing";
    public const string CheckpointCorrupt = "checkpoint_corrupt";
    public const string CheckpointMismatch = "checkpoint_mismatch";
    public const string CheckpointDtypeUnsupported = "checkpoint_dtype_unsupported";
    public const string VideoGridMismatch = "video_grid_mismatch";
    public const string VideoTokensMismatch = "video_tokens_mismatch";
    public const string CacheExhausted = "kv_cache_exhausted";

    /// <summary>A model directory or file that cannot be used: the service cannot start with it.</summary>
    public static VideoQaException Model(string code, string message, Exception? inner = null) =>
        new(ErrorKind.Unavailable, code, message, inner);

    /// <summary>Inputs handed to the model that contradict each other (a caller bug or a bad request).</summary>
    public static VideoQaException Input(string code, string message) => new(ErrorKind.InvalidArgument, code, message);
}
