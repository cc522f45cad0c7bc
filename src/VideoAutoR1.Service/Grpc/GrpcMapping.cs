using VideoAutoR1.Core;
using VideoAutoR1.Core.Grammar;
using VideoAutoR1.Engine;
using VideoAutoR1.Media;
using VideoAutoR1.Service.Requests;
using Proto = VideoAutoR1.Service.Grpc.V1;

namespace VideoAutoR1.Service.Grpc;

/// <summary>Protobuf messages ⇄ the service's query and the engine's results.</summary>
public static class GrpcMapping
{
    public static QuestionQuery ToQuery(Proto.Question? question, Proto.Generation? generation, Proto.Sampling? sampling) => new(
        question?.Text,
        question?.Options,
        question?.Task is null or Proto.TaskKind.Unspecified ? null : ToTaskKind(question.Task),
        generation?.Mode is null or Proto.AnswerMode.Unspecified ? null : ToMode(generation.Mode),
        generation is { HasThreshold: true } ? generation.Threshold : null,
        generation is { HasMaxNewTokens: true } ? generation.MaxNewTokens : null,
        generation is { HasTemperature: true } ? generation.Temperature : null,
        generation is { HasTopP: true } ? generation.TopP : null,
        generation is { HasSeed: true } ? generation.Seed : null,
        generation is { HasTimeoutSeconds: true } ? generation.TimeoutSeconds : null,
        sampling is null ? null : new VideoSamplingRequest(
            sampling.HasFps ? sampling.Fps : null,
            sampling.HasMinFrames ? sampling.MinFrames : null,
            sampling.HasMaxFrames ? sampling.MaxFrames : null,
            sampling.HasMinPixels ? sampling.MinPixels : null,
            sampling.HasMaxPixels ? sampling.MaxPixels : null,
            sampling.HasStartSeconds ? sampling.StartSeconds : null,
            sampling.HasEndSeconds ? sampling.EndSeconds : null));

    public static VideoSource ToVideo(Proto.Video? video, AnswerRequestFactory factory, long maxBytes) =>
        video?.SourceCase switch
        {
            Proto.Video.SourceOneofCase.Url => factory.Url(video.Url),
            Proto.Video.SourceOneofCase.ServerPath => AnswerRequestFactory.ServerPath(video.ServerPath),
            Proto.Video.SourceOneofCase.Content when video.Content.Length > maxBytes => throw AskInputReader.TooLarge(maxBytes),
            Proto.Video.SourceOneofCase.Content when !video.Content.IsEmpty => new VideoSource.Bytes(video.Content.Memory),
            _ => throw new VideoQaException(ErrorKind.InvalidArgument, "video_required", "video.url, video.server_path or video.content is required.") { Field = "video" },
        };

    public static Proto.Answer ToProto(AnswerResult r)
    {
        var answer = new Proto.Answer
        {
            RequestId = r.RequestId,
            ModelId = r.ModelId,
            A1 = r.A1 ?? string.Empty,
            Thought = r.Thought,
            Rationale = r.Rationale ?? string.Empty,
            A2 = r.A2 ?? string.Empty,
            FinalAnswer = r.FinalAnswer ?? string.Empty,
            A1IsFallback = r.A1IsFallback,
            Text = r.Text,
            FinishReason = r.FinishReason switch
            {
                FinishReason.EarlyExit => Proto.FinishReason.EarlyExit,
                FinishReason.Stop => Proto.FinishReason.Stop,
                _ => Proto.FinishReason.Length,
            },
            Tokens = new Proto.TokenCounts { Prompt = r.Tokens.Prompt, Visual = r.Tokens.Visual, Generated = r.Tokens.Generated },
            Timings = new Proto.Timings
            {
                Queue = r.Timings.Queue,
                Media = r.Timings.Media,
                Vision = r.Timings.Vision,
                Prefill = r.Timings.Prefill,
                Total = r.Timings.Total,
            },
        };
        if (r.A1Confidence is { } confidence)
        {
            answer.A1Confidence = confidence;
        }

        if (r.Timings.TimeToA1 is { } toA1)
        {
            answer.Timings.TimeToA1 = toA1;
        }

        return answer;
    }

    public static Proto.AnswerStreamResponse ToProto(AnswerEvent e) => e switch
    {
        AnswerEvent.A1Decided a1 => new() { A1Decided = A1(a1) },
        AnswerEvent.RationaleDelta delta => new() { RationaleDelta = new Proto.RationaleDelta { Text = delta.Text } },
        AnswerEvent.A2Decided a2 => new() { A2Decided = new Proto.A2Decided { A2 = a2.A2 } },
        AnswerEvent.Completed done => new() { Completed = ToProto(done.Result) },
        _ => throw new InvalidOperationException($"Unknown engine event {e.GetType().Name}."),
    };

    private static Proto.A1Decided A1(AnswerEvent.A1Decided a1)
    {
        var message = new Proto.A1Decided { A1 = a1.A1, IsFallback = a1.IsFallback, WillThink = a1.WillThink };
        if (A1Confidence.Value(a1.LogConfidence) is { } confidence)
        {
            message.Confidence = confidence;
        }

        return message;
    }

    private static TaskKind ToTaskKind(Proto.TaskKind kind) => kind switch
    {
        Proto.TaskKind.MultipleChoice => TaskKind.MultipleChoice,
        Proto.TaskKind.Open => TaskKind.Open,
        Proto.TaskKind.Numeric => TaskKind.Numeric,
        Proto.TaskKind.TemporalGrounding => TaskKind.TemporalGrounding,
        Proto.TaskKind.GroundedQa => TaskKind.GroundedQa,
        _ => throw new VideoQaException(ErrorKind.InvalidArgument, "unknown_enum_value", $"Unknown task kind {(int)kind}.") { Field = "question.task" },
    };

    private static AnswerMode ToMode(Proto.AnswerMode mode) => mode switch
    {
        Proto.AnswerMode.Auto => AnswerMode.Auto,
        Proto.AnswerMode.Think => AnswerMode.Think,
        Proto.AnswerMode.Direct => AnswerMode.Direct,
        _ => throw new VideoQaException(ErrorKind.InvalidArgument, "unknown_enum_value", $"Unknown answer mode {(int)mode}.") { Field = "generation.mode" },
    };
}
