using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace VideoAutoR1.Service.Health;

/// <summary>Health report as JSON: overall status plus each check's status, description and data (queue depth, …).</summary>
public static class HealthJsonWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new Dictionary<string, object?>
        {
            ["status"] = report.Status.ToString(),
            ["checks"] = report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new Dictionary<string, object?>
                {
                    ["status"] = entry.Value.Status.ToString(),
                    ["description"] = entry.Value.Description,
                    ["data"] = entry.Value.Data,
                }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, cancellationToken: context.RequestAborted);
    }
}
