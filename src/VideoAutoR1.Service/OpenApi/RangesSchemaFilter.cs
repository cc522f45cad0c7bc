using System.Globalization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using VideoAutoR1.Engine;
using VideoAutoR1.Service.Apis;

namespace VideoAutoR1.Service.OpenApi;

/// <summary>
/// Writes the request-ranges table (<see cref="RequestResolver.Ranges"/>) into the schema of every request type that
/// carries one of its fields: minimum/maximum, and a description with the default, this server's cap and the error
/// code. The schema is generated from the same rows the resolver checks, so the two cannot drift apart.
/// </summary>
public sealed class RangesSchemaFilter(RequestResolver resolver) : ISchemaFilter
{
    /// <summary>Wire names of the OpenAI shape that carry a table field under another name.</summary>
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["max_tokens"] = "max_new_tokens",
        ["max_completion_tokens"] = "max_new_tokens",
    };

    private static readonly HashSet<Type> RequestTypes = [typeof(AskRequest), typeof(ChatCompletionRequest), typeof(VideoAutoR1Options)];

    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        var prefix = context.Type == typeof(Media.VideoSamplingRequest) ? "sampling." : RequestTypes.Contains(context.Type) ? "" : null;
        if (prefix is null || schema is not OpenApiSchema { Properties: { } properties })
        {
            return;
        }

        foreach (var (name, property) in properties)
        {
            var field = prefix + (Aliases.TryGetValue(name, out var alias) ? alias : name);
            if (property is OpenApiSchema concrete && RequestResolver.Ranges.FirstOrDefault(r => r.Field == field) is { } row)
            {
                Describe(concrete, row);
            }
        }
    }

    private void Describe(OpenApiSchema property, Core.FieldRange row)
    {
        if (!double.IsInfinity(row.Min))
        {
            if (row.MinExclusive)
            {
                property.ExclusiveMinimum = Number(row.Min);
            }
            else
            {
                property.Minimum = Number(row.Min);
            }
        }

        if (!double.IsInfinity(row.Max))
        {
            if (row.MaxExclusive)
            {
                property.ExclusiveMaximum = Number(row.Max);
            }
            else
            {
                property.Maximum = Number(row.Max);
            }
        }

        var cap = row.Cap is null ? "" : $" Values above {Number(resolver.CapValue(row))} ({row.Cap}) are lowered to it.";
        var rule = $"Range {row.Interval}; unset = {row.Default}.{cap} Outside the range: 400 {row.Code}.";
        property.Description = string.IsNullOrEmpty(property.Description) ? rule : $"{property.Description} {rule}";
    }

    private static string Number(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);
}
