using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace VideoAutoR1.Service.OpenApi;

/// <summary>
/// Documents a body read by hand as JSON or multipart/form-data. Deliberately not Accepts metadata: that would make
/// routing filter on Content-Type and answer other types itself, without the Problem Details code the reader gives.
/// </summary>
public sealed record AskBodyMetadata(Type JsonType, Type FormType);

/// <summary>Adds the request body of endpoints carrying <see cref="AskBodyMetadata"/> to the OpenAPI document.</summary>
public sealed class AskBodyOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var body = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<AskBodyMetadata>().FirstOrDefault();
        if (body is null)
        {
            return;
        }

        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, IOpenApiMediaType>
            {
                ["application/json"] = new OpenApiMediaType { Schema = context.SchemaGenerator.GenerateSchema(body.JsonType, context.SchemaRepository) },
                ["multipart/form-data"] = new OpenApiMediaType { Schema = context.SchemaGenerator.GenerateSchema(body.FormType, context.SchemaRepository) },
            },
        };
    }
}
