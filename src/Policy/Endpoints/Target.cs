using System.Net;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;
using PolicyTrail.Policy.Compilation;

namespace PolicyTrail.Policy.Endpoints;

/// <summary>A resolved endpoint with the compiled pod or service behind it, ready for evaluation.</summary>
internal sealed record Target(Endpoint Endpoint, CompiledPod? Pod = null, ServiceInfo? Service = null)
{
    /// <summary>Whether the address was given (a flow's or probe's IP) rather than taken from the pod by name.</summary>
    public bool AddressGiven { get; init; }

    public EndpointKind Kind => Endpoint.Kind;
    public IPAddress? Address => Endpoint.IP;
}

/// <summary>The outcome of resolving a reference: a target, or an error naming what is wrong.</summary>
internal readonly record struct Resolution(Target? Target, string? Error);
