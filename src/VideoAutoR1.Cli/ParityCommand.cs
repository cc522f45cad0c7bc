using System.CommandLine;
using TorchSharp;
using VideoAutoR1.Model;

namespace VideoAutoR1.Cli;

/// <summary>
/// <c>parity &lt;fixture-dir&gt; [--dtype fp32|bf16] [--rope-rule legacy|current|float]</c>: runs the model against
/// reference fixture sets (a set or a directory of sets), prints max abs diff per tensor and
/// <c>parity: PASS</c>/<c>parity: FAIL</c>; exit 0/1.
/// </summary>
public static class ParityCommand
{
    public static Command Create()
    {
        var fixtures = CliOptions.Path("fixtures", "a fixture set (model/ + expected.safetensors) or a folder of sets");
        var dtype = CliOptions.Choice("--dtype", "model dtype; bf16 is reported, fp32 is judged", torch.ScalarType.Float32,
            ("fp32", torch.ScalarType.Float32), ("float32", torch.ScalarType.Float32), ("bf16", torch.ScalarType.BFloat16), ("bfloat16", torch.ScalarType.BFloat16));
        var rule = CliOptions.Choice<RopeIndexRule?>("--rope-rule", "rope-index rule; default: the one the set was generated with", null,
            ("legacy", RopeIndexRule.Legacy), ("current", RopeIndexRule.Current), ("float", RopeIndexRule.FloatInterval));
        var command = new Command("parity", "compare the model with Hugging Face reference fixtures") { fixtures, dtype, rule };
        command.SetAction(parse => Run(parse.GetValue(fixtures)!, parse.GetValue(dtype), parse.GetValue(rule)));
        return command;
    }

    private static int Run(string root, torch.ScalarType dtype, RopeIndexRule? rule)
    {
        var sets = ParityRunner.DiscoverSets(root);
        if (sets.Count == 0)
        {
            throw new CliUsageException($"'{root}' holds no fixture set (model/config.json + expected.safetensors)");
        }

        var passed = true;
        foreach (var set in sets)
        {
            var setRule = rule ?? ParityRunner.ReferenceRopeRule(set);
            Console.WriteLine($"# {set} (dtype {dtype}, rope rule {setRule})");
            foreach (var entry in ParityRunner.Run(set, dtype, setRule))
            {
                Console.WriteLine(entry);
                passed &= entry.Status != ParityStatus.Fail;
            }
        }

        Console.WriteLine(passed ? "parity: PASS" : "parity: FAIL");
        return passed ? 0 : 1;
    }
}
