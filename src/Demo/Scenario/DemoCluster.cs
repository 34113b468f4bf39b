using System.Globalization;
using System.Text.Json.Nodes;

namespace PolicyTrail.Demo.Scenario;

/// <summary>
/// The demo's cluster: an online shop in ten namespaces (frontend, checkout, payments, catalog, identity, data,
/// monitoring, logging, kube-system, sandbox) on three nodes, default-deny policies with the exceptions its services
/// need, and two snapshots an hour apart. Between them a catalog pod on node-c is replaced, its address goes to a
/// debug pod in the unpoliced sandbox namespace, and data/allow-postgres-from-payments is widened to fraud-scorer.
/// </summary>
internal static class DemoCluster
{
    /// <summary>The demo's day (UTC).</summary>
    public static readonly DateTimeOffset Day = new(2026, 11, 26, 0, 0, 0, TimeSpan.Zero);

    /// <summary>When the first snapshot was taken.</summary>
    public static DateTimeOffset FirstSnapshotAt => Day.AddHours(9);

    /// <summary>When the second snapshot was taken.</summary>
    public static DateTimeOffset SecondSnapshotAt => Day.AddHours(10);

    /// <summary>The address a catalog pod held in the first snapshot and sandbox/debug-shell in the second.</summary>
    public const string ReusedIP = "10.244.2.10";

    /// <summary>The nodes: name, pod CIDR, internal address.</summary>
    public static readonly (string Name, string PodCidr, string Address)[] Nodes =
    [
        ("node-a", "10.244.0.0/24", "10.0.0.11"),
        ("node-b", "10.244.1.0/24", "10.0.0.12"),
        ("node-c", "10.244.2.0/24", "10.0.0.13"),
    ];

    /// <summary>The namespaces and their labels (identity, payments, checkout and frontend are "apps").</summary>
    public static readonly (string Name, string? Tier)[] Namespaces =
    [
        ("frontend", "apps"), ("checkout", "apps"), ("payments", "apps"), ("catalog", "apps"), ("identity", "platform"),
        ("data", "platform"), ("monitoring", "platform"), ("logging", "platform"), ("kube-system", null), ("sandbox", null),
    ];

    private static readonly ContainerPort Metrics = new("metrics", 9090);

    /// <summary>The workloads, in the order their pods take addresses.</summary>
    public static readonly DemoWorkload[] Workloads =
    [
        new("kube-system", "coredns", OwnerKind.Deployment, ["node-a", "node-b"], [new("dns", 53, "UDP"), new("dns-tcp", 53), new("metrics", 9153)], "registry.k8s.io/coredns/coredns:v1.11.3")
        {
            Labels = new(StringComparer.Ordinal) { ["k8s-app"] = "kube-dns" },
        },
        new("frontend", "web", OwnerKind.Deployment, ["node-a", "node-a", "node-b"], [new("http", 8080), Metrics], "registry.example.com/shop/web:4.12.0"),
        new("checkout", "checkout-api", OwnerKind.Deployment, ["node-a", "node-b"], [new("http", 8080), Metrics], "registry.example.com/shop/checkout:2.7.1"),
        new("payments", "payments-api", OwnerKind.Deployment, ["node-b", "node-a"], [new("https", 8443), Metrics], "registry.example.com/shop/payments:3.2.0"),
        new("payments", "fraud-scorer", OwnerKind.Deployment, ["node-a"], [new("grpc", 9000), Metrics], "registry.example.com/shop/fraud:1.4.2"),
        new("catalog", "catalog-api", OwnerKind.Deployment, ["node-a", "node-b", "node-c"], [new("http", 8080), Metrics], "registry.example.com/shop/catalog:5.0.3"),
        new("identity", "auth", OwnerKind.Deployment, ["node-b", "node-c"], [new("http", 8080), Metrics], "registry.example.com/shop/auth:1.9.0"),
        new("data", "postgres", OwnerKind.StatefulSet, ["node-b"], [new("postgres", 5432), new("metrics", 9187)], "docker.io/library/postgres:17.2"),
        new("data", "redis", OwnerKind.Deployment, ["node-c"], [new("redis", 6379), new("metrics", 9121)], "docker.io/library/redis:7.4"),
        new("monitoring", "prometheus", OwnerKind.StatefulSet, ["node-a"], [new("web", 9090)], "quay.io/prometheus/prometheus:v3.1.0"),
        new("logging", "loki", OwnerKind.StatefulSet, ["node-c"], [new("http", 3100)], "docker.io/grafana/loki:3.3.2"),
        new("logging", "fluent-bit", OwnerKind.DaemonSet, ["node-a", "node-b", "node-c"], [new("metrics", 2020)], "cr.fluentbit.io/fluent/fluent-bit:3.2.4"),
    ];

    /// <summary>The debug pod started in sandbox between the snapshots, on the catalog pod's old address.</summary>
    public static readonly DemoWorkload DebugShell =
        new("sandbox", "debug-shell", OwnerKind.None, ["node-c"], [], "docker.io/nicolaka/netshoot:v0.13");

    /// <summary>The cluster at 09:00 and at 10:00.</summary>
    public static (ClusterState First, ClusterState Second) Build()
    {
        var created = Day.AddDays(-6).AddHours(14);
        var first = new List<DemoPod>();
        var nextHost = Nodes.ToDictionary(n => n.Name, _ => 10, StringComparer.Ordinal);
        foreach (var workload in Workloads)
        {
            for (var replica = 0; replica < workload.Nodes.Length; replica++)
            {
                var node = workload.Nodes[replica];
                first.Add(new DemoPod(workload, PodName(workload, replica), Address(node, nextHost[node]++), node, created.AddMinutes(first.Count * 3)));
            }
        }
        var replaced = first.Single(p => p.IP == ReusedIP);
        if (replaced.Workload.Name != "catalog-api")
        {
            throw new InvalidOperationException($"the reused address {ReusedIP} must be a catalog pod's, it is {replaced.Key}'s");
        }
        var second = first.Where(p => p != replaced).ToList();
        // The Deployment replaced it on node-a at 09:21; the debug pod took the freed address at 09:47.
        second.Add(new DemoPod(replaced.Workload, PodName(replaced.Workload, 7), Address("node-a", nextHost["node-a"]++), "node-a", FirstSnapshotAt.AddMinutes(21)));
        second.Add(new DemoPod(DebugShell, "debug-shell", ReusedIP, "node-c", FirstSnapshotAt.AddMinutes(47)));
        return (new ClusterState("first", FirstSnapshotAt, first, Policies(widened: false)),
            new ClusterState("second", SecondSnapshotAt, second, Policies(widened: true)));
    }

    private static string Address(string node, int host) =>
        Nodes.Single(n => n.Name == node).PodCidr.Replace("0/24", host.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private static string PodName(DemoWorkload workload, int replica) => workload.Kind switch
    {
        OwnerKind.Deployment => $"{workload.Name}-{workload.TemplateHash}-{Naming.Suffix($"{workload.Namespace}/{workload.Name}/{replica}", 5)}",
        OwnerKind.StatefulSet => $"{workload.Name}-{replica}",
        OwnerKind.DaemonSet => $"{workload.Name}-{Naming.Suffix($"{workload.Namespace}/{workload.Name}/{replica}", 5)}",
        _ => workload.Name,
    };

    /// <summary>
    /// The NetworkPolicies. Every namespace of apps and platform services is default-deny for ingress; payments and
    /// data also for egress. monitoring, kube-system and sandbox have none (the coverage finding).
    /// </summary>
    private static List<JsonObject> Policies(bool widened)
    {
        var policies = new List<JsonObject>();
        string[] isolated = ["frontend", "checkout", "payments", "catalog", "identity", "data", "logging"];
        foreach (var ns in isolated)
        {
            var egress = ns is "payments" or "data";
            policies.Add(Policy(ns, "default-deny", 1101, new JsonObject(), egress ? ["Ingress", "Egress"] : ["Ingress"]));
            if (egress)
            {
                policies.Add(Policy(ns, "allow-dns", 1102, new JsonObject(), ["Egress"], egress:
                [
                    Rule("to", [Peer("kube-system", "k8s-app", "kube-dns")], Port(53, "UDP"), Port(53, "TCP")),
                ]));
            }
            if (ns != "logging")
            {
                policies.Add(Policy(ns, "allow-prometheus-scrape", 1103, new JsonObject(), ["Ingress"], ingress:
                [
                    Rule("from", [Peer("monitoring", "app", "prometheus")], Port("metrics")),
                ]));
            }
        }
        policies.Add(Policy("frontend", "allow-web-from-anywhere", 1201, App("web"), ["Ingress"], ingress:
        [
            Rule("from", [new JsonObject { ["ipBlock"] = new JsonObject { ["cidr"] = "0.0.0.0/0" } }], Port("http")),
        ]));
        policies.Add(Policy("checkout", "allow-from-frontend", 1202, App("checkout-api"), ["Ingress"], ingress:
        [
            Rule("from", [Peer("frontend", "app", "web")], Port(8080)),
        ]));
        policies.Add(Policy("catalog", "allow-from-shop", 1203, App("catalog-api"), ["Ingress"], ingress:
        [
            Rule("from", [Peer("frontend", "app", "web"), Peer("checkout", "app", "checkout-api")], Port(8080)),
        ]));
        policies.Add(Policy("identity", "allow-from-apps", 1204, App("auth"), ["Ingress"], ingress:
        [
            Rule("from", [new JsonObject { ["namespaceSelector"] = Labels("tier", "apps") }], Port("http")),
        ]));
        policies.Add(Policy("payments", "allow-checkout", 1205, App("payments-api"), ["Ingress"], ingress:
        [
            Rule("from", [Peer("checkout", "app", "checkout-api")], Port(8443)),
        ]));
        policies.Add(Policy("payments", "allow-fraud-from-api", 1206, App("fraud-scorer"), ["Ingress"], ingress:
        [
            Rule("from", [new JsonObject { ["podSelector"] = Labels("app", "payments-api") }], Port(9000)),
        ]));
        policies.Add(Policy("payments", "allow-egress", 1207, new JsonObject(), ["Egress"], egress:
        [
            Rule("to", [Peer("data", "app", "postgres")], Port(5432)),
            Rule("to", [new JsonObject { ["podSelector"] = Labels("app", "fraud-scorer") }], Port(9000)),
            Rule("to", [Peer("identity", "app", "auth")], Port(8080)),
        ]));
        var postgresClients = new JsonObject
        {
            ["matchExpressions"] = new JsonArray(new JsonObject
            {
                ["key"] = "app",
                ["operator"] = "In",
                ["values"] = widened ? new JsonArray("payments-api", "fraud-scorer") : new JsonArray("payments-api"),
            }),
        };
        policies.Add(Policy("data", "allow-postgres-from-payments", widened ? 1398 : 1208, App("postgres"), ["Ingress"], ingress:
        [
            Rule("from", [new JsonObject { ["namespaceSelector"] = Labels("kubernetes.io/metadata.name", "payments"), ["podSelector"] = postgresClients }], Port(5432)),
        ]));
        policies.Add(Policy("data", "allow-redis-from-catalog", 1209, App("redis"), ["Ingress"], ingress:
        [
            Rule("from", [Peer("catalog", "app", "catalog-api")], Port(6379)),
        ]));
        policies.Add(Policy("logging", "allow-loki-from-fluent-bit", 1210, App("loki"), ["Ingress"], ingress:
        [
            Rule("from", [new JsonObject { ["podSelector"] = Labels("app", "fluent-bit") }], Port(3100)),
        ]));
        return policies;
    }

    private static JsonObject Policy(string ns, string name, int resourceVersion, JsonObject podSelector, string[] types, JsonObject[]? ingress = null, JsonObject[]? egress = null)
    {
        var spec = new JsonObject
        {
            ["podSelector"] = podSelector,
            ["policyTypes"] = new JsonArray(types.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
        };
        if (ingress is not null)
        {
            spec["ingress"] = new JsonArray(ingress.Cast<JsonNode>().ToArray());
        }
        if (egress is not null)
        {
            spec["egress"] = new JsonArray(egress.Cast<JsonNode>().ToArray());
        }
        return new JsonObject
        {
            ["apiVersion"] = "networking.k8s.io/v1",
            ["kind"] = "NetworkPolicy",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
                ["uid"] = Naming.Uid($"networkpolicy/{ns}/{name}"),
                ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture),
                ["generation"] = resourceVersion > 1300 ? 2 : 1,
                ["creationTimestamp"] = Day.AddDays(-30).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            },
            ["spec"] = spec,
        };
    }

    private static JsonObject App(string app) => new() { ["matchLabels"] = new JsonObject { ["app"] = app } };

    private static JsonObject Labels(string key, string value) => new() { ["matchLabels"] = new JsonObject { [key] = value } };

    private static JsonObject Peer(string ns, string key, string value) => new()
    {
        ["namespaceSelector"] = Labels("kubernetes.io/metadata.name", ns),
        ["podSelector"] = Labels(key, value),
    };

    private static JsonObject Port(int port, string protocol = "TCP") => new() { ["protocol"] = protocol, ["port"] = port };

    private static JsonObject Port(string name) => new() { ["protocol"] = "TCP", ["port"] = name };

    private static JsonObject Rule(string direction, JsonObject[] peers, params JsonObject[] ports) => new()
    {
        [direction] = new JsonArray(peers.Cast<JsonNode>().ToArray()),
        ["ports"] = new JsonArray(ports.Cast<JsonNode>().ToArray()),
    };
}
