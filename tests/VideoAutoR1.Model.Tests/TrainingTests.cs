using TorchSharp;
using VideoAutoR1.Model;
using static TorchSharp.torch;

namespace VideoAutoR1.Model.Tests;

/// <summary>ForwardLogits runs under autograd, so tiny models can be trained in tests.</summary>
public sealed class TrainingTests
{
    [Fact]
    public void A_few_adam_steps_fit_a_fixed_sequence()
    {
        using var scope = NewDisposeScope();
        using var model = Qwen2_5_VLForConditionalGeneration.CreateRandom(TestConfigs.Small(), 4, new ModelLoadOptions());
        var ids = tensor(new long[] { 3, 14, 15, 9, 26, 5, 35, 8 }, [1, 8]);
        var positions = arange(8).view(1, 1, 8).expand(3, 1, 8);
        var inputs = ids.narrow(1, 0, 7);
        var targets = ids.narrow(1, 1, 7).reshape(-1);
        var inputPositions = positions.narrow(2, 0, 7);
        var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        var losses = new List<float>();
        for (var step = 0; step < 30; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var logits = model.ForwardLogits(inputs, inputPositions);
            var loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), targets);
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
        }

        Assert.True(losses[^1] < losses[0] * 0.2, $"loss went from {losses[0]} to {losses[^1]}");
        var predicted = model.ForwardLogits(inputs, inputPositions).argmax(-1).view(-1);
        Assert.True(predicted.eq(targets).all().item<bool>());
    }
}
