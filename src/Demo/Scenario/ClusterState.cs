using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PolicyTrail.Demo.Scenario;

/// <summary>The demo cluster at one snapshot, written as <c>kubectl get ... -A -o json</c> writes it.</summary>
internal sealed class ClusterState(string name, DateTimeOffset takenAt, IReadOnlyList<DemoPod> pods, IReadOnlyList<JsonObject> policies)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>first or second.</summary>
    public string Name { get; } = name;

    /// <summary>When the snapshot was taken.</summary>
    public DateTimeOffset TakenAt { get; } = takenAt;

    /// <summary>The pods running.</summary>
    public IReadOnlyList<DemoPod> Pods { get; } = pods;

    /// <summary>The NetworkPolicy objects.</summary>
    public IReadOnlyList<JsonObject> Policies { get; } = policies;

    /// <summary>The pods of workload <paramref name="ns"/>/<paramref name="workload"/>.</summary>
    public IReadOnlyList<DemoPod> PodsOf(string ns, string workload) =>
        Pods.Where(p => p.Namespace == ns && p.Workload.Name == workload).ToList();

    /// <summary>Writes namespaces, nodes, ReplicaSets, pods, services and policies into <paramref name="folder"/>.</summary>
    public void WriteTo(string folder)
    {
        Directory.CreateDirectory(folder);
        Write(folder, "namespaces.json", DemoCluster.Namespaces.Select(Namespace));
        Write(folder, "nodes.json", DemoCluster.Nodes.Select(n => Node(n.Name, n.PodCidr, n.Address)));
        Write(folder, "replicasets.json", Pods.Select(p => p.Workload).Distinct().Where(w => w.Kind == OwnerKind.Deployment).Select(ReplicaSet));
        Write(folder, "pods.json", Pods.Select(Pod));
        Write(folder, "services.json", DemoCluster.Workloads.Where(w => w.Kind != OwnerKind.DaemonSet).Select((w, i) => Service(w, i)));
        Write(folder, "networkpolicies.json", Policies.Select(p => (JsonObject)p.DeepClone()));
        // kubectl output files carry the time they were taken; ingest --cluster reads it from there.
        foreach (var file in Directory.GetFiles(folder))
        {
            File.SetLastWriteTimeUtc(file, TakenAt.UtcDateTime);
        }
    }

    private static void Write(string folder, string file, IEnumerable<JsonObject> items)
    {
        var list = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "List",
            ["metadata"] = new JsonObject { ["resourceVersion"] = "" },
            ["items"] = new JsonArray(items.Cast<JsonNode>().ToArray()),
        };
        File.WriteAllText(Path.Combine(folder, file), list.ToJsonString(Indented) + "\n");
    }

    private static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static JsonObject Metadata(string name, string? ns, string uid, DateTimeOffset created, IReadOnlyDictionary<string, string>? labels = null)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (ns is not null)
        {
            metadata["namespace"] = ns;
        }
        metadata["uid"] = uid;
        metadata["resourceVersion"] = (100_000 + (created - DemoCluster.Day.AddDays(-40)).TotalMinutes).ToString("F0", CultureInfo.InvariantCulture);
        metadata["creationTimestamp"] = Time(created);
        if (labels is not null)
        {
            metadata["labels"] = new JsonObject(labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value)));
        }
        return metadata;
    }

    private static JsonObject Namespace((string Name, string? Tier) ns)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal) { ["kubernetes.io/metadata.name"] = ns.Name };
        if (ns.Tier is not null)
        {
            labels["tier"] = ns.Tier;
        }
        var metadata = Metadata(ns.Name, null, Naming.Uid($"namespace/{ns.Name}"), DemoCluster.Day.AddDays(-40), labels);
        // Antrea logs K8s NetworkPolicy verdicts only in namespaces that ask for it.
        metadata["annotations"] = new JsonObject { ["networkpolicy.antrea.io/enable-logging"] = "true" };
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") },
            ["status"] = new JsonObject { ["phase"] = "Active" },
        };
    }

    private static JsonObject Node(string name, string podCidr, string address) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Node",
        ["metadata"] = Metadata(name, null, Naming.Uid($"node/{name}"), DemoCluster.Day.AddDays(-40), new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["kubernetes.io/hostname"] = name,
            ["kubernetes.io/os"] = "linux",
            ["topology.kubernetes.io/zone"] = $"eu-west-1{name[^1]}",
        }),
        ["spec"] = new JsonObject { ["podCIDR"] = podCidr, ["podCIDRs"] = new JsonArray(podCidr) },
        ["status"] = new JsonObject
        {
            ["addresses"] = new JsonArray(
                new JsonObject { ["type"] = "InternalIP", ["address"] = address },
                new JsonObject { ["type"] = "Hostname", ["address"] = name }),
        },
    };

    private static JsonObject ReplicaSet(DemoWorkload workload)
    {
        var name = $"{workload.Name}-{workload.TemplateHash}";
        var metadata = Metadata(name, workload.Namespace, Naming.Uid($"replicaset/{workload.Namespace}/{name}"), DemoCluster.Day.AddDays(-6), workload.Labels);
        metadata["ownerReferences"] = Owner("apps/v1", "Deployment", workload.Name, Naming.Uid($"deployment/{workload.Namespace}/{workload.Name}"));
        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "ReplicaSet",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["replicas"] = workload.Nodes.Length,
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = workload.Name } },
            },
        };
    }

    private static JsonArray Owner(string apiVersion, string kind, string name, string uid) =>
        new(new JsonObject
        {
            ["apiVersion"] = apiVersion,
            ["kind"] = kind,
            ["name"] = name,
            ["uid"] = uid,
            ["controller"] = true,
            ["blockOwnerDeletion"] = true,
        });

    private static JsonObject Pod(DemoPod pod)
    {
        var w = pod.Workload;
        var metadata = Metadata(pod.Name, pod.Namespace, pod.Uid, pod.Created, pod.Labels);
        switch (w.Kind)
        {
            case OwnerKind.Deployment:
                var rs = $"{w.Name}-{w.TemplateHash}";
                metadata["ownerReferences"] = Owner("apps/v1", "ReplicaSet", rs, Naming.Uid($"replicaset/{w.Namespace}/{rs}"));
                break;
            case OwnerKind.StatefulSet:
                metadata["ownerReferences"] = Owner("apps/v1", "StatefulSet", w.Name, Naming.Uid($"statefulset/{w.Namespace}/{w.Name}"));
                break;
            case OwnerKind.DaemonSet:
                metadata["ownerReferences"] = Owner("apps/v1", "DaemonSet", w.Name, Naming.Uid($"daemonset/{w.Namespace}/{w.Name}"));
                break;
        }
        var container = new JsonObject { ["name"] = w.Name, ["image"] = w.Image };
        if (w.Ports.Length > 0)
        {
            container["ports"] = new JsonArray(w.Ports.Select(p => (JsonNode)new JsonObject
            {
                ["name"] = p.Name,
                ["containerPort"] = p.Port,
                ["protocol"] = p.Protocol,
            }).ToArray());
        }
        var hostIP = DemoCluster.Nodes.Single(n => n.Name == pod.Node).Address;
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["nodeName"] = pod.Node,
                ["serviceAccountName"] = w.Kind == OwnerKind.None ? "default" : w.Name,
                ["containers"] = new JsonArray(container),
            },
            ["status"] = new JsonObject
            {
                ["phase"] = "Running",
                ["hostIP"] = hostIP,
                ["podIP"] = pod.IP,
                ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = pod.IP }),
                ["startTime"] = Time(pod.Created.AddSeconds(2)),
            },
        };
    }

    private static JsonObject Service(DemoWorkload workload, int index)
    {
        var metadata = Metadata(workload.Name, workload.Namespace, Naming.Uid($"service/{workload.Namespace}/{workload.Name}"), DemoCluster.Day.AddDays(-30),
            new Dictionary<string, string>(StringComparer.Ordinal) { ["app"] = workload.Name });
        if (workload.Name is "payments-api" or "postgres")
        {
            // The label the report and docs/REPORT.md use to find the services auditors ask about.
            metadata["annotations"] = new JsonObject { ["policytrail.io/sensitive"] = "true" };
        }
        var selector = workload.Labels.TryGetValue("k8s-app", out var k8sApp)
            ? new JsonObject { ["k8s-app"] = k8sApp }
            : new JsonObject { ["app"] = workload.Name };
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["type"] = "ClusterIP",
                ["clusterIP"] = $"10.96.{index / 200}.{10 + index % 200}",
                ["selector"] = selector,
                ["ports"] = new JsonArray(workload.Ports.Select(p => (JsonNode)new JsonObject
                {
                    ["name"] = p.Name,
                    ["port"] = p.Port == 8443 ? 443 : p.Port,
                    ["targetPort"] = p.Name,
                    ["protocol"] = p.Protocol,
                }).ToArray()),
            },
        };
    }
}
