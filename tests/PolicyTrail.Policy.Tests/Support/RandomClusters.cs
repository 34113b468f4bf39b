using System.Net;
using CsCheck;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;

namespace PolicyTrail.Policy.Tests.Support;

/// <summary>A random probe: endpoint references, port and protocol.</summary>
internal sealed record RandomProbe(string From, string To, int Port, Protocol Protocol);

/// <summary>A random cluster with policies, and probes against it.</summary>
internal sealed record RandomCase(ClusterSnapshot Snapshot, RandomProbe[] Probes);

/// <summary>CsCheck generators of small clusters whose labels, selectors, peers and ports collide often.</summary>
internal static class RandomClusters
{
    private static readonly string[] AppValues = ["a", "b", "c"];
    private static readonly string[] External = ["10.0.1.5", "10.0.2.5", "192.0.2.1"];

    private static readonly Gen<LabelSelector> PodSelector = Gen.Select(Gen.Int[0, 5], Pick(AppValues), Pick(AppValues), (kind, v1, v2) => kind switch
    {
        0 => LabelSelector.Everything,
        1 => Labels(("app", (string)v1)),
        2 => Expr("app", SelectorOperator.In, v1, v2),
        3 => Expr("tier", SelectorOperator.NotIn, "x"),
        4 => Expr("tier", SelectorOperator.Exists),
        _ => Expr("tier", SelectorOperator.DoesNotExist),
    });

    private static readonly Gen<LabelSelector> NamespaceSelector = Gen.Int[0, 3].Select(kind => kind switch
    {
        0 => LabelSelector.Everything,
        1 => Labels(("team", "red")),
        2 => Expr("team", SelectorOperator.In, "blue"),
        _ => Expr("team", SelectorOperator.DoesNotExist),
    });

    private static readonly Gen<PolicyPeerInfo> Peer = Gen.Select(Gen.Int[0, 4], PodSelector, NamespaceSelector, (kind, pods, namespaces) => kind switch
    {
        0 => new PolicyPeerInfo(pods, null, null),
        1 => new PolicyPeerInfo(null, namespaces, null),
        2 => new PolicyPeerInfo(pods, namespaces, null),
        3 => new PolicyPeerInfo(null, null, Block("10.0.0.0/16", "10.0.1.0/24")),
        _ => new PolicyPeerInfo(null, null, Block("0.0.0.0/0")),
    });

    private static readonly Gen<PolicyPortInfo> Port = Gen.Int[0, 4].Select(kind => kind switch
    {
        0 => new PolicyPortInfo(Protocol.Tcp, PortRef.FromNumber(80), null),
        1 => new PolicyPortInfo(Protocol.Tcp, PortRef.FromNumber(80), 90),
        2 => new PolicyPortInfo(Protocol.Udp, null, null),
        3 => new PolicyPortInfo(Protocol.Tcp, PortRef.FromName("web"), null),
        _ => new PolicyPortInfo(Protocol.Sctp, PortRef.FromNumber(80), null),
    });

    public static readonly Gen<PolicyRuleInfo> Rule = Gen.Select(
        Gen.Bool, Peer.Array[1, 2], Gen.Bool, Port.Array[1, 2],
        (hasPeers, peers, hasPorts, ports) => new PolicyRuleInfo(hasPeers ? peers : null, hasPorts ? ports : null));

    private static readonly Gen<PolicyDirection[]?> Types = Gen.Int[0, 3].Select(kind => kind switch
    {
        0 => null,
        1 => new[] { PolicyDirection.Ingress },
        2 => new[] { PolicyDirection.Egress },
        _ => new[] { PolicyDirection.Ingress, PolicyDirection.Egress },
    });

    private static readonly Gen<Func<int, NetworkPolicyInfo>> Policy = Gen.Select(
        Gen.Int[0, 2], PodSelector, Types, Rule.Array[0, 2], Rule.Array[0, 2], Gen.Bool,
        (ns, selector, types, ingress, egress, hasEgress) => new Func<int, NetworkPolicyInfo>(i => new NetworkPolicyInfo
        {
            Namespace = $"ns{ns}",
            Name = $"p{i}",
            PodSelector = selector,
            PolicyTypes = types,
            Ingress = ingress,
            Egress = hasEgress ? egress : null,
        }));

    private static readonly Gen<Func<int, PodInfo>> Pod = Gen.Select(
        Gen.Int[0, 2], Pick(AppValues), Gen.Int[0, 2], Pick(80, 85),
        (ns, app, tier, webPort) => new Func<int, PodInfo>(i => new PodInfo
        {
            Namespace = $"ns{ns}",
            Name = $"pod{i}",
            Labels = tier == 0 ? new Dictionary<string, string> { ["app"] = app } : new Dictionary<string, string> { ["app"] = app, ["tier"] = tier == 1 ? "x" : "y" },
            IPs = [IPAddress.Parse($"10.0.{3 + ns}.{i + 1}")],
            Ports = [new ContainerPortInfo("web", webPort, Protocol.Tcp)],
            Phase = "Running",
        }));

    private static readonly NamespaceInfo[] Namespaces =
    [
        new("ns0", new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = "ns0", ["team"] = "red" }),
        new("ns1", new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = "ns1", ["team"] = "blue" }),
        new("ns2", new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = "ns2" }),
    ];

    public static readonly Gen<RandomCase> Case =
        Gen.Select(Pod.Array[2, 8], Policy.Array[0, 6], Gen.Int[0, 1000].Array[4, 12], (pods, policies, seeds) =>
        {
            var podList = pods.Select((make, i) => make(i)).ToArray();
            var snapshot = new ClusterSnapshot
            {
                Namespaces = Namespaces,
                Pods = podList,
                NetworkPolicies = policies.Select((make, i) => make(i)).ToArray(),
            };
            string Endpoint(int seed) => seed % 5 == 0 ? External[seed % External.Length] : podList[seed % podList.Length].Key;
            var probes = seeds.Select(seed => new RandomProbe(
                Endpoint(seed), Endpoint(seed / 7 + 1),
                new[] { 80, 85, 90, 91 }[seed % 4],
                new[] { Protocol.Tcp, Protocol.Tcp, Protocol.Udp, Protocol.Sctp }[seed / 3 % 4])).ToArray();
            return new RandomCase(snapshot, probes);
        });

    private static Gen<T> Pick<T>(params T[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    private static LabelSelector Labels(params (string Key, string Value)[] labels) =>
        new(labels.ToDictionary(l => l.Key, l => l.Value), []);

    private static LabelSelector Expr(string key, SelectorOperator op, params string[] values) =>
        new(new Dictionary<string, string>(), [new LabelSelectorRequirement(key, op, values)]);

    private static IpBlockInfo Block(string cidr, params string[] except)
    {
        Cidr.TryParse(cidr, out var network, out _);
        var exceptNetworks = except.Select(e =>
        {
            Cidr.TryParse(e, out var n, out _);
            return n;
        }).ToList();
        return new IpBlockInfo(cidr, network, exceptNetworks, except);
    }
}
