using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace VideoAutoR1.Service.Options;

/// <summary>Limits and safety settings of the HTTP/gRPC front end (section "Service"). Validated at start-up.</summary>
public sealed class ServiceOptions
{
    public const string SectionName = "Service";

    /// <summary>Largest JSON body of /v1/answers and largest multipart "request" part, in bytes; checked while reading.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxJsonBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Largest /v1/chat/completions body: the JSON around the video plus the base64 data: URL of the largest upload
    /// (<paramref name="maxUploadBytes"/>, Media:MaxBytes; 4 characters per 3 bytes). Anything longer is cut off while it is read.
    /// </summary>
    public long MaxChatBodyBytes(long maxUploadBytes) => MaxJsonBytes + ((maxUploadBytes + 2) / 3 * 4);

    /// <summary>While a stream waits for its next event, a keep-alive comment is sent this often, in seconds.</summary>
    [Range(0.1, 300)]
    public double SseKeepAliveSeconds { get; set; } = 15;

    /// <summary>Readiness fails when the engine loop has not beaten for this long, in seconds.</summary>
    [Range(1, 3600)]
    public double MaxEngineBeatAgeSeconds { get; set; } = 30;

    public ApiKeyOptions Auth { get; set; } = new();

    [ValidateObjectMembers]
    public TransportLimitsOptions Transport { get; set; } = new();
}

/// <summary>Optional API-key authentication for REST and gRPC (header x-api-key or Authorization: Bearer).</summary>
public sealed class ApiKeyOptions
{
    /// <summary>Accepted keys. Empty = authentication off.</summary>
    public string[] ApiKeys { get; set; } = [];

    public bool Enabled => ApiKeys.Length > 0;
}

/// <summary>Kestrel limits that protect against slow or endless clients.</summary>
public sealed class TransportLimitsOptions
{
    /// <summary>Minimum request-body rate; a slower client (slowloris) is cut off after the grace period.</summary>
    [Range(1, 1_000_000_000)]
    public double MinRequestBodyBytesPerSecond { get; set; } = 4096;

    [Range(1, 600)]
    public double MinRequestBodyGraceSeconds { get; set; } = 10;

    [Range(1, 600)]
    public double RequestHeadersTimeoutSeconds { get; set; } = 30;

    [Range(1, 100_000)]
    public int MaxConcurrentConnections { get; set; } = 1000;
}

[OptionsValidator]
public sealed partial class ServiceOptionsValidator : IValidateOptions<ServiceOptions>
{
}

/// <summary>Rules data annotations cannot say.</summary>
public sealed class ServiceOptionsRules : IValidateOptions<ServiceOptions>
{
    public ValidateOptionsResult Validate(string? name, ServiceOptions options)
    {
        var failures = new List<string>();
        if (options.Auth.ApiKeys.Any(k => k.Length < 16))
        {
            failures.Add("Service:Auth:ApiKeys: every key must be at least 16 characters.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// Settings that used to live under "Service" and now belong to the layer that owns their rule. Binding ignores keys
/// it does not know, so without this check an old setting would silently stop working; instead the start fails and
/// names the new key.
/// </summary>
public sealed class MovedSettingsRule(IConfiguration configuration) : IValidateOptions<ServiceOptions>
{
    /// <summary>Old key → the key that replaces it.</summary>
    public static IReadOnlyDictionary<string, string> Moves { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Service:Caps:MaxFps"] = "Media:MaxFps",
        ["Service:Caps:MaxFrames"] = "Media:MaxFrames",
        ["Service:Caps:MaxPixels"] = "Media:MaxPixels",
        ["Service:Caps:MaxNewTokens"] = "Engine:MaxNewTokensCap",
        ["Service:RequestTimeoutSeconds"] = "Engine:RequestTimeout (a TimeSpan, e.g. 00:05:00)",
        ["Service:MaxRequestTimeoutSeconds"] = "Engine:MaxRequestTimeout (a TimeSpan, e.g. 00:10:00)",
        ["Service:MaxUploadBytes"] = "Media:MaxBytes",
        ["Service:Urls:AllowedSchemes"] = "Media:AllowedUrlSchemes",
        ["Service:Urls:AllowedHosts"] = "Media:AllowedUrlHosts",
        ["Service:Urls:BlockPrivateAddresses"] = "Media:AllowPrivateAddresses (its opposite: true allows them)",
    };

    public ValidateOptionsResult Validate(string? name, ServiceOptions options)
    {
        var failures = Moves
            .Where(move => configuration[move.Key] is not null)
            .Select(move => $"{move.Key} has moved to {move.Value}.")
            .ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>The service holds an upload in memory (a byte array), so Media:MaxBytes must stay under 2 GiB here.</summary>
public sealed class UploadInMemoryRule : IValidateOptions<VideoAutoR1.Media.MediaOptions>
{
    public ValidateOptionsResult Validate(string? name, VideoAutoR1.Media.MediaOptions options) =>
        options.MaxBytes is >= 1024 and <= int.MaxValue
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Media:MaxBytes must be between 1024 and {int.MaxValue} for the service, which holds an upload in memory; got {options.MaxBytes}.");
}
