using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using VideoAutoR1.Engine;
using VideoAutoR1.Media;
using VideoAutoR1.Service.Apis;
using VideoAutoR1.Service.Errors;
using VideoAutoR1.Service.Grpc;
using VideoAutoR1.Service.Health;
using VideoAutoR1.Service.OpenApi;
using VideoAutoR1.Service.Options;
using VideoAutoR1.Service.Requests;
using VideoAutoR1.Service.Security;
using VideoAutoR1.Service.Telemetry;

namespace VideoAutoR1.Service;

/// <summary>Everything Program.cs composes: options, engine, APIs, errors, auth, health, telemetry, OpenAPI.</summary>
public static class ServiceComposition
{
    public static WebApplicationBuilder AddVideoQaService(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ServiceOptions>()
            .Bind(builder.Configuration.GetSection(ServiceOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ServiceOptions>, ServiceOptionsValidator>();
        services.AddSingleton<IValidateOptions<ServiceOptions>, ServiceOptionsRules>();
        services.AddSingleton<IValidateOptions<ServiceOptions>>(new MovedSettingsRule(builder.Configuration));
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ServiceOptions>, IOptions<MediaOptions>>(
            (kestrel, options, media) => ConfigureKestrel(kestrel, options.Value, media.Value.MaxBytes));

        services.AddVideoQaEngine(builder.Configuration);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(provider => provider.GetRequiredService<VideoPreprocessor>().UrlPolicy);
        services.AddSingleton<IValidateOptions<MediaOptions>, UploadInMemoryRule>();
        services.AddSingleton<AnswerRequestFactory>();
        services.AddSingleton<AnswerGateway>();
        services.AddSingleton<AskInputReader>();

        services.ConfigureHttpJsonOptions(options => ConfigureJson(options.SerializerOptions));
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path;
            context.ProblemDetails.Extensions.TryAdd("code", ErrorMapping.CodeForStatus(context.ProblemDetails.Status));
            if (AnswerRequestFactory.RestoreRequestId(context.HttpContext) is { } requestId)
            {
                context.ProblemDetails.Extensions["request_id"] = requestId;
            }
        });
        services.AddExceptionHandler<VideoQaExceptionHandler>();

        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();

        services.AddGrpc(options =>
        {
            options.Interceptors.Add<GrpcErrorInterceptor>();
            options.MaxReceiveMessageSize = 4 * 1024 * 1024;
        });
        services.AddGrpcReflection();
        services.AddHealthChecks()
            .AddCheck<EngineReadinessCheck>(EngineReadinessCheck.Name, tags: ["ready"]);
        services.AddGrpcHealthChecks(options =>
        {
            options.Services.Map(string.Empty, check => check.Tags.Contains("ready"));
            options.Services.Map("videoqa.v1.VideoQaService", check => check.Tags.Contains("ready"));
        });

        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc("v1", new Microsoft.OpenApi.OpenApiInfo
            {
                Title = "VideoAutoR1 video question answering",
                Version = "v1",
                Description = "Ask questions about videos with VideoAuto-R1 (think once, answer twice). Errors are RFC 9457 Problem Details with a stable 'code'.",
            });
            options.AddSecurityDefinition(ApiKeyAuthenticationHandler.SchemeName, new Microsoft.OpenApi.OpenApiSecurityScheme
            {
                Type = Microsoft.OpenApi.SecuritySchemeType.ApiKey,
                In = Microsoft.OpenApi.ParameterLocation.Header,
                Name = ApiKeyAuthenticationHandler.HeaderName,
                Description = "Only when the server has Service:Auth:ApiKeys; Authorization: Bearer <key> works too.",
            });
            options.AddSecurityRequirement(document => new Microsoft.OpenApi.OpenApiSecurityRequirement
            {
                [new Microsoft.OpenApi.OpenApiSecuritySchemeReference(ApiKeyAuthenticationHandler.SchemeName, document)] = [],
            });
            options.SchemaFilter<ExamplesSchemaFilter>();
            options.SchemaFilter<RangesSchemaFilter>();
            options.OperationFilter<AskBodyOperationFilter>();
        });

        builder.AddVideoQaTelemetry();
        return builder;
    }

    public static WebApplication MapVideoQaService(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        // Probes and metrics: anonymous, and none of them touches the engine thread.
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = HealthJsonWriter.WriteAsync,
        });
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        app.UseSwagger(options => options.OpenApiVersion = Microsoft.OpenApi.OpenApiSpecVersion.OpenApi3_1);
        app.UseSwaggerUI(options => options.SwaggerEndpoint("/swagger/v1/swagger.json", "VideoAutoR1 v1"));

        app.MapAnswersApi().RequireAuthorization();
        app.MapOpenAiChatApi().RequireAuthorization();
        app.MapGrpcService<VideoQaGrpcService>().RequireAuthorization();
        return app;
    }

    public static void ConfigureJson(JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
    }

    /// <summary>Transport limits: body size fits the largest upload (base64 data: URIs are 4/3 larger), slow bodies are cut off.</summary>
    private static void ConfigureKestrel(KestrelServerOptions kestrel, ServiceOptions options, long maxUploadBytes)
    {
        var limits = kestrel.Limits;
        limits.MaxRequestBodySize = maxUploadBytes / 3 * 4 + (1 << 20);
        limits.MinRequestBodyDataRate = new MinDataRate(
            options.Transport.MinRequestBodyBytesPerSecond, TimeSpan.FromSeconds(options.Transport.MinRequestBodyGraceSeconds));
        limits.RequestHeadersTimeout = TimeSpan.FromSeconds(options.Transport.RequestHeadersTimeoutSeconds);
        limits.MaxConcurrentConnections = options.Transport.MaxConcurrentConnections;
    }
}
