using Grpc.Core;
using Microsoft.Extensions.Options;
using VideoAutoR1.Core;
using VideoAutoR1.Engine;
using VideoAutoR1.Media;
using VideoAutoR1.Service.Options;
using VideoAutoR1.Service.Requests;
using VideoAutoR1.Service.Telemetry;
using Proto = VideoAutoR1.Service.Grpc.V1;

namespace VideoAutoR1.Service.Grpc;

/// <summary>videoqa.v1.VideoQaService. Typed errors become rich statuses in <see cref="GrpcErrorInterceptor"/>.</summary>
public sealed class VideoQaGrpcService(
    AnswerRequestFactory factory,
    AnswerGateway gateway,
    ServiceMetrics metrics) : Proto.VideoQaService.VideoQaServiceBase
{
    public override async Task<Proto.AnswerResponse> Answer(Proto.AnswerRequest request, ServerCallContext context)
    {
        var answer = await BuildAsync(request.Video, request.Question, request.Generation, request.Sampling, context);
        var result = await gateway.AnswerAsync("grpc", answer, context.CancellationToken);
        return new Proto.AnswerResponse { Answer = GrpcMapping.ToProto(result) };
    }

    public override async Task AnswerStream(
        Proto.AnswerStreamRequest request, IServerStreamWriter<Proto.AnswerStreamResponse> responseStream, ServerCallContext context)
    {
        var answer = await BuildAsync(request.Video, request.Question, request.Generation, request.Sampling, context);
        var events = await gateway.StartStreamAsync("grpc_stream", answer, context.CancellationToken);
        await foreach (var e in events.WithCancellation(context.CancellationToken))
        {
            await responseStream.WriteAsync(GrpcMapping.ToProto(e), context.CancellationToken);
        }
    }

    public override async Task<Proto.UploadAndAnswerResponse> UploadAndAnswer(
        IAsyncStreamReader<Proto.UploadAndAnswerRequest> requestStream, ServerCallContext context)
    {
        var limit = factory.MaxUploadBytes;
        Proto.UploadHeader? header = null;
        using var buffer = new MemoryStream();
        await foreach (var message in requestStream.ReadAllAsync(context.CancellationToken))
        {
            switch (message.PartCase)
            {
                case Proto.UploadAndAnswerRequest.PartOneofCase.Header when header is null && buffer.Length == 0:
                    header = message.Header;
                    break;
                case Proto.UploadAndAnswerRequest.PartOneofCase.Chunk when header is not null:
                    if (buffer.Length + message.Chunk.Length > limit)
                    {
                        throw AskInputReader.TooLarge(limit);
                    }

                    message.Chunk.WriteTo(buffer);
                    break;
                default:
                    throw new VideoQaException(ErrorKind.InvalidArgument, "upload_out_of_order",
                        "The first message must be the header and every following one a chunk.")
                    { Field = "part" };
            }
        }

        if (header is null || buffer.Length == 0)
        {
            throw new VideoQaException(ErrorKind.InvalidArgument, "video_required", "The upload had no header or no video bytes.") { Field = "chunk" };
        }

        metrics.Uploaded(buffer.Length);
        var video = new VideoSource.Bytes(buffer.ToArray(), header.FileName.Length > 0 ? header.FileName : null);
        var answer = await CreateAsync(video, header.Question, header.Generation, header.Sampling, context);
        var result = await gateway.AnswerAsync("grpc_upload", answer, context.CancellationToken);
        return new Proto.UploadAndAnswerResponse { Answer = GrpcMapping.ToProto(result) };
    }

    public override Task<Proto.ListModelsResponse> ListModels(Proto.ListModelsRequest request, ServerCallContext context)
    {
        var status = gateway.Status;
        return Task.FromResult(new Proto.ListModelsResponse { Models = { new Proto.Model { Id = status.ModelId, Ready = status.Ready, Architecture = status.Architecture } } });
    }

    private Task<AnswerRequest> BuildAsync(
        Proto.Video? video, Proto.Question? question, Proto.Generation? generation, Proto.Sampling? sampling, ServerCallContext context) =>
        CreateAsync(GrpcMapping.ToVideo(video, factory, factory.MaxUploadBytes), question, generation, sampling, context);

    /// <summary>The gRPC deadline, when sooner, tightens the request's own time limit.</summary>
    private async Task<AnswerRequest> CreateAsync(
        VideoSource video, Proto.Question? question, Proto.Generation? generation, Proto.Sampling? sampling, ServerCallContext context)
    {
        var requestId = AnswerRequestFactory.NewRequestId(context.GetHttpContext());
        var deadline = context.Deadline == DateTime.MaxValue ? (TimeSpan?)null : context.Deadline - DateTime.UtcNow;
        return await factory.CreateAsync(requestId, video, GrpcMapping.ToQuery(question, generation, sampling), context.CancellationToken, deadline);
    }
}
