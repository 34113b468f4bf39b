using System.Globalization;
using System.Net;
using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;

namespace PolicyTrail.Benchmarks;

/// <summary>
/// A realistic cluster, deterministic by seed: namespaces with team/env labels, deployments with http/metrics/grpc
/// ports, and per namespace a default deny, a DNS egress exception, same-app ingress on a named port, a cross-team
/// range rule and an egress ipBlock with an exception.
/// </summary>
internal sealed class SyntheticCluster
{
    private static readonly string[] Envs = ["prod", "staging", "dev"];

    public required ClusterSnapshot Snapshot { get; init; }

    // ingressOnly: default-deny for ingress only, egress left open (how most clusters start): pods then reach their
    // own namespace's and partner teams' services, which traffic that follows the policies needs.
    public static SyntheticCluster Generate(int seed, int namespaces, int pods, int policies, bool ingressOnly = false)
    {
        var random = new Random(seed);
        var nsList = new List<NamespaceInfo>
        {
            new("kube-system", new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = "kube-system" }),
            new("monitoring", new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = "monitoring", ["team"] = "observability" }),
        };
        for (var n = 0; n < namespaces; n++)
        {
            var name = Ns(n);
            nsList.Add(new NamespaceInfo(name, new Dictionary<string, string>
            {
                ["kubernetes.io/metadata.name"] = name,
                ["team"] = $"team-{n % 20:D2}",
                ["env"] = Envs[n % Envs.Length],
            }));
        }
        var podList = new List<PodInfo>
        {
            Pod("kube-system", "coredns-0", "dns", IPAddress.Parse("10.0.0.2"), [new("dns", 53, Protocol.Udp), new("dns-tcp", 53, Protocol.Tcp)]),
            Pod("monitoring", "prometheus-0", "prometheus", IPAddress.Parse("10.0.0.3"), [new("web", 9090, Protocol.Tcp)]),
        };
        for (var i = 0; i < pods; i++)
        {
            var n = i % namespaces;
            var app = $"app-{random.Next(3)}";
            podList.Add(Pod(Ns(n), $"{app}-{i:D6}", app, Address(i),
                [new("http", 8080 + random.Next(3), Protocol.Tcp), new("metrics", 9090, Protocol.Tcp), new("grpc", 9000, Protocol.Tcp)]));
        }
        var policyList = new List<NetworkPolicyInfo>();
        for (var p = 0; policyList.Count < policies; p++)
        {
            var n = p % namespaces;
            var ns = Ns(n);
            var round = p / namespaces;
            policyList.Add((round % 5) switch
            {
                0 => new NetworkPolicyInfo
                {
                    Namespace = ns, Name = $"default-deny-{round}", ResourceVersion = $"{p + 1000}",
                    PolicyTypes = ingressOnly ? [PolicyDirection.Ingress] : [PolicyDirection.Ingress, PolicyDirection.Egress],
                },
                1 when ingressOnly => new NetworkPolicyInfo
                {
                    Namespace = ns, Name = $"allow-same-namespace-{round}", ResourceVersion = $"{p + 1000}",
                    PolicyTypes = [PolicyDirection.Ingress],
                    Ingress = [new PolicyRuleInfo([new PolicyPeerInfo(new LabelSelector(new Dictionary<string, string>(), []), null, null)], null)],
                },
                1 => new NetworkPolicyInfo
                {
                    Namespace = ns, Name = $"allow-dns-{round}", ResourceVersion = $"{p + 1000}",
                    PolicyTypes = [PolicyDirection.Egress],
                    Egress = [new PolicyRuleInfo(
                        [new PolicyPeerInfo(Labels(("k8s-app", "dns")), Labels(("kubernetes.io/metadata.name", "kube-system")), null)],
                        [new PolicyPortInfo(Protocol.Udp, PortRef.FromNumber(53), null), new PolicyPortInfo(Protocol.Tcp, PortRef.FromNumber(53), null)])],
                },
                2 => new NetworkPolicyInfo
                {
                    Namespace = ns, Name = $"same-app-{round}", ResourceVersion = $"{p + 1000}",
                    PodSelector = Labels(("app", $"app-{p % 3}")),
                    Ingress = [new PolicyRuleInfo([new PolicyPeerInfo(Labels(("app", $"app-{(p + 1) % 3}")), null, null)], [new PolicyPortInfo(Protocol.Tcp, PortRef.FromName("http"), null)])],
                    Egress = ingressOnly ? null : [new PolicyRuleInfo([new PolicyPeerInfo(Labels(("app", $"app-{p % 3}")), null, null)], null)],
                },
                3 => new NetworkPolicyInfo
                {
                    Namespace = ns, Name = $"cross-team-{round}", ResourceVersion = $"{p + 1000}",
                    PodSelector = new LabelSelector(new Dictionary<string, string>(), [new LabelSelectorRequirement("app", SelectorOperator.In, ["app-0", "app-1"])]),
                    Ingress =
                    [
                        new PolicyRuleInfo([new PolicyPeerInfo(null, Labels(("team", $"team-{(n + 1) % 20:D2}")), null)], [new PolicyPortInfo(Protocol.Tcp, PortRef.FromNumber(8080), 8090)]),
                        new PolicyRuleInfo([new PolicyPeerInfo(null, Labels(("team", "observability")), null)], [new PolicyPortInfo(Protocol.Tcp, PortRef.FromName("metrics"), null)]),
                    ],
                },
                _ => new NetworkPolicyInfo
                {
                    Namespace = ns, Name = $"egress-internet-{round}", ResourceVersion = $"{p + 1000}",
                    PodSelector = Labels(("app", "app-2")),
                    PolicyTypes = [PolicyDirection.Egress],
                    Egress = [new PolicyRuleInfo([new PolicyPeerInfo(null, null, Block("0.0.0.0/0", "10.0.0.0/8", "192.168.0.0/16"))], [new PolicyPortInfo(Protocol.Tcp, PortRef.FromNumber(443), null)])],
                },
            });
        }
        return new SyntheticCluster
        {
            Snapshot = new ClusterSnapshot { Namespaces = nsList, Pods = podList, NetworkPolicies = policyList },
        };
    }

    /// <summary>Probes between random pods (and some external addresses) on the ports the policies talk about.</summary>
    public IEnumerable<(string From, string To, int Port, Protocol Protocol)> Probes(int seed, int count)
    {
        var random = new Random(seed);
        var pods = Snapshot.Pods;
        string Pick(bool allowExternal) => allowExternal && random.Next(20) == 0
            ? $"203.0.{random.Next(256)}.{random.Next(1, 255)}"
            : pods[random.Next(pods.Count)].Key;
        var ports = new (int, Protocol)[] { (8080, Protocol.Tcp), (8081, Protocol.Tcp), (9090, Protocol.Tcp), (9000, Protocol.Tcp), (443, Protocol.Tcp), (53, Protocol.Udp) };
        for (var i = 0; i < count; i++)
        {
            var (port, protocol) = ports[random.Next(ports.Length)];
            yield return (Pick(false), Pick(true), port, protocol);
        }
    }

    /// <summary>Writes the cluster as one kubectl-style List (JSON) and the probes as JSON lines.</summary>
    public void Write(string directory, int probes, int seed)
    {
        Directory.CreateDirectory(directory);
        using (var stream = File.Create(Path.Combine(directory, "cluster.json")))
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", "v1");
            w.WriteString("kind", "List");
            w.WriteStartArray("items");
            foreach (var ns in Snapshot.Namespaces)
            {
                w.WriteStartObject();
                w.WriteString("apiVersion", "v1");
                w.WriteString("kind", "Namespace");
                w.WriteStartObject("metadata");
                w.WriteString("name", ns.Name);
                WriteMap(w, "labels", ns.Labels);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            foreach (var pod in Snapshot.Pods)
            {
                JsonSerializer.Serialize(w, new
                {
                    apiVersion = "v1",
                    kind = "Pod",
                    metadata = new { name = pod.Name, @namespace = pod.Namespace, labels = pod.Labels },
                    spec = new { containers = new[] { new { name = "main", ports = pod.Ports.Select(p => new { name = p.Name, containerPort = p.Port, protocol = p.Protocol.ToName() }) } } },
                    status = new { phase = "Running", podIP = pod.IPs[0].ToString() },
                });
            }
            foreach (var policy in Snapshot.NetworkPolicies)
            {
                JsonSerializer.Serialize(w, new
                {
                    apiVersion = "networking.k8s.io/v1",
                    kind = "NetworkPolicy",
                    metadata = new { name = policy.Name, @namespace = policy.Namespace, resourceVersion = policy.ResourceVersion },
                    spec = new
                    {
                        podSelector = Selector(policy.PodSelector),
                        policyTypes = policy.PolicyTypes?.Select(t => t.ToString()),
                        ingress = policy.Ingress?.Select(r => new { from = r.Peers?.Select(Peer), ports = r.Ports?.Select(Port) }),
                        egress = policy.Egress?.Select(r => new { to = r.Peers?.Select(Peer), ports = r.Ports?.Select(Port) }),
                    },
                });
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        using var probeFile = new StreamWriter(Path.Combine(directory, "probes.jsonl"));
        foreach (var (from, to, port, protocol) in Probes(seed, probes))
        {
            probeFile.Write(string.Create(CultureInfo.InvariantCulture, $$"""{"from":"{{from}}","to":"{{to}}","port":{{port}},"protocol":"{{protocol.ToName()}}"}"""));
            probeFile.Write('\n');
        }
    }

    private static object? Selector(LabelSelector? s) => s is null ? null : new
    {
        matchLabels = s.MatchLabels,
        matchExpressions = s.MatchExpressions.Select(e => new { key = e.Key, @operator = e.Operator.ToString(), values = e.Values }),
    };

    private static object Peer(PolicyPeerInfo p) => new
    {
        podSelector = Selector(p.PodSelector),
        namespaceSelector = Selector(p.NamespaceSelector),
        ipBlock = p.IpBlock is null ? null : new { cidr = p.IpBlock.Cidr, except = p.IpBlock.ExceptText },
    };

    private static object Port(PolicyPortInfo p) => new
    {
        protocol = p.Protocol.ToName(),
        port = p.Port is { IsNamed: true } named ? (object?)named.Name : p.Port?.Number,
        endPort = p.EndPort,
    };

    private static void WriteMap(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, string> map)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in map)
        {
            w.WriteString(k, v);
        }
        w.WriteEndObject();
    }

    private static string Ns(int n) => $"ns-{n:D3}";

    private static IPAddress Address(int i) => new([10, (byte)(1 + i / 65536), (byte)(i / 256 % 256), (byte)(i % 256)]);

    private static PodInfo Pod(string ns, string name, string app, IPAddress ip, ContainerPortInfo[] ports) => new()
    {
        Namespace = ns,
        Name = name,
        Labels = new Dictionary<string, string> { ["app"] = app, ["k8s-app"] = app },
        IPs = [ip],
        Ports = ports,
        Phase = "Running",
    };

    private static LabelSelector Labels(params (string Key, string Value)[] labels) => new(labels.ToDictionary(l => l.Key, l => l.Value), []);

    private static IpBlockInfo Block(string cidr, params string[] except)
    {
        Cidr.TryParse(cidr, out var network, out _);
        return new IpBlockInfo(cidr, network, except.Select(e => { Cidr.TryParse(e, out var x, out _); return x; }).ToList(), except);
    }
}
