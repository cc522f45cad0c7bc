using VideoAutoR1.Core;
using VideoAutoR1.Core.Grammar;
using VideoAutoR1.Model;
using static TorchSharp.torch;

namespace VideoAutoR1.Engine.Tests;

/// <summary>Early-exit decisions on a model trained to emit the template: real log-probabilities, no mocked logits.</summary>
[Collection(EngineCollection.Name)]
public sealed class DecisionTests(EngineFixture fixture)
{
    [Fact]
    public async Task Confident_first_answer_exits_when_its_box_closes()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.TrainedModelDirectory);

        var result = await harness.Engine.AnswerAsync(Requests.For(fixture.SmallVideoPath, EngineFixture.Confident), CancellationToken.None);

        Assert.Equal(FinishReason.EarlyExit, result.FinishReason);
        Assert.Equal("B", result.A1);
        Assert.Equal("B", result.FinalAnswer);
        Assert.False(result.Thought);
        Assert.Null(result.Rationale);
        Assert.Null(result.A2);
        Assert.True(result.A1Confidence >= 0.97, $"confidence {result.A1Confidence}");
        Assert.Equal("\\boxed{B}", result.Text);
        Assert.Equal(fixture.Tokenizer.Encode("\\boxed{B}").Length, result.Tokens.Generated);
        Assert.Equal(fixture.SmallVideo.TokenCount(2), result.Tokens.Visual);
        Assert.NotNull(result.Timings.TimeToA1);
    }

    [Fact]
    public async Task Confidence_is_the_mean_raw_log_probability_of_the_answer_span_even_when_sampling_hot()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.TrainedModelDirectory);
        var greedy = await harness.Engine.AnswerAsync(Requests.For(fixture.SmallVideoPath, EngineFixture.Confident), CancellationToken.None);
        // Temperature changes which tokens are drawn, never how the drawn tokens are scored (raw, untempered log-softmax).
        var hot = await harness.Engine.AnswerAsync(
            Requests.For(fixture.SmallVideoPath, EngineFixture.Unsure, mode: AnswerMode.Direct, temperature: 0.5, seed: 1), CancellationToken.None);

        foreach (var (question, result) in new[] { (EngineFixture.Confident, greedy), (EngineFixture.Unsure, hot) })
        {
            var expected = ReferenceConfidence(question, result.Text);
            Assert.NotNull(result.A1LogConfidence);
            Assert.Equal(expected, result.A1LogConfidence!.Value, precision: 4);
        }
    }

    [Fact]
    public async Task Fallback_first_answer_always_thinks_whatever_the_threshold()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.TrainedModelDirectory);

        var result = await harness.Engine.AnswerAsync(
            Requests.For(fixture.SmallVideoPath, EngineFixture.Fallback, threshold: 1e-9), CancellationToken.None);

        Assert.True(result.A1IsFallback);
        Assert.Equal("Let's analyze the problem step by step.", result.A1);
        Assert.Null(result.A1LogConfidence);
        Assert.True(result.Thought);
        Assert.Equal(EngineFixture.FallbackRationale, result.Rationale);
        Assert.Equal("C", result.A2);
        Assert.Equal("C", result.FinalAnswer);
        Assert.Equal(FinishReason.Stop, result.FinishReason);
    }

    [Fact]
    public async Task Unsure_first_answer_thinks_at_the_default_threshold_and_exits_below_its_confidence()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.TrainedModelDirectory);

        var strict = await harness.Engine.AnswerAsync(Requests.For(fixture.SmallVideoPath, EngineFixture.Unsure), CancellationToken.None);
        Assert.Contains(strict.A1, new[] { "A", "D" });
        Assert.InRange(strict.A1Confidence!.Value, 0.2, 0.8);
        Assert.True(strict.Thought);
        Assert.Equal("D", strict.A2);

        var confidence = strict.A1Confidence!.Value;
        var lenient = await harness.Engine.AnswerAsync(
            Requests.For(fixture.SmallVideoPath, EngineFixture.Unsure, threshold: confidence - 0.01), CancellationToken.None);
        Assert.Equal(FinishReason.EarlyExit, lenient.FinishReason);
        Assert.False(lenient.Thought);
        Assert.Equal(strict.A1, lenient.FinalAnswer);

        var justAbove = await harness.Engine.AnswerAsync(
            Requests.For(fixture.SmallVideoPath, EngineFixture.Unsure, threshold: Math.Min(1, confidence + 0.01)), CancellationToken.None);
        Assert.True(justAbove.Thought);
    }

    [Fact]
    public async Task Think_mode_never_exits_early()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.TrainedModelDirectory);

        var result = await harness.Engine.AnswerAsync(
            Requests.For(fixture.SmallVideoPath, EngineFixture.Confident, mode: AnswerMode.Think), CancellationToken.None);

        Assert.True(result.A1Confidence >= 0.97);
        Assert.True(result.Thought);
        Assert.Equal(EngineFixture.ConfidentRationale, result.Rationale);
        Assert.Equal("B", result.A2);
        Assert.Equal(FinishReason.Stop, result.FinishReason);
        Assert.Equal($"\\boxed{{B}}<think>{EngineFixture.ConfidentRationale}</think>\\boxed{{B}}", result.Text);
    }

    [Fact]
    public async Task Direct_mode_stops_after_the_first_answer_whatever_it_is()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.TrainedModelDirectory);

        var unsure = await harness.Engine.AnswerAsync(
            Requests.For(fixture.SmallVideoPath, EngineFixture.Unsure, mode: AnswerMode.Direct), CancellationToken.None);
        var fallback = await harness.Engine.AnswerAsync(
            Requests.For(fixture.SmallVideoPath, EngineFixture.Fallback, mode: AnswerMode.Direct), CancellationToken.None);

        Assert.Equal(FinishReason.EarlyExit, unsure.FinishReason);
        Assert.False(unsure.Thought);
        Assert.True(unsure.A1Confidence < 0.97);
        Assert.Equal(FinishReason.EarlyExit, fallback.FinishReason);
        Assert.True(fallback.A1IsFallback);
        Assert.Equal(fallback.A1, fallback.FinalAnswer);
    }

    [Fact]
    public async Task Stream_yields_a1_then_rationale_deltas_then_a2_then_the_result()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.TrainedModelDirectory);

        var events = new List<AnswerEvent>();
        await foreach (var e in harness.Engine.AnswerStreamAsync(Requests.For(fixture.SmallVideoPath, EngineFixture.Fallback), CancellationToken.None))
        {
            events.Add(e);
        }

        var a1 = Assert.IsType<AnswerEvent.A1Decided>(events[0]);
        Assert.True(a1.IsFallback);
        Assert.True(a1.WillThink);
        var deltas = events.Skip(1).TakeWhile(e => e is AnswerEvent.RationaleDelta).Cast<AnswerEvent.RationaleDelta>().ToList();
        Assert.NotEmpty(deltas);
        Assert.Equal(EngineFixture.FallbackRationale, string.Concat(deltas.Select(d => d.Text)));
        Assert.Equal("C", Assert.IsType<AnswerEvent.A2Decided>(events[1 + deltas.Count]).A2);
        var completed = Assert.IsType<AnswerEvent.Completed>(Assert.Single(events.Skip(2 + deltas.Count)));
        Assert.Equal("C", completed.Result.FinalAnswer);
    }

    [Fact]
    public async Task Max_new_tokens_ends_with_length()
    {
        await using var harness = await EngineHarness.StartAsync(fixture.TrainedModelDirectory);

        var result = await harness.Engine.AnswerAsync(
            Requests.For(fixture.SmallVideoPath, EngineFixture.Fallback, maxNewTokens: 3), CancellationToken.None);

        Assert.Equal(FinishReason.Length, result.FinishReason);
        Assert.Equal(3, result.Tokens.Generated);
        Assert.Null(result.A1);
    }

    /// <summary>
    /// Independent check: one full forward pass over prompt + generated text, log_softmax over the whole vocabulary,
    /// averaged over the span the reference heuristic selects.
    /// </summary>
    private double ReferenceConfidence(QuestionSpec question, string generatedText)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = Qwen2_5_VLForConditionalGeneration.Load(fixture.TrainedModelDirectory, new ModelLoadOptions());
        var video = fixture.SmallVideo;
        var grid = new GridThw(video.GridT, video.GridH, video.GridW);
        var prompt = EngineModel.EncodePrompt(fixture.Tokenizer, new Core.Prompting.PromptBuilder(new Core.Prompting.PromptOptions()), question, video.TokenCount(2));
        var generated = fixture.Tokenizer.Encode(generatedText);
        var ids = prompt.Concat(generated.Select(id => (long)id)).ToArray();
        var rope = model.GetRopeIndex(ids, [grid], [video.SecondPerGridT]);
        var positions = new long[3, 1, ids.Length];
        for (var row = 0; row < 3; row++)
        {
            for (var i = 0; i < ids.Length; i++)
            {
                positions[row, 0, i] = rope.PositionIds[row, i];
            }
        }

        var embeds = model.GetVideoFeatures(tensor(video.PixelValues, [video.PixelValues.Length / video.PatchDim, video.PatchDim]), [grid]);
        var logProbs = model.ForwardLogits(tensor(ids, [1, ids.Length]), tensor(positions), videoEmbeds: embeds).log_softmax(-1);

        var first = AnswerParser.Parse(generatedText).A1!;
        var (start, length) = ConfidenceSpan.Find(fixture.Tokenizer, generated, first, generatedText);
        var sum = 0.0;
        for (var k = start; k < start + length; k++)
        {
            var position = prompt.Length + k;
            sum += logProbs[0, position - 1, ids[position]].item<float>();
        }

        return sum / length;
    }
}
