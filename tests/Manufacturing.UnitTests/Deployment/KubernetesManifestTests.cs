using System.Diagnostics;
using k8s;
using k8s.Models;
using Manufacturing.UnitTests.Support;

namespace Manufacturing.UnitTests.Deployment;

/// <summary>
/// Every kustomize overlay under <c>k8s/</c> renders with <c>kubectl kustomize</c>, reads strictly
/// into the Kubernetes API's typed models (an unknown or misspelt field fails), and keeps our
/// invariants: probes and limits on every container, a PodDisruptionBudget per Deployment, the labels,
/// environment and RBAC Orleans' Kubernetes hosting expects, Services, autoscalers and references
/// that point at something.
/// </summary>
public sealed class KubernetesManifestTests
{
    /// <summary>The overlays, and the Secrets each expects to exist in the cluster rather than render.</summary>
    public static TheoryData<string, string[]> Overlays => new()
    {
        { "overlays/development", [] },
        { "overlays/production", ["postgres-connection", "gateway-tls"] },
        { "overlays/plant-p200", ["postgres-connection", "gateway-tls"] },
    };

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_overlay_renders_validates_and_keeps_the_invariants(string overlay, string[] externalSecrets)
    {
        var objects = Render(overlay);

        Assert.Empty(Violations(objects, externalSecrets));
        Assert.Equal(5, objects.OfType<V1Deployment>().Count(d => Label(d.Spec.Template.Metadata, "app.kubernetes.io/component") == "silo" && Env(d, "Orleans__Plants") == ""));
    }

    [Fact]
    public void The_plant_overlay_adds_silos_for_p200_only_with_their_own_replicas()
    {
        var objects = Render("overlays/plant-p200");

        var plant = Assert.Single(objects.OfType<V1Deployment>(), d => Env(d, "Orleans__Plants") is { Length: > 0 });
        Assert.Equal(("P200", 3), (Env(plant, "Orleans__Plants"), plant.Spec.Replicas));
        Assert.Equal("registry.example.com/manufacturing/shop-floor:1.0.0", plant.Spec.Template.Spec.Containers[0].Image);
        Assert.Contains(objects.OfType<V2HorizontalPodAutoscaler>(), h => h.Spec.ScaleTargetRef.Name == plant.Metadata.Name && h.Spec.MinReplicas == 3);
        Assert.Equal(2, objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "shop-floor").Spec.Replicas);
    }

    [Fact]
    public void The_development_overlay_brings_its_postgresql_and_production_expects_an_external_one()
    {
        var development = Render("overlays/development");
        var production = Render("overlays/production");

        Assert.Contains(development.OfType<V1StatefulSet>(), s => s.Metadata.Name == "postgres");
        Assert.Contains(development.OfType<V1Secret>(), s => s.Metadata.Name == "postgres-connection");
        Assert.DoesNotContain(production.OfType<V1StatefulSet>(), s => s.Metadata.Name == "postgres");
        Assert.DoesNotContain(production.OfType<V1Secret>(), s => s.Metadata.Name == "postgres-connection");
        Assert.All(production.OfType<V1Deployment>(), d => Assert.True(production.OfType<V2HorizontalPodAutoscaler>().Any(h => h.Spec.ScaleTargetRef.Name == d.Metadata.Name), $"{d.Metadata.Name} has no autoscaler"));
    }

    [Fact]
    public void A_misspelt_field_fails_the_strict_read()
    {
        const string yaml = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: x
            spec:
              replica: 2
            """;

        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(yaml, strict: true));
    }

    [Fact]
    public void A_deployment_without_probes_limits_budget_or_orleans_labels_is_reported()
    {
        var objects = Render("overlays/development");
        var silo = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "quality");
        var container = silo.Spec.Template.Spec.Containers[0];
        container.ReadinessProbe = null;
        container.LivenessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/healthz", Port = "rest" } };
        container.Resources.Limits = null;
        silo.Spec.Template.Metadata.Labels.Remove("orleans/clusterId");
        objects.RemoveAll(o => o is V1PodDisruptionBudget { Metadata.Name: "quality" });

        var violations = Violations(objects, []);

        Assert.Contains("Deployment quality: container quality has no readiness probe", violations);
        Assert.Contains("Deployment quality: container quality has no cpu and memory limits", violations);
        Assert.Contains("Deployment quality: container quality is not alive on gRPC health service \"liveness\"", violations);
        Assert.Contains("Deployment quality: no PodDisruptionBudget selects its pods", violations);
        Assert.Contains("Deployment quality: silo pods lack the label orleans/clusterId", violations);
    }

    private static List<object> Render(string overlay)
    {
        var start = new ProcessStartInfo("kubectl", ["kustomize", Path.Combine(Repository.Root, "k8s", overlay)])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var kubectl = Process.Start(start) ?? throw new InvalidOperationException("kubectl could not be started (it must be on PATH).");
        var output = kubectl.StandardOutput.ReadToEndAsync();
        var error = kubectl.StandardError.ReadToEndAsync();
        Assert.True(kubectl.WaitForExit(TimeSpan.FromSeconds(60)), $"kubectl kustomize {overlay} did not finish within 60 s");
        Assert.True(kubectl.ExitCode == 0, $"kubectl kustomize {overlay} failed: {error.Result}");

        // Read from a string: the stream overloads of KubernetesClient ignore strict.
        return KubernetesYaml.LoadAllFromString(output.Result, strict: true);
    }

    private static string? Label(V1ObjectMeta? meta, string key) => meta?.Labels?.TryGetValue(key, out var value) == true ? value : null;

    /// <summary>An environment variable's value as the pod sees it: a label given by the downward API resolves to the pod's label.</summary>
    private static string? Env(V1Deployment deployment, string name)
    {
        var variable = deployment.Spec.Template.Spec.Containers.SelectMany(c => c.Env ?? []).FirstOrDefault(e => e.Name == name);
        if (variable?.ValueFrom?.FieldRef?.FieldPath is { } path)
        {
            var label = System.Text.RegularExpressions.Regex.Match(path, @"^metadata\.labels\['([^']+)'\]$");
            return label.Success ? Label(deployment.Spec.Template.Metadata, label.Groups[1].Value) ?? "" : null;
        }

        return variable is null ? null : variable.Value ?? "";
    }

    private static bool Selects(IDictionary<string, string>? selector, IDictionary<string, string>? labels) =>
        selector is { Count: > 0 } && labels is not null && selector.All(s => labels.TryGetValue(s.Key, out var v) && v == s.Value);

    /// <summary>Our invariants over one rendered overlay; each violation as a sentence.</summary>
    private static List<string> Violations(List<object> objects, string[] externalSecrets)
    {
        var violations = new List<string>();
        var deployments = objects.OfType<V1Deployment>().ToList();
        var workloads = deployments.Select(d => (Kind: "Deployment", d.Metadata.Name, d.Spec.Template))
            .Concat(objects.OfType<V1StatefulSet>().Select(s => (Kind: "StatefulSet", s.Metadata.Name, s.Spec.Template)))
            .Concat(objects.OfType<V1Job>().Select(j => (Kind: "Job", j.Metadata.Name, j.Spec.Template)))
            .ToList();
        var secrets = objects.OfType<V1Secret>().Select(s => s.Metadata.Name).Concat(externalSecrets).ToHashSet();
        var configMaps = objects.OfType<V1ConfigMap>().Select(c => c.Metadata.Name).ToHashSet();

        foreach (var (kind, name, template) in workloads)
        {
            foreach (var container in template.Spec.Containers)
            {
                var where = $"{kind} {name}: container {container.Name}";
                if (kind != "Job" && container.ReadinessProbe is null)
                {
                    violations.Add($"{where} has no readiness probe");
                }

                if (kind != "Job" && container.LivenessProbe is null)
                {
                    violations.Add($"{where} has no liveness probe");
                }

                if (container.Resources?.Limits is not { } limits || !limits.ContainsKey("cpu") || !limits.ContainsKey("memory"))
                {
                    violations.Add($"{where} has no cpu and memory limits");
                }

                if (container.Resources?.Requests is not { } requests || !requests.ContainsKey("cpu") || !requests.ContainsKey("memory"))
                {
                    violations.Add($"{where} has no cpu and memory requests");
                }

                foreach (var secret in (container.Env ?? []).Select(e => e.ValueFrom?.SecretKeyRef?.Name)
                    .Concat((container.EnvFrom ?? []).Select(e => e.SecretRef?.Name)).OfType<string>().Where(s => !secrets.Contains(s)))
                {
                    violations.Add($"{where} reads Secret {secret}, which the overlay neither renders nor expects");
                }

                foreach (var map in (container.EnvFrom ?? []).Select(e => e.ConfigMapRef?.Name).OfType<string>().Where(m => !configMaps.Contains(m)))
                {
                    violations.Add($"{where} reads ConfigMap {map}, which is not rendered");
                }
            }

            foreach (var secret in (template.Spec.Volumes ?? []).Select(v => v.Secret?.SecretName).OfType<string>().Where(s => !secrets.Contains(s)))
            {
                violations.Add($"{kind} {name}: mounts Secret {secret}, which the overlay neither renders nor expects");
            }
        }

        foreach (var deployment in deployments)
        {
            var name = deployment.Metadata.Name;
            var labels = deployment.Spec.Template.Metadata.Labels;
            if (!Selects(deployment.Spec.Selector.MatchLabels, labels))
            {
                violations.Add($"Deployment {name}: its selector does not select its own pods");
            }

            if (!objects.OfType<V1PodDisruptionBudget>().Any(p => Selects(p.Spec.Selector.MatchLabels, labels)))
            {
                violations.Add($"Deployment {name}: no PodDisruptionBudget selects its pods");
            }

            if (deployment.Spec.Template.Spec.TopologySpreadConstraints is not { Count: > 0 })
            {
                violations.Add($"Deployment {name}: its pods are not spread (topologySpreadConstraints)");
            }

            if (Label(deployment.Spec.Template.Metadata, "app.kubernetes.io/component") != "silo")
            {
                continue;
            }

            // Silos are probed on gRPC health: ready on every check, alive on the "liveness" service (no dependency).
            foreach (var container in deployment.Spec.Template.Spec.Containers)
            {
                if (container.ReadinessProbe is { } ready && (ready.Grpc is null || !string.IsNullOrEmpty(ready.Grpc.Service)))
                {
                    violations.Add($"Deployment {name}: container {container.Name} is not ready on gRPC health (service \"\")");
                }

                if (container.LivenessProbe is { } alive && alive.Grpc?.Service != "liveness")
                {
                    violations.Add($"Deployment {name}: container {container.Name} is not alive on gRPC health service \"liveness\"");
                }
            }

            foreach (var label in new[] { "orleans/serviceId", "orleans/clusterId" }.Where(l => Label(deployment.Spec.Template.Metadata, l) is not { Length: > 0 }))
            {
                violations.Add($"Deployment {name}: silo pods lack the label {label}");
            }

            var env = deployment.Spec.Template.Spec.Containers.SelectMany(c => c.Env ?? []).ToList();
            foreach (var (variable, field) in new[]
            {
                ("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace"), ("POD_IP", "status.podIP"),
                ("ORLEANS_SERVICE_ID", "metadata.labels['orleans/serviceId']"), ("ORLEANS_CLUSTER_ID", "metadata.labels['orleans/clusterId']"),
            })
            {
                if (env.FirstOrDefault(e => e.Name == variable)?.ValueFrom?.FieldRef?.FieldPath != field)
                {
                    violations.Add($"Deployment {name}: {variable} does not come from {field}");
                }
            }

            if (env.All(e => e.Name != "ConnectionStrings__Orleans"))
            {
                violations.Add($"Deployment {name}: silo without ConnectionStrings__Orleans (it would run on in-memory storage)");
            }

            var account = deployment.Spec.Template.Spec.ServiceAccountName;
            var roles = objects.OfType<V1RoleBinding>().Where(b => b.Subjects.Any(s => s.Kind == "ServiceAccount" && s.Name == account)).Select(b => b.RoleRef.Name).ToHashSet();
            var verbs = objects.OfType<V1Role>().Where(r => roles.Contains(r.Metadata.Name))
                .SelectMany(r => r.Rules).Where(r => r.Resources.Contains("pods")).SelectMany(r => r.Verbs).ToHashSet();
            if (!objects.OfType<V1ServiceAccount>().Any(a => a.Metadata.Name == account) || !new[] { "get", "watch", "list", "patch" }.All(verbs.Contains))
            {
                violations.Add($"Deployment {name}: its service account ({account}) cannot get, watch, list and patch pods (Orleans' Kubernetes hosting)");
            }

            if (deployment.Spec.Template.Spec.TerminationGracePeriodSeconds is not >= 50)
            {
                violations.Add($"Deployment {name}: the grace period leaves no time to hand grains over (at least 50 s)");
            }
        }

        foreach (var service in objects.OfType<V1Service>())
        {
            if (!workloads.Any(w => Selects(service.Spec.Selector, w.Template.Metadata.Labels)))
            {
                violations.Add($"Service {service.Metadata.Name}: selects no pods");
            }
        }

        foreach (var hpa in objects.OfType<V2HorizontalPodAutoscaler>())
        {
            if (!deployments.Any(d => d.Metadata.Name == hpa.Spec.ScaleTargetRef.Name))
            {
                violations.Add($"HorizontalPodAutoscaler {hpa.Metadata.Name}: scales {hpa.Spec.ScaleTargetRef.Name}, which is not rendered");
            }
        }

        foreach (var namespaced in objects.OfType<IKubernetesObject<V1ObjectMeta>>().Where(o => o is not V1Namespace))
        {
            if (namespaced.Metadata.NamespaceProperty != "manufacturing")
            {
                violations.Add($"{namespaced.Kind} {namespaced.Metadata.Name}: not in the manufacturing namespace");
            }
        }

        return violations;
    }
}
