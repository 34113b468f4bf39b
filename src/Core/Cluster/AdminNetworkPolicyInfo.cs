using System.Net;

namespace PolicyTrail.Core.Cluster;

/// <summary>The action of an AdminNetworkPolicy or BaselineAdminNetworkPolicy rule.</summary>
public enum AdminAction
{
    /// <summary>Not a valid action.</summary>
    Unknown = 0,
    /// <summary>Admit the traffic; lower tiers are not consulted.</summary>
    Allow,
    /// <summary>Drop the traffic; lower tiers are not consulted.</summary>
    Deny,
    /// <summary>Skip the rest of the admin tier and let NetworkPolicy (then the baseline) decide (ANP only).</summary>
    Pass,
}

/// <summary>Which of the two cluster-scoped policy kinds of policy.networking.k8s.io/v1alpha1.</summary>
public enum AdminPolicyKind
{
    /// <summary>Not set.</summary>
    Unknown = 0,
    /// <summary>AdminNetworkPolicy: evaluated before NetworkPolicy, by priority.</summary>
    AdminNetworkPolicy,
    /// <summary>BaselineAdminNetworkPolicy: the singleton "default", evaluated after NetworkPolicy.</summary>
    BaselineAdminNetworkPolicy,
}

/// <summary>
/// A subject or a peer of an admin policy. Pods: NamespaceSelector and PodSelector (subject.pods / peer.pods);
/// namespaces: NamespaceSelector only (PodSelector null = every pod); nodes: Nodes; networks: Networks.
/// Exactly one shape is set on a valid peer.
/// </summary>
public sealed record AdminPeerInfo
{
    /// <summary>The namespace selector (of "namespaces" or of "pods").</summary>
    public LabelSelector? NamespaceSelector { get; init; }
    /// <summary>The pod selector of "pods"; null for "namespaces" (every pod of the namespaces).</summary>
    public LabelSelector? PodSelector { get; init; }
    /// <summary>The node selector of an egress "nodes" peer.</summary>
    public LabelSelector? Nodes { get; init; }
    /// <summary>The CIDRs of an egress "networks" peer, as written.</summary>
    public IReadOnlyList<string>? NetworksText { get; init; }
    /// <summary>The CIDRs of an egress "networks" peer, parsed.</summary>
    public IReadOnlyList<IPNetwork>? Networks { get; init; }
}

/// <summary>One ports entry: a number or range (Start..End, same when a single port), or a named port.</summary>
public sealed record AdminPortInfo(Protocol Protocol, int Start, int End, string? NamedPort);

/// <summary>One ingress or egress rule of an admin policy.</summary>
public sealed record AdminRuleInfo(string? Name, AdminAction Action, IReadOnlyList<AdminPeerInfo> Peers, IReadOnlyList<AdminPortInfo>? Ports);

/// <summary>An AdminNetworkPolicy or the BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1); cluster-scoped.</summary>
public sealed record AdminNetworkPolicyInfo
{
    /// <summary>Which kind.</summary>
    public required AdminPolicyKind Kind { get; init; }
    /// <summary>metadata.name.</summary>
    public required string Name { get; init; }
    /// <summary>spec.priority (0..1000, lower first); 0 for the baseline, which has none.</summary>
    public int Priority { get; init; }
    /// <summary>metadata.resourceVersion, when known.</summary>
    public string? ResourceVersion { get; init; }
    /// <summary>spec.subject: the pods the policy applies to.</summary>
    public required AdminPeerInfo Subject { get; init; }
    /// <summary>spec.ingress, in order.</summary>
    public IReadOnlyList<AdminRuleInfo> Ingress { get; init; } = Array.Empty<AdminRuleInfo>();
    /// <summary>spec.egress, in order.</summary>
    public IReadOnlyList<AdminRuleInfo> Egress { get; init; } = Array.Empty<AdminRuleInfo>();
    /// <summary>Where it was read from.</summary>
    public SourceLocation? Source { get; init; }
}
