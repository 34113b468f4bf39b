using System.Net;

namespace PolicyTrail.Core.Decisions;

/// <summary>What an address or name turned out to be.</summary>
public enum EndpointKind
{
    /// <summary>Nothing known holds the address, though it lies in the cluster's pod ranges; never guessed.</summary>
    Unknown = 0,
    /// <summary>A pod on the pod network: NetworkPolicy applies to it.</summary>
    Pod,
    /// <summary>An address outside the cluster: only ipBlock peers can match it.</summary>
    External,
    /// <summary>A pod that uses its node's network: NetworkPolicy does not apply to it.</summary>
    HostNetworkPod,
    /// <summary>A node's own address: node traffic is outside NetworkPolicy's definition.</summary>
    Node,
    /// <summary>A Service cluster IP: evaluated against its backends after translation.</summary>
    Service,
    /// <summary>Several pods claim the address: no guess is made.</summary>
    Ambiguous,
}

/// <summary>A resolved source or destination of a connection.</summary>
public sealed record Endpoint
{
    /// <summary>What the endpoint is.</summary>
    public required EndpointKind Kind { get; init; }
    /// <summary>The address, when one was given or is known.</summary>
    public IPAddress? IP { get; init; }
    /// <summary>Namespace of the pod or service.</summary>
    public string? Namespace { get; init; }
    /// <summary>Name of the pod (or of the service, for <see cref="EndpointKind.Service"/>).</summary>
    public string? Name { get; init; }
    /// <summary>Node name, for node addresses and host-network pods.</summary>
    public string? Node { get; init; }
    /// <summary>Why the endpoint is unknown or ambiguous, in words.</summary>
    public string? Reason { get; init; }

    /// <summary>"namespace/name" precomputed once per pod of a snapshot, so decisions do not rebuild it (null when not set).</summary>
    public string? Key { get; init; }

    /// <summary>How a person names it: "ns/pod", the address, or "node n1 (10.0.0.1)".</summary>
    public string Display => Kind switch
    {
        EndpointKind.Pod or EndpointKind.HostNetworkPod => Key ?? $"{Namespace}/{Name}",
        EndpointKind.Service => $"service {Namespace}/{Name}",
        EndpointKind.Node => $"node {Node} ({IP})",
        _ => IP?.ToString() ?? Name ?? "?",
    };
}
