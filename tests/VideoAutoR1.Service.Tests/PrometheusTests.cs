using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using VideoAutoR1.Core;
using VideoAutoR1.Core.Tokenization;
using VideoAutoR1.Engine;
using VideoAutoR1.Engine.Tests;
using VideoAutoR1.Media;
using VideoAutoR1.Model;
using YamlDotNet.RepresentationModel;

namespace VideoAutoR1.Service.Tests;

/// <summary>
/// The service on a model trained in this fixture to answer one question confidently (early exit) and to think on
/// another, scraped by a real Prometheus that evaluates the repository's rule file. Checks the think rate end to end
/// (engine counter → OpenTelemetry exporter → Prometheus → recording rule and dashboard query) and that every
/// query in deploy/ (dashboard, rules, the autoscaler's triggers) is valid PromQL over series the service really exports.
/// </summary>
[Collection(PrometheusTests.Name)]
public sealed partial class PrometheusTests(PrometheusTests.TrainedServer server) : IClassFixture<PrometheusTests.TrainedServer>
{
    /// <summary>Alone: a scrape must not time out behind other servers' work, and no other engine's meters may mix in.</summary>
    public const string Name = "prometheus";

    /// <summary>Every query selects this model, as a dashboard user picking it would.</summary>
    private const string ModelId = "prometheus-trained";

    private static readonly QuestionSpec Confident = TemplateModelDirectory.Confident;
    private static readonly QuestionSpec Thinks = TemplateModelDirectory.Thinks;

    [Fact]
    public async Task Think_rate_reaches_prometheus_and_the_dashboard_through_the_real_exporter()
    {
        await using var prometheus = await PrometheusServer.StartAsync(server.HttpAddress);
        await prometheus.WaitUntilAsync(async () => await prometheus.ValueAsync("up{job=\"videoautor1\"}") == 1, "first scrape");

        // Two waves: the first creates the counter series, the second is the increase rate() sees.
        for (var wave = 1; wave <= 2; wave++)
        {
            Assert.False(await AskAsync(Confident), "the confident question must exit early");
            Assert.True(await AskAsync(Thinks), "the fallback question must think");
            var expected = 2 * wave;
            await prometheus.WaitUntilAsync(
                async () => await prometheus.ValueAsync($"sum(videoautor1_a1_decisions_total{{model=\"{ModelId}\"}})") == expected,
                $"{expected} decisions scraped");
        }

        Assert.Equal(2, await prometheus.ValueAsync($"sum(videoautor1_a1_decisions_total{{decision=\"thinking\", model=\"{ModelId}\"}})"));

        // Over the second wave one of two decisions thought: the recording rule and the dashboard's stat say 0.5.
        await EventuallyEqualAsync(prometheus, $"sum(videoautor1:think_rate:5m{{model=\"{ModelId}\"}})", 0.5);
        await EventuallyEqualAsync(prometheus, DashboardQueries().First(q => q.Title == "Think rate").Expr, 0.5);
        Assert.Equal(4, await prometheus.ValueAsync($"sum(videoautor1_requests_total{{outcome=\"completed\", model=\"{ModelId}\"}})"));

        // Every dashboard query parses, and every series it names is exported (after these requests).
        var exported = (await prometheus.QueryAsync("count by (__name__) ({__name__=~\"videoautor1_.+\"})"))
            .EnumerateArray().Select(r => r.GetProperty("metric").GetProperty("__name__").GetString()!).ToHashSet();
        foreach (var (title, expr) in DashboardQueries())
        {
            await prometheus.QueryAsync(expr);
            foreach (Match name in MetricName().Matches(expr))
            {
                Assert.True(exported.Contains(name.Value), $"panel '{title}' reads {name.Value}, which the service does not export: {string.Join(", ", exported.Order())}");
            }
        }

        // Each autoscaler query returns the one series KEDA requires, and reads zero once every request has finished.
        foreach (var (trigger, query) in ScalerQueries())
        {
            var series = await prometheus.QueryAsync(query);
            Assert.True(series.GetArrayLength() == 1, $"ScaledObject trigger '{trigger}' `{query}` returned {series.GetArrayLength()} series: {series}");
            Assert.Equal(0, await prometheus.ValueAsync(query));
        }

        // The rule file loaded and every rule evaluates without error.
        var groups = (await prometheus.RulesAsync()).EnumerateArray().ToArray();
        Assert.Contains(groups, g => g.GetProperty("name").GetString() == "videoautor1");
        foreach (var rule in groups.SelectMany(g => g.GetProperty("rules").EnumerateArray()))
        {
            Assert.Equal("ok", rule.GetProperty("health").GetString());
        }
    }

    /// <summary>
    /// Rules evaluate and rates settle a scrape or two after the data: poll, and report the last value. rate()
    /// extrapolates each series to the window's edges from its own first and last samples, and the two decision
    /// series start on different scrapes, so the ratio of rates lands near, not exactly on, the true share.
    /// </summary>
    private static async Task EventuallyEqualAsync(PrometheusServer prometheus, string promql, double expected)
    {
        double? last = null;
        for (var attempt = 0; attempt < 40; attempt++)
        {
            last = await prometheus.ValueAsync(promql);
            if (last is { } value && Math.Abs(value - expected) < 0.02)
            {
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"`{promql}` stayed at {last?.ToString() ?? "no data"}, expected {expected}");
    }

    /// <summary>Asks over REST; returns whether the model thought.</summary>
    private async Task<bool> AskAsync(QuestionSpec question)
    {
        using var http = server.Http();
        var body = JsonSerializer.Serialize(new { question = question.Question, options = question.Options, max_new_tokens = 40, video = new { path = "testsrc-4s.mp4" } });
        using var response = await http.PostAsync("/v1/answers", RestApiTests.Json(body));
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, answer.ToString());
        Assert.NotEqual(JsonValueKind.Null, answer.GetProperty("a1").ValueKind);
        return answer.GetProperty("thought").GetBoolean();
    }

    /// <summary>The Grafana dashboard's queries with its variables bound as Grafana would for "All" over 1 minute.</summary>
    private static IEnumerable<(string Title, string Expr)> DashboardQueries()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "grafana", "dashboards", "videoautor1.json")));
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                var expr = target.GetProperty("expr").GetString()!
                    .Replace("$__rate_interval", "1m", StringComparison.Ordinal)
                    .Replace("$model", ModelId, StringComparison.Ordinal)
                    .Replace("$mode", ".*", StringComparison.Ordinal);
                yield return (panel.GetProperty("title").GetString()!, expr);
            }
        }
    }

    /// <summary>The Prometheus triggers of the Kubernetes ScaledObject, as KEDA runs them.</summary>
    private static IEnumerable<(string Trigger, string Query)> ScalerQueries()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "k8s", "base", "scaledobject.yaml"))));
        var triggers = (YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["spec"])["triggers"];
        Assert.NotEmpty(triggers);
        foreach (var trigger in triggers.Cast<YamlMappingNode>())
        {
            Assert.Equal("prometheus", trigger["type"].ToString());
            yield return (trigger["name"].ToString(), ((YamlMappingNode)trigger["metadata"])["query"].ToString());
        }
    }

    [GeneratedRegex(@"videoautor1_[a-z0-9_]+")]
    private static partial Regex MetricName();

    /// <summary>The real service on a tiny model trained here on the sample video the requests name.</summary>
    public sealed class TrainedServer : VideoQaServer
    {
        private readonly string _modelDirectory = Directory.CreateTempSubdirectory("videoautor1-prometheus-model-").FullName;

        public TrainedServer()
        {
            using var model = Qwen2_5_VLForConditionalGeneration.CreateRandom(SmallModel.Config, seed: 3, new ModelLoadOptions());
            TemplateModelDirectory.TrainAndSave(model, TemplateModelDirectory.SampleVideo(VisionPreprocessing.Qwen2_5_VL), _modelDirectory);
        }

        protected override IDictionary<string, string?> Settings()
        {
            var settings = base.Settings();
            settings["Engine:ModelDirectory"] = _modelDirectory;
            settings["Engine:ModelId"] = ModelId;
            return settings;
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            Directory.Delete(_modelDirectory, recursive: true);
        }
    }
}

[CollectionDefinition(PrometheusTests.Name, DisableParallelization = true)]
public sealed class PrometheusCollection;
