using System.Net;

namespace PolicyTrail.Core.Cluster;

/// <summary>A direction of traffic as seen from the selected pod.</summary>
public enum PolicyDirection
{
    /// <summary>Not set.</summary>
    Unknown = 0,
    /// <summary>Traffic into the pod.</summary>
    Ingress,
    /// <summary>Traffic out of the pod.</summary>
    Egress,
}

/// <summary>An ipBlock peer: a CIDR less its exceptions.</summary>
public sealed record IpBlockInfo(string Cidr, IPNetwork Network, IReadOnlyList<IPNetwork> Except, IReadOnlyList<string> ExceptText)
{
    /// <summary>Whether the address is in the CIDR and in none of the exceptions.</summary>
    public bool Contains(IPAddress address)
    {
        if (!Network.Contains(address))
        {
            return false;
        }
        foreach (var except in Except)
        {
            if (except.Contains(address))
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>
/// One entry of a rule's from/to list. A null selector means the field was absent; an empty one selects all.
/// </summary>
public sealed record PolicyPeerInfo(LabelSelector? PodSelector, LabelSelector? NamespaceSelector, IpBlockInfo? IpBlock);

/// <summary>One entry of a rule's ports list. A null protocol means TCP; a null port means every port.</summary>
public sealed record PolicyPortInfo(Protocol Protocol, PortRef? Port, int? EndPort);

/// <summary>An ingress or egress rule. Null or empty lists mean "all peers" / "all ports".</summary>
public sealed record PolicyRuleInfo(IReadOnlyList<PolicyPeerInfo>? Peers, IReadOnlyList<PolicyPortInfo>? Ports);

/// <summary>A networking.k8s.io/v1 NetworkPolicy.</summary>
public sealed record NetworkPolicyInfo
{
    /// <summary>Namespace of the policy.</summary>
    public required string Namespace { get; init; }
    /// <summary>Name of the policy.</summary>
    public required string Name { get; init; }
    /// <summary>metadata.resourceVersion, when known: attribution names the version it used.</summary>
    public string? ResourceVersion { get; init; }
    /// <summary>metadata.uid, when known.</summary>
    public string? Uid { get; init; }
    /// <summary>spec.podSelector (null in a source is the empty selector, as the API server defaults it).</summary>
    public LabelSelector PodSelector { get; init; } = LabelSelector.Everything;
    /// <summary>spec.policyTypes as written; null or empty when absent (then defaulted).</summary>
    public IReadOnlyList<PolicyDirection>? PolicyTypes { get; init; }
    /// <summary>spec.ingress; null when absent.</summary>
    public IReadOnlyList<PolicyRuleInfo>? Ingress { get; init; }
    /// <summary>spec.egress; null when absent.</summary>
    public IReadOnlyList<PolicyRuleInfo>? Egress { get; init; }
    /// <summary>Where it was read from.</summary>
    public SourceLocation? Source { get; init; }

    /// <summary>"namespace/name".</summary>
    public string Key => $"{Namespace}/{Name}";

    /// <summary>
    /// Whether the policy applies to the direction: policyTypes when given; otherwise Ingress always and Egress
    /// only when spec.egress has rules (upstream defaulting).
    /// </summary>
    public bool Affects(PolicyDirection direction)
    {
        if (PolicyTypes is { Count: > 0 })
        {
            return PolicyTypes.Contains(direction);
        }
        return direction == PolicyDirection.Ingress || (direction == PolicyDirection.Egress && Egress is { Count: > 0 });
    }
}
