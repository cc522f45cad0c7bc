using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using VideoAutoR1.Service.Options;

namespace VideoAutoR1.Service.Security;

/// <summary>
/// API-key authentication for REST and gRPC: header <c>x-api-key</c> or <c>Authorization: Bearer</c>. With no keys
/// configured every caller is authenticated (auth off). Keys are compared in constant time.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<ServiceOptions> service,
    IProblemDetailsService problemDetails) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "x-api-key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var keys = service.CurrentValue.Auth.ApiKeys;
        if (keys.Length == 0)
        {
            return Task.FromResult(Success("anonymous"));
        }

        var presented = PresentedKey(Request.Headers);
        if (presented is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var presentedBytes = Encoding.UTF8.GetBytes(presented);
        for (var i = 0; i < keys.Length; i++)
        {
            if (CryptographicOperations.FixedTimeEquals(presentedBytes, Encoding.UTF8.GetBytes(keys[i])))
            {
                return Task.FromResult(Success($"key-{i}"));
            }
        }

        return Task.FromResult(AuthenticateResult.Fail("Invalid API key."));
    }

    /// <summary>REST callers get Problem Details; gRPC callers get the bare 401 that clients map to UNAUTHENTICATED.</summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        if (Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            return;
        }

        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = StatusCodes.Status401Unauthorized,
            Title = "Unauthorized",
            Type = Errors.ErrorMapping.TypeUri("api_key_invalid"),
            Detail = $"Send a valid API key in the {HeaderName} header or as Authorization: Bearer <key>.",
        };
        problem.Extensions["code"] = "api_key_invalid";
        await problemDetails.WriteAsync(new ProblemDetailsContext { HttpContext = Context, ProblemDetails = problem });
    }

    private static string? PresentedKey(IHeaderDictionary headers)
    {
        if (headers.TryGetValue(HeaderName, out var key) && !string.IsNullOrEmpty(key))
        {
            return key.ToString();
        }

        var authorization = headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;
    }

    private AuthenticateResult Success(string name) =>
        AuthenticateResult.Success(new AuthenticationTicket(
            new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], SchemeName)), SchemeName));
}
