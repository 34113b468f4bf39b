using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;

namespace PolicyTrail.Policy.Compilation;

/// <summary>A pod with its index and the policies that isolate it, per direction.</summary>
internal sealed class CompiledPod(int index, PodInfo info, int namespaceIndex)
{
    public int Index { get; } = index;
    public PodInfo Info { get; } = info;
    public int NamespaceIndex { get; } = namespaceIndex;
    public List<CompiledPolicy> IngressPolicies { get; } = [];
    public List<CompiledPolicy> EgressPolicies { get; } = [];
    /// <summary>AdminNetworkPolicies whose subject selects the pod and that have ingress rules, in evaluation order.</summary>
    public List<CompiledAdminPolicy> AdminIngress { get; } = [];
    /// <summary>AdminNetworkPolicies whose subject selects the pod and that have egress rules, in evaluation order.</summary>
    public List<CompiledAdminPolicy> AdminEgress { get; } = [];
    /// <summary>The BaselineAdminNetworkPolicy, when its subject selects the pod.</summary>
    public CompiledAdminPolicy? Baseline { get; set; }
    public PolicyRef[] IngressRefs { get; set; } = [];
    public PolicyRef[] EgressRefs { get; set; } = [];
    /// <summary>The (shared, immutable) answer when the pod is isolated and no rule admits: only the isolating policies.</summary>
    public DirectionDecision IngressDenied { get; set; } = DirectionDecision.Unevaluated;
    public DirectionDecision EgressDenied { get; set; } = DirectionDecision.Unevaluated;
    /// <summary>The pod as an evaluation target (addressed by name), set once by the resolver.</summary>
    public Endpoints.Target Target { get; set; } = null!;
}

/// <summary>A peer reduced to a pod set (pod and namespace selectors) and/or an ipBlock.</summary>
internal sealed class CompiledPeer(PodSet? pods, IpBlockInfo? ipBlock)
{
    /// <summary>Pods the selectors match; null when the peer is an ipBlock (or invalid: matches nothing).</summary>
    public PodSet? Pods { get; } = pods;
    public IpBlockInfo? IpBlock { get; } = ipBlock;
}

/// <summary>A port entry with its range resolved; named ports resolve per destination pod.</summary>
internal readonly record struct CompiledPort(Protocol Protocol, int Low, int High, string? Name)
{
    public bool AllPorts => Name is null && Low == 0;
}

/// <summary>A rule: null peers means all peers, null ports means all ports.</summary>
internal sealed class CompiledRule(CompiledPeer[]? peers, CompiledPort[]? ports)
{
    public CompiledPeer[]? Peers { get; } = peers;
    public CompiledPort[]? Ports { get; } = ports;
}

/// <summary>A NetworkPolicy with its selectors resolved to pod sets.</summary>
internal sealed class CompiledPolicy(NetworkPolicyInfo info, CompiledRule[] ingress, CompiledRule[] egress)
{
    public NetworkPolicyInfo Info { get; } = info;
    public PolicyRef Ref { get; } = new(info.Namespace, info.Name, info.ResourceVersion);
    public CompiledRule[] Ingress { get; } = ingress;
    public CompiledRule[] Egress { get; } = egress;
}

/// <summary>The whole snapshot, compiled once: pods by name and address, policies per pod.</summary>
internal sealed class CompiledCluster
{
    public required ClusterSnapshot Snapshot { get; init; }
    public required CompiledPod[] Pods { get; init; }
    public required Dictionary<string, CompiledPod> PodsByKey { get; init; }
    /// <summary>Pod-network addresses to the pods that hold them (more than one: ambiguous).</summary>
    public required Dictionary<IPAddress, List<CompiledPod>> PodsByAddress { get; init; }
    /// <summary>Node addresses (which host-network pods share) to node names.</summary>
    public required Dictionary<IPAddress, string> NodesByAddress { get; init; }
    public required Dictionary<IPAddress, ServiceInfo> ServicesByAddress { get; init; }
    public required Dictionary<string, ServiceInfo> ServicesByKey { get; init; }
    public required Dictionary<string, List<EndpointSliceInfo>> SlicesByService { get; init; }
    public required List<(IPNetwork Network, string Node)> PodCidrs { get; init; }
    public required CompiledPolicy[] Policies { get; init; }
}

/// <summary>An admin policy peer reduced to a pod set, node addresses or networks.</summary>
internal sealed class CompiledAdminPeer(PodSet? pods, HashSet<IPAddress>? nodeAddresses, IReadOnlyList<IPNetwork>? networks)
{
    /// <summary>Pods the namespaces/pods peer selects.</summary>
    public PodSet? Pods { get; } = pods;
    /// <summary>Addresses of the nodes a nodes peer selects.</summary>
    public HashSet<IPAddress>? NodeAddresses { get; } = nodeAddresses;
    /// <summary>The CIDRs of a networks peer.</summary>
    public IReadOnlyList<IPNetwork>? Networks { get; } = networks;
}

/// <summary>An admin or baseline rule with its peers compiled; null ports means all ports.</summary>
internal sealed class CompiledAdminRule(AdminRuleInfo info, CompiledAdminPeer[] peers)
{
    public AdminRuleInfo Info { get; } = info;
    public CompiledAdminPeer[] Peers { get; } = peers;
    public IReadOnlyList<AdminPortInfo>? Ports { get; } = info.Ports is { Count: > 0 } ports ? ports : null;
}

/// <summary>An AdminNetworkPolicy or the BaselineAdminNetworkPolicy with its rules compiled.</summary>
internal sealed class CompiledAdminPolicy(AdminNetworkPolicyInfo info, CompiledAdminRule[] ingress, CompiledAdminRule[] egress)
{
    public AdminNetworkPolicyInfo Info { get; } = info;
    public CompiledAdminRule[] Ingress { get; } = ingress;
    public CompiledAdminRule[] Egress { get; } = egress;
}
