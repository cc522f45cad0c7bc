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
    public static Task<int> RunAsync(string[] args)
    {
        var cli = new CliArgs(args, new HashSet<string> { "dtype", "rope-rule" }, new HashSet<string>());
        if (cli.Positional.Count != 1)
        {
            throw new CliUsageException("usage: parity <fixture-dir> [--dtype fp32|bf16] [--rope-rule legacy|current|float]");
        }

        var dtype = (cli.Optional("dtype") ?? "fp32") switch
        {
            "fp32" or "float32" => torch.ScalarType.Float32,
            "bf16" or "bfloat16" => torch.ScalarType.BFloat16,
            var other => throw new CliUsageException($"--dtype must be fp32 or bf16, got '{other}'"),
        };
        RopeIndexRule? rule = cli.Optional("rope-rule") switch
        {
            null => null,
            "legacy" => RopeIndexRule.Legacy,
            "current" => RopeIndexRule.Current,
            "float" => RopeIndexRule.FloatInterval,
            var other => throw new CliUsageException($"--rope-rule must be legacy, current or float, got '{other}'"),
        };

        var sets = ParityRunner.DiscoverSets(cli.Positional[0]);
        if (sets.Count == 0)
        {
            throw new CliUsageException($"'{cli.Positional[0]}' holds no fixture set (model/config.json + expected.safetensors)");
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
        return Task.FromResult(passed ? 0 : 1);
    }
}
