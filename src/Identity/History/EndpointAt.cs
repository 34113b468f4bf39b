using System.Globalization;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;

namespace PolicyTrail.Identity.History;

/// <summary>
/// What an address was at an instant: a pod (the version in force then), a node, a service, ambiguous between pods,
/// unknown (in a node's pod CIDR but held by no pod) or external. An address alone never says
/// <see cref="EndpointKind.HostNetworkPod"/>: a host-network pod shares its node's address with the node's own
/// processes, so such an address is <see cref="EndpointKind.Node"/> (a port would be needed to tell them apart). A small struct: a lookup that finds one pod, a node,
/// a service or nothing allocates nothing; only an ambiguous answer allocates its candidate list.
/// </summary>
public readonly struct EndpointAt
{
    private readonly string? _node;
    private readonly IReadOnlyList<PodVersion>? _candidates;

    /// <summary>What the address turned out to be.</summary>
    public EndpointKind Kind { get; init; }
    /// <summary>The address looked up, as an <see cref="AddressKey"/>.</summary>
    public UInt128 Address { get; init; }
    /// <summary>The instant looked up, Unix ns.</summary>
    public long At { get; init; }
    /// <summary>For <see cref="EndpointKind.Pod"/>: the pod as it was at the instant (labels, workload, node, UID).</summary>
    public PodVersion? Pod { get; init; }
    /// <summary>The node: the node whose address it is, whose pod CIDR holds it, or the node the pod ran on.</summary>
    public string? Node
    {
        get => Pod?.Node ?? _node;
        init => _node = value;
    }
    /// <summary>For <see cref="EndpointKind.Service"/>: the service whose cluster IP it is.</summary>
    public ServiceInfo? Service { get; init; }
    /// <summary>
    /// True when the answer holds only possibly: the pod may already have released the address (it was found gone
    /// within a window that contains the instant), may not yet have taken it, or its labels changed within such a window.
    /// </summary>
    public bool Uncertain { get; init; }
    /// <summary>The uncertain window (Unix ns, from exclusive to inclusive) when <see cref="Uncertain"/>; 0 otherwise.</summary>
    public long WindowFrom { get; init; }
    /// <summary>The end of the uncertain window (Unix ns).</summary>
    public long WindowTo { get; init; }
    /// <summary>For <see cref="EndpointKind.Ambiguous"/>: every pod that certainly or possibly held the address; empty otherwise.</summary>
    public IReadOnlyList<PodVersion> Candidates
    {
        get => _candidates ?? [];
        init => _candidates = value;
    }

    /// <summary>Why the answer is ambiguous, unknown or uncertain, in words; null for a plain answer. Formatted on demand.</summary>
    public string? Reason
    {
        get
        {
            var address = AddressKey.ToAddress(Address);
            return Kind switch
            {
                EndpointKind.Ambiguous => $"{address} is ambiguous at {Time(At)} between {string.Join(" and ", Candidates.Select(c => $"{c.Namespace}/{c.Name} (uid {c.Uid})"))}: at least one of them may have released or taken it within the window",
                EndpointKind.Unknown => $"{address} lies in a pod CIDR of node {Node} at {Time(At)}, but no pod in the history held it",
                EndpointKind.Pod when Uncertain => $"{Pod!.Namespace}/{Pod.Name} held {address} possibly, not certainly, at {Time(At)}: a change was observed only within ({Time(WindowFrom)}, {Time(WindowTo)}]",
                EndpointKind.Node => $"{address} is an address of node {Node} (node or host-network traffic, which NetworkPolicy does not define)",
                _ => null,
            };
        }
    }

    /// <summary>Unix nanoseconds as RFC 3339 UTC with nanoseconds.</summary>
    internal static string Time(long unixNanos)
    {
        var seconds = Math.DivRem(unixNanos, 1_000_000_000L, out var nanos);
        if (nanos < 0)
        {
            seconds--;
            nanos += 1_000_000_000L;
        }
        var text = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        return nanos == 0 ? text + "Z" : string.Create(CultureInfo.InvariantCulture, $"{text}.{nanos:D9}Z");
    }
}

/// <summary>
/// The one lookup the pipeline uses to name the endpoints of a flow: who held an address at an instant.
/// Implemented by <see cref="ClusterTimeline"/>; <see cref="DelegateEndpointLookup"/> is the fake for tests.
/// </summary>
public interface IEndpointLookup
{
    /// <summary>
    /// What the address (an <see cref="AddressKey"/>) was at the instant (Unix ns). True when it names exactly one pod,
    /// node or service (check <see cref="EndpointAt.Uncertain"/>); false for ambiguous, unknown and external addresses,
    /// which <paramref name="endpoint"/> still describes with a kind and a reason. Allocates nothing on the common path.
    /// </summary>
    bool TryGet(UInt128 address, long atUnixNanos, out EndpointAt endpoint);

    /// <summary>The same lookup for an <see cref="System.Net.IPAddress"/>.</summary>
    bool TryGet(System.Net.IPAddress address, long atUnixNanos, out EndpointAt endpoint) =>
        TryGet(AddressKey.Of(address), atUnixNanos, out endpoint);
}

/// <summary>A fake <see cref="IEndpointLookup"/> that answers from a delegate (null: external), for tests of the stages that use it.</summary>
public sealed class DelegateEndpointLookup(Func<UInt128, long, EndpointAt?> answer) : IEndpointLookup
{
    /// <inheritdoc />
    public bool TryGet(UInt128 address, long atUnixNanos, out EndpointAt endpoint)
    {
        endpoint = answer(address, atUnixNanos) ?? new EndpointAt { Kind = EndpointKind.External, Address = address, At = atUnixNanos, Candidates = [] };
        return endpoint.Kind is EndpointKind.Pod or EndpointKind.HostNetworkPod or EndpointKind.Node or EndpointKind.Service;
    }
}
