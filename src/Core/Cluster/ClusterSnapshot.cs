namespace PolicyTrail.Core.Cluster;

/// <summary>The cluster state the policy engine is handed: everything it needs, nothing it must fetch.</summary>
public sealed record ClusterSnapshot
{
    /// <summary>Namespaces.</summary>
    public IReadOnlyList<NamespaceInfo> Namespaces { get; init; } = Array.Empty<NamespaceInfo>();
    /// <summary>Pods.</summary>
    public IReadOnlyList<PodInfo> Pods { get; init; } = Array.Empty<PodInfo>();
    /// <summary>Services.</summary>
    public IReadOnlyList<ServiceInfo> Services { get; init; } = Array.Empty<ServiceInfo>();
    /// <summary>EndpointSlices.</summary>
    public IReadOnlyList<EndpointSliceInfo> EndpointSlices { get; init; } = Array.Empty<EndpointSliceInfo>();
    /// <summary>Nodes.</summary>
    public IReadOnlyList<NodeInfo> Nodes { get; init; } = Array.Empty<NodeInfo>();
    /// <summary>NetworkPolicies.</summary>
    public IReadOnlyList<NetworkPolicyInfo> NetworkPolicies { get; init; } = Array.Empty<NetworkPolicyInfo>();
    /// <summary>AdminNetworkPolicies (policy.networking.k8s.io/v1alpha1), in the order read.</summary>
    public IReadOnlyList<AdminNetworkPolicyInfo> AdminNetworkPolicies { get; init; } = Array.Empty<AdminNetworkPolicyInfo>();
    /// <summary>The BaselineAdminNetworkPolicy (the singleton "default"), when there is one.</summary>
    public AdminNetworkPolicyInfo? BaselineAdminNetworkPolicy { get; init; }
}
