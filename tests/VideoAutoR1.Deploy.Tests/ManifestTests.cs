using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;

namespace VideoAutoR1.Deploy.Tests;

/// <summary>
/// Each kustomize overlay rendered by kubectl and every object validated against the Kubernetes, KEDA and
/// prometheus-operator schemas (unknown fields included), then the properties an operator relies on.
/// </summary>
public sealed class ManifestTests
{
    private static readonly string[] BaseKinds =
        ["ConfigMap", "Deployment", "Namespace", "PodDisruptionBudget", "PrometheusRule", "ScaledObject", "Service", "ServiceMonitor"];

    /// <summary>kubectl and node run once per overlay; each test reads its own copy.</summary>
    private static readonly ConcurrentDictionary<string, IReadOnlyList<ValidatedObject>> Rendered = new();

    public static TheoryData<string> Overlays => new() { "cpu", "gpu", "gpu-model-image" };

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Every_rendered_object_matches_the_schema_of_its_kind(string overlay)
    {
        var objects = Rendered.GetOrAdd(overlay, name => DeployTools.Validate(DeployTools.Kustomize(name)));

        Assert.All(objects, o => Assert.True(o.Errors.Length == 0, o.ToString()));
        var expected = overlay == "gpu" ? BaseKinds.Append("PersistentVolumeClaim").Order() : BaseKinds.Order();
        Assert.Equal(expected, objects.Select(o => o.Kind!).Distinct().Order());
    }

    [Fact]
    public void The_validator_reports_wrong_types_unknown_fields_and_kinds_without_a_schema()
    {
        var objects = DeployTools.Validate("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: broken, labels: {free: form}}
            spec:
              replicas: two
              selector: {matchLabels: {a: b}}
              template:
                metadata: {labels: {a: b}}
                spec:
                  containers:
                    - {name: a, image: b, resources: {request: {cpu: "1"}}}
            ---
            apiVersion: keda.sh/v1alpha1
            kind: ScaledObject
            metadata: {name: broken}
            spec:
              scaleTargetRef: {name: a}
              cooldown: 300
              triggers: [{type: prometheus, metadata: {query: "1"}}]
            ---
            apiVersion: v1
            kind: NoSuchKind
            metadata: {name: broken}
            """);

        Assert.Equal(3, objects.Count);
        Assert.Contains(objects[0].Errors, e => e.Contains("/spec/replicas must be integer", StringComparison.Ordinal));
        Assert.Contains(objects[0].Errors, e => e.Contains("unknown field \"request\"", StringComparison.Ordinal));
        Assert.Equal(2, objects[0].Errors.Length);
        Assert.Equal(["/spec/cooldown: unknown field \"cooldown\""], objects[1].Errors);
        Assert.Equal(["no schema for v1 NoSuchKind"], objects[2].Errors);
    }

    [SkippableFact]
    public void Gpu_overlay_runs_the_cuda_image_in_bf16_on_one_gpu_from_a_read_only_checkpoint()
    {
        var rendered = Render("gpu");
        var pod = PodSpec(rendered);
        var container = pod["containers"]![0]!;
        var config = Config(rendered);

        Assert.Equal("videoautor1:cuda", (string?)container["image"]);
        Assert.Equal("1", (string?)container["resources"]!["limits"]!["nvidia.com/gpu"]);
        Assert.Contains(pod["tolerations"]!.AsArray(), t => (string?)t!["key"] == "nvidia.com/gpu" && (string?)t["effect"] == "NoSchedule");
        Assert.Equal("true", (string?)pod["nodeSelector"]!["nvidia.com/gpu.present"]);
        Assert.Equal("bfloat16", config["Engine__DType"]);
        Assert.Equal("cuda:0", config["Engine__Device"]);

        var mount = container["volumeMounts"]!.AsArray().Single(m => (string?)m!["name"] == "models")!;
        Assert.True((bool?)mount["readOnly"]);
        Assert.StartsWith((string)mount["mountPath"]! + "/", config["Engine__ModelDirectory"], StringComparison.Ordinal);
        var volume = pod["volumes"]!.AsArray().Single(v => (string?)v!["name"] == "models")!;
        Assert.True((bool?)volume["persistentVolumeClaim"]!["readOnly"]);

        // A 7B checkpoint loads for minutes: liveness must not restart the pod before the startup probe gives up.
        var startup = container["startupProbe"]!;
        Assert.True((int)startup["periodSeconds"]! * (int)startup["failureThreshold"]! >= 600, startup.ToJsonString());
    }

    [SkippableFact]
    public void Gpu_model_image_variant_copies_the_checkpoint_in_an_init_container_and_serves_it_read_only()
    {
        var rendered = Render("gpu-model-image");
        var pod = PodSpec(rendered);

        Assert.DoesNotContain(rendered, o => (string?)o["kind"] == "PersistentVolumeClaim");
        Assert.NotNull(pod["volumes"]!.AsArray().Single(v => (string?)v!["name"] == "models")!["emptyDir"]);
        var init = Assert.Single(pod["initContainers"]!.AsArray())!;
        Assert.Contains(init["volumeMounts"]!.AsArray(), m => (string?)m!["name"] == "models" && m["readOnly"] is null);
        var mount = pod["containers"]![0]!["volumeMounts"]!.AsArray().Single(m => (string?)m!["name"] == "models")!;
        Assert.True((bool?)mount["readOnly"]);
    }

    [SkippableFact]
    public void Cpu_overlay_serves_the_default_model_shipped_in_the_image()
    {
        var rendered = Render("cpu");
        var container = PodSpec(rendered)["containers"]![0]!;
        var config = Config(rendered);

        Assert.Equal("videoautor1:latest", (string?)container["image"]);
        Assert.Equal("", config["Engine__ModelDirectory"]);
        Assert.Equal("cpu", config["Engine__Device"]);
        Assert.Null(container["resources"]!["limits"]!["nvidia.com/gpu"]);
        Assert.True((bool?)container["securityContext"]!["readOnlyRootFilesystem"]);
        Assert.False(config.ContainsKey("VIDEOAUTOR1_CACHE"));
    }

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Termination_grace_covers_the_pre_stop_pause_and_the_drain_and_scale_down_waits_for_it(string overlay)
    {
        var rendered = Render(overlay);
        var pod = PodSpec(rendered);
        var grace = (int)pod["terminationGracePeriodSeconds"]!;
        var preStop = (int)pod["containers"]![0]!["lifecycle"]!["preStop"]!["sleep"]!["seconds"]!;
        var drain = TimeSpan.Parse(Config(rendered)["Engine__ShutdownGrace"], CultureInfo.InvariantCulture).TotalSeconds;

        // The host's shutdown timeout sits 10 s above the drain; 15 s leaves the process time to exit before SIGKILL.
        Assert.True(grace >= preStop + drain + 15, $"terminationGracePeriodSeconds {grace} < preStop {preStop} + drain {drain} + 15");

        var scaledObject = Single(rendered, "ScaledObject")["spec"]!;
        var scaleDown = scaledObject["advanced"]!["horizontalPodAutoscalerConfig"]!["behavior"]!["scaleDown"]!["policies"]!.AsArray();
        Assert.All(scaleDown, p => Assert.True((string?)p!["type"] == "Pods" && (int)p["value"]! == 1 && (int)p["periodSeconds"]! >= grace, p!.ToJsonString()));
        Assert.Equal(1, (int)Single(rendered, "PodDisruptionBudget")["spec"]!["maxUnavailable"]!);
        Assert.Equal(1, (int)scaledObject["minReplicaCount"]!);
    }

    [SkippableFact]
    public void Compose_publishes_both_ports_provisions_grafana_and_sets_the_cpu_overlay_limits()
    {
        var rendered = Render("cpu");
        var compose = DeployTools.YamlFileAsJson(Path.Combine(DeployTools.Root, "docker-compose.yml"))["services"]!;
        var service = compose["videoautor1"]!;
        var container = PodSpec(rendered)["containers"]![0]!;

        var limits = service["deploy"]!["resources"]!["limits"]!;
        var k8sLimits = container["resources"]!["limits"]!;
        Assert.Equal(double.Parse((string)k8sLimits["cpu"]!, CultureInfo.InvariantCulture), double.Parse((string)limits["cpus"]!, CultureInfo.InvariantCulture));
        Assert.Equal(KubernetesBytes((string)k8sLimits["memory"]!), ComposeBytes((string)limits["memory"]!));
        Assert.Equal($"{(int)PodSpec(rendered)["terminationGracePeriodSeconds"]!}s", (string?)service["stop_grace_period"]);

        var ports = service["ports"]!.AsArray().Select(p => (string)p!).ToArray();
        Assert.Contains("8080:8080", ports);
        Assert.Contains("8081:8081", ports);

        // Every engine/media/service setting compose passes is the one the overlay's ConfigMap sets.
        var config = Config(rendered);
        var environment = service["environment"]!.AsObject();
        foreach (var key in new[] { "Engine__MaxBatchSize", "Engine__MaxQueueLength", "Engine__ShutdownGrace" })
        {
            Assert.True(environment.ContainsKey(key), $"compose does not set {key}");
        }

        foreach (var (key, value) in environment.Where(e => e.Key.Split("__")[0] is "Engine" or "Media" or "Service"))
        {
            Assert.True(config.TryGetValue(key, out var expected) && expected == (string?)value, $"compose sets {key}={value}, the cpu overlay {expected ?? "nothing"}");
        }

        var grafana = compose["grafana"]!["volumes"]!.AsArray().Select(v => (string)v!).ToArray();
        Assert.Contains(grafana, v => v.StartsWith("./deploy/grafana/provisioning:", StringComparison.Ordinal));
        Assert.Contains(grafana, v => v.StartsWith("./deploy/grafana/dashboards:", StringComparison.Ordinal));
    }

    private static IReadOnlyList<JsonNode> Render(string overlay) =>
        Rendered.GetOrAdd(overlay, name => DeployTools.Validate(DeployTools.Kustomize(name))).Select(o => o.Object!.DeepClone()).ToList();

    private static JsonNode Single(IReadOnlyList<JsonNode> objects, string kind) => objects.Single(o => (string?)o["kind"] == kind);

    private static JsonNode PodSpec(IReadOnlyList<JsonNode> objects) => Single(objects, "Deployment")["spec"]!["template"]!["spec"]!;

    private static Dictionary<string, string> Config(IReadOnlyList<JsonNode> objects) =>
        Single(objects, "ConfigMap")["data"]!.AsObject().ToDictionary(e => e.Key, e => (string)e.Value!);

    /// <summary>Kubernetes quantities with binary suffixes (the only ones these manifests use).</summary>
    private static long KubernetesBytes(string quantity) => Scaled(quantity, ["Ki", "Mi", "Gi"]);

    /// <summary>Compose byte values ("4g", "512m", "4gb"): k, m, g are powers of 1024, as Docker counts them.</summary>
    private static long ComposeBytes(string value) => Scaled(value.ToLowerInvariant().TrimEnd('b'), ["k", "m", "g"]);

    private static long Scaled(string text, string[] suffixes)
    {
        for (var i = suffixes.Length - 1; i >= 0; i--)
        {
            if (text.EndsWith(suffixes[i], StringComparison.Ordinal))
            {
                return long.Parse(text[..^suffixes[i].Length], CultureInfo.InvariantCulture) << (10 * (i + 1));
            }
        }

        return long.Parse(text, CultureInfo.InvariantCulture);
    }
}
