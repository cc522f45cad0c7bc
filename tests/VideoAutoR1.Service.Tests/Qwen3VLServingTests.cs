using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Net.Client;
using VideoAutoR1.Core;
using VideoAutoR1.Core.Tokenization;
using VideoAutoR1.Engine;
using VideoAutoR1.Engine.Tests;
using VideoAutoR1.Media;
using VideoAutoR1.Model;
using VideoAutoR1.Service.Grpc.V1;
using GrpcAnswerRequest = VideoAutoR1.Service.Grpc.V1.AnswerRequest;

namespace VideoAutoR1.Service.Tests;

/// <summary>
/// The service on a Qwen3-VL model directory (small random Qwen3-VL with DeepStack, the shipped Qwen tokenizer,
/// trained here to answer one question confidently and to think on another): REST and gRPC answers, requests in
/// flight together, early exit, and <c>/v1/models</c> naming the architecture.
/// </summary>
public sealed class Qwen3VLServingTests(Qwen3VLServingTests.Qwen3VLServer server) : IClassFixture<Qwen3VLServingTests.Qwen3VLServer>
{
    private static readonly QuestionSpec Confident = TemplateModelDirectory.Confident;
    private static readonly QuestionSpec Thinks = TemplateModelDirectory.Thinks;

    [Fact]
    public async Task Models_endpoint_reports_the_qwen3_vl_architecture()
    {
        using var http = server.Http();
        var models = await http.GetFromJsonAsync<JsonElement>("/v1/models");
        var card = models.GetProperty("data")[0];
        Assert.Equal(Qwen3VLConfig.Architecture, card.GetProperty("architecture").GetString());
        Assert.True(card.GetProperty("ready").GetBoolean());

        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var listed = await new VideoQaService.VideoQaServiceClient(channel).ListModelsAsync(new ListModelsRequest());
        Assert.Equal(Qwen3VLConfig.Architecture, listed.Models.Single().Architecture);
    }

    [Fact]
    public async Task Rest_and_grpc_answer_together_one_exits_early_one_thinks()
    {
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new VideoQaService.VideoQaServiceClient(channel);
        static GrpcAnswerRequest Request(QuestionSpec question) => new()
        {
            Video = new Video { ServerPath = "testsrc-4s.mp4" },
            Question = new Question { Text = question.Question, Options = { question.Options } },
            Generation = new Generation { MaxNewTokens = 40 },
        };

        var rest = new[] { AskAsync(Confident), AskAsync(Thinks) };
        var grpc = new[] { client.AnswerAsync(Request(Confident)).ResponseAsync, client.AnswerAsync(Request(Thinks)).ResponseAsync };
        var restAnswers = await Task.WhenAll(rest);
        var grpcAnswers = await Task.WhenAll(grpc);

        Assert.Equal(("B", false), (restAnswers[0].GetProperty("a1").GetString(), restAnswers[0].GetProperty("thought").GetBoolean()));
        Assert.True(restAnswers[1].GetProperty("thought").GetBoolean(), restAnswers[1].ToString());
        Assert.Equal("B", restAnswers[1].GetProperty("final_answer").GetString());
        Assert.Equal(("B", false), (grpcAnswers[0].Answer.A1, grpcAnswers[0].Answer.Thought));
        Assert.True(grpcAnswers[1].Answer.Thought);

        // Both transports saw the same video: the Qwen3-VL processor's token count.
        Assert.Equal(server.VisualTokens, restAnswers[0].GetProperty("tokens").GetProperty("visual").GetInt32());
        Assert.Equal(server.VisualTokens, grpcAnswers[0].Answer.Tokens.Visual);
    }

    private async Task<JsonElement> AskAsync(QuestionSpec question)
    {
        using var http = server.Http();
        var body = JsonSerializer.Serialize(new { question = question.Question, options = question.Options, max_new_tokens = 40, video = new { path = "testsrc-4s.mp4" } });
        using var response = await http.PostAsync("/v1/answers", RestApiTests.Json(body));
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, answer.ToString());
        return answer;
    }

    /// <summary>The real service on a small Qwen3-VL directory written and trained here.</summary>
    public sealed class Qwen3VLServer : VideoQaServer
    {
        private readonly string _modelDirectory = Directory.CreateTempSubdirectory("videoautor1-qwen3vl-model-").FullName;

        public Qwen3VLServer()
        {
            var video = TemplateModelDirectory.SampleVideo(VisionPreprocessing.Qwen3_VL);
            VisualTokens = video.TokenCount(2);
            using var model = Qwen3VLForConditionalGeneration.CreateRandom(Config(), seed: 5, new ModelLoadOptions());
            TemplateModelDirectory.TrainAndSave(model, video, _modelDirectory);
        }

        public int VisualTokens { get; }

        protected override IDictionary<string, string?> Settings()
        {
            var settings = base.Settings();
            settings["Engine:ModelDirectory"] = _modelDirectory;
            settings["Engine:MaxBatchSize"] = "4";
            return settings;
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            Directory.Delete(_modelDirectory, recursive: true);
        }

        /// <summary>Small dimensions; the real vocabulary, special ids and Qwen3-VL geometry (patch 16, DeepStack).</summary>
        private static Qwen3VLConfig Config() => new()
        {
            Text = SmallModel.Config.Text with { RopeTheta = 5_000_000, MropeSection = [4, 2, 2] },
            Vision = new Qwen3VLVisionConfig
            {
                Depth = 2,
                HiddenSize = 64,
                NumHeads = 2,
                IntermediateSize = 128,
                OutHiddenSize = 64,
                InChannels = 3,
                PatchSize = 16,
                TemporalPatchSize = 2,
                SpatialMergeSize = 2,
                NumPositionEmbeddings = 64,
                DeepstackVisualIndexes = [0],
            },
            AttentionBias = false,
            TieWordEmbeddings = true,
            ImageTokenId = 151655,
            VideoTokenId = 151656,
            VisionStartTokenId = 151652,
            VisionEndTokenId = 151653,
            EosTokenIds = [151645, 151643],
            BosTokenId = 151643,
            PadTokenId = 151643,
        };
    }
}
