using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using VideoAutoR1.Core;
using VideoAutoR1.Service.Errors;

namespace VideoAutoR1.Service.Grpc;

/// <summary>
/// Maps failures to gRPC statuses with google.rpc.Status details: ErrorInfo (reason = the stable code),
/// BadRequest.FieldViolation when a field is at fault, RetryInfo on RESOURCE_EXHAUSTED.
/// </summary>
public sealed class GrpcErrorInterceptor(ILogger<GrpcErrorInterceptor> logger) : Interceptor
{
    public const string ErrorDomain = "videoautor1";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw ToRpc(e, context);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw ToRpc(e, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw ToRpc(e, context);
        }
    }

    private RpcException ToRpc(Exception e, ServerCallContext context)
    {
        var error = ProblemFactory.Classify(e);
        if (error is null && e is OperationCanceledException && context.CancellationToken.IsCancellationRequested)
        {
            error = new VideoQaException(ErrorKind.Cancelled, "client_cancelled", "The client cancelled the request.", e);
        }

        if (error is null)
        {
            logger.LogError(e, "Unhandled failure in {Method}", context.Method);
            error = new VideoQaException(ErrorKind.Internal, "internal_error", "An internal error occurred.", e);
        }

        var status = new Google.Rpc.Status
        {
            Code = (int)ErrorMapping.GrpcStatus(error.Kind),
            Message = error.Message,
            Details = { Any.Pack(new ErrorInfo { Reason = error.Code, Domain = ErrorDomain }) },
        };
        if (error.Field is { } field)
        {
            status.Details.Add(Any.Pack(new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = error.Message } } }));
        }

        if (error.RetryAfter is { } retryAfter)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(ProblemFactory.RetryAfterSeconds(retryAfter))) }));
        }

        return status.ToRpcException();
    }
}
