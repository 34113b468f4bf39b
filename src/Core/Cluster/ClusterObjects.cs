using System.Net;

namespace PolicyTrail.Core.Cluster;

/// <summary>Where a cluster object was read from, for messages: a file and a position in it.</summary>
public sealed record SourceLocation(string File, string Position)
{
    /// <inheritdoc />
    public override string ToString() => Position.Length == 0 ? File : $"{File}:{Position}";
}

/// <summary>A namespace and its labels.</summary>
public sealed record NamespaceInfo(string Name, IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>Where it was read from.</summary>
    public SourceLocation? Source { get; init; }
}

/// <summary>A container port a pod declares; named ports of NetworkPolicy resolve against these.</summary>
public sealed record ContainerPortInfo(string? Name, int Port, Protocol Protocol);

/// <summary>A pod as the policy engine and identity need it.</summary>
public sealed record PodInfo
{
    /// <summary>Namespace of the pod.</summary>
    public required string Namespace { get; init; }
    /// <summary>Name of the pod.</summary>
    public required string Name { get; init; }
    /// <summary>The pod's UID, when known.</summary>
    public string? Uid { get; init; }
    /// <summary>The pod's labels.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>status.podIPs (or status.podIP).</summary>
    public IReadOnlyList<IPAddress> IPs { get; init; } = Array.Empty<IPAddress>();
    /// <summary>Every container's declared ports (init containers included, as upstream resolves named ports on all).</summary>
    public IReadOnlyList<ContainerPortInfo> Ports { get; init; } = Array.Empty<ContainerPortInfo>();
    /// <summary>spec.hostNetwork: the pod shares its node's addresses and NetworkPolicy does not apply to it.</summary>
    public bool HostNetwork { get; init; }
    /// <summary>spec.nodeName.</summary>
    public string? NodeName { get; init; }
    /// <summary>status.phase (Pending, Running, Succeeded, Failed, Unknown).</summary>
    public string? Phase { get; init; }
    /// <summary>The controlling owner (kind and name), as recorded on the pod.</summary>
    public OwnerRef? Owner { get; init; }
    /// <summary>spec.serviceAccountName.</summary>
    public string? ServiceAccount { get; init; }
    /// <summary>Where it was read from.</summary>
    public SourceLocation? Source { get; init; }
    /// <summary>metadata.creationTimestamp, when known.</summary>
    public DateTimeOffset? CreationTime { get; init; }
    /// <summary>status.startTime (the kubelet acknowledged the pod), when known.</summary>
    public DateTimeOffset? StartTime { get; init; }
    /// <summary>The latest containerStatuses[].state.terminated.finishedAt, when every container that ran has one.</summary>
    public DateTimeOffset? FinishTime { get; init; }
    /// <summary>metadata.deletionTimestamp (the end of the grace period of a requested deletion), when set.</summary>
    public DateTimeOffset? DeletionTime { get; init; }

    /// <summary>"namespace/name".</summary>
    public string Key => $"{Namespace}/{Name}";

    /// <summary>Whether the pod has ended (Succeeded or Failed) and so holds no address any more.</summary>
    public bool IsTerminated => Phase is "Succeeded" or "Failed";
}

/// <summary>An owner reference: kind and name.</summary>
public sealed record OwnerRef(string Kind, string Name);

/// <summary>One port of a Service.</summary>
public sealed record ServicePortInfo(string? Name, int Port, Protocol Protocol, PortRef TargetPort);

/// <summary>A Service: its cluster IPs, ports and selector.</summary>
public sealed record ServiceInfo
{
    /// <summary>Namespace of the service.</summary>
    public required string Namespace { get; init; }
    /// <summary>Name of the service.</summary>
    public required string Name { get; init; }
    /// <summary>spec.type (ClusterIP, NodePort, LoadBalancer, ExternalName).</summary>
    public string Type { get; init; } = "ClusterIP";
    /// <summary>spec.clusterIPs (or clusterIP); empty for headless services.</summary>
    public IReadOnlyList<IPAddress> ClusterIPs { get; init; } = Array.Empty<IPAddress>();
    /// <summary>spec.ports.</summary>
    public IReadOnlyList<ServicePortInfo> Ports { get; init; } = Array.Empty<ServicePortInfo>();
    /// <summary>spec.selector; null when the service has none (endpoints managed by hand).</summary>
    public IReadOnlyDictionary<string, string>? Selector { get; init; }
    /// <summary>Where it was read from.</summary>
    public SourceLocation? Source { get; init; }

    /// <summary>"namespace/name".</summary>
    public string Key => $"{Namespace}/{Name}";
}

/// <summary>One port of an EndpointSlice: the service port's name and the resolved target port.</summary>
public sealed record EndpointPortInfo(string? Name, int Port, Protocol Protocol);

/// <summary>One endpoint of an EndpointSlice.</summary>
public sealed record EndpointInfo(IReadOnlyList<IPAddress> Addresses, bool Ready, string? TargetPodNamespace, string? TargetPodName);

/// <summary>An EndpointSlice: the backends of a service after translation.</summary>
public sealed record EndpointSliceInfo
{
    /// <summary>Namespace of the slice.</summary>
    public required string Namespace { get; init; }
    /// <summary>Name of the slice.</summary>
    public required string Name { get; init; }
    /// <summary>The kubernetes.io/service-name label: the service this slice serves.</summary>
    public string? ServiceName { get; init; }
    /// <summary>The slice's ports.</summary>
    public IReadOnlyList<EndpointPortInfo> Ports { get; init; } = Array.Empty<EndpointPortInfo>();
    /// <summary>The slice's endpoints.</summary>
    public IReadOnlyList<EndpointInfo> Endpoints { get; init; } = Array.Empty<EndpointInfo>();
    /// <summary>Where it was read from.</summary>
    public SourceLocation? Source { get; init; }
}

/// <summary>A node: its addresses (for host-network and node traffic) and pod CIDRs.</summary>
public sealed record NodeInfo
{
    /// <summary>Name of the node.</summary>
    public required string Name { get; init; }
    /// <summary>The node's labels (AdminNetworkPolicy "nodes" peers select by them).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>status.addresses that are IP addresses.</summary>
    public IReadOnlyList<IPAddress> Addresses { get; init; } = Array.Empty<IPAddress>();
    /// <summary>spec.podCIDRs: an address in one of them that no pod holds is unknown, not external.</summary>
    public IReadOnlyList<IPNetwork> PodCidrs { get; init; } = Array.Empty<IPNetwork>();
    /// <summary>Where it was read from.</summary>
    public SourceLocation? Source { get; init; }
}
