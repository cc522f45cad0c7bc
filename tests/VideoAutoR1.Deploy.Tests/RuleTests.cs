using System.Text.Json.Nodes;

namespace VideoAutoR1.Deploy.Tests;

/// <summary>
/// The alerting rules have one source, deploy/prometheus/alerts.yml: promtool checks it, and the PrometheusRule the
/// Prometheus Operator loads must carry exactly its groups. The autoscaler's queries must at least parse; the metrics
/// test in VideoAutoR1.Service.Tests runs them against a real Prometheus scraping the service.
/// </summary>
public sealed class RuleTests
{
    private static string Base => Path.Combine(DeployTools.Root, "deploy", "k8s", "base");

    [Fact]
    public void Promtool_accepts_the_rule_file()
    {
        var (exitCode, stdout, stderr) = DeployTools.Promtool("check", "rules", DeployTools.RuleFile);

        Assert.True(exitCode == 0, $"promtool check rules failed:\n{stdout}\n{stderr}");
        Assert.Contains("SUCCESS", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void The_prometheus_rule_carries_exactly_the_groups_of_the_rule_file()
    {
        var rule = DeployTools.YamlFileAsJson(Path.Combine(Base, "prometheusrule.yaml"));
        var file = DeployTools.YamlFileAsJson(DeployTools.RuleFile);

        Assert.True(
            JsonNode.DeepEquals(file, rule["spec"]),
            $"deploy/k8s/base/prometheusrule.yaml spec differs from deploy/prometheus/alerts.yml:\n{rule["spec"]!.ToJsonString()}\n{file.ToJsonString()}");
    }

    [Fact]
    public void Promtool_parses_every_autoscaler_query()
    {
        var triggers = DeployTools.YamlFileAsJson(Path.Combine(Base, "scaledobject.yaml"))["spec"]!["triggers"]!.AsArray();
        Assert.NotEmpty(triggers);

        // A rule file (JSON is YAML) recording each query: promtool then parses the PromQL without a server.
        var rules = new JsonArray(triggers.Select(t => (JsonNode)new JsonObject
        {
            ["record"] = "keda:" + ((string)t!["name"]!).Replace('-', '_'),
            ["expr"] = (string)t["metadata"]!["query"]!,
        }).ToArray());
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, new JsonObject { ["groups"] = new JsonArray(new JsonObject { ["name"] = "keda", ["rules"] = rules }) }.ToJsonString());
            var (exitCode, stdout, stderr) = DeployTools.Promtool("check", "rules", file);
            Assert.True(exitCode == 0, $"promtool rejects a ScaledObject query:\n{stdout}\n{stderr}");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
