using System.Net;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;

namespace PolicyTrail.Identity.History;

/// <summary>An interval in which changes may have been missed (<see cref="IClusterChangeSink.Gap"/>), Unix ns.</summary>
public sealed record TimelineGap(long From, long To, string Reason);

/// <summary>
/// Who each address was, and what the cluster looked like, at any instant of a history of <see cref="ClusterChange"/>s:
/// pods with their addresses, labels, owners and nodes; namespaces; services; endpoint slices; nodes; every version of
/// every NetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy. Built once by
/// <see cref="ClusterTimelineBuilder"/>, immutable afterwards and safe to share between threads.
/// <para>
/// Uncertainty is kept, never guessed away: a change known only within (NotBefore, Time] leaves the old state certain
/// up to NotBefore and possible up to Time. An address that more than one pod possibly held at an instant is
/// <see cref="EndpointKind.Ambiguous"/>; one that only a single pod possibly (not certainly) held names that pod with
/// <see cref="EndpointAt.Uncertain"/> set.
/// </para>
/// </summary>
public sealed class ClusterTimeline : IEndpointLookup
{
    private const int FoundInline = 8;
    private readonly TimelineData _data;

    internal ClusterTimeline(TimelineData data) => _data = data;

    /// <summary>How many pods (distinct pod objects, by UID) the history holds.</summary>
    public int PodCount => _data.Pods.Length;

    /// <summary>How many address claims (pod, address, interval) the history holds.</summary>
    public int ClaimCount => _data.Claims.Count;

    /// <summary>How many epochs the history divides time into (see <see cref="EpochAt"/>).</summary>
    public int EpochCount => _data.Boundaries.Length + 1;

    /// <summary>Intervals in which changes may have been missed, as recorded.</summary>
    public IReadOnlyList<TimelineGap> Gaps => _data.Gaps;

    /// <summary>Problems found in change objects (at most the first 1,000); such changes were applied as far as readable or skipped.</summary>
    public IReadOnlyList<string> Warnings => _data.Warnings;

    /// <inheritdoc />
    public bool TryGet(IPAddress address, long atUnixNanos, out EndpointAt endpoint) => TryGet(AddressKey.Of(address), atUnixNanos, out endpoint);

    /// <inheritdoc />
    public bool TryGet(UInt128 address, long atUnixNanos, out EndpointAt endpoint)
    {
        var t = atUnixNanos;
        Span<int> found = stackalloc int[FoundInline];
        var count = _data.Claims.Find(address, t, found);
        if (count == 1)
        {
            var interval = _data.Claims.IntervalAt(found[0]);
            var versions = _data.Claims.ValueAt(found[0]);
            var index = PodLife.IndexAt(versions, t);
            var version = versions[index];
            long from = 0, to = 0;
            var uncertain = !interval.Certainly(t);
            if (uncertain)
            {
                (from, to) = t < interval.CertainStart ? (interval.PossibleStart - 1, interval.CertainStart) : (interval.CertainEnd - 1, interval.PossibleEnd);
            }
            else if (index + 1 < versions.Length && versions[index + 1].ChangedNotBefore is { } nb && t > nb)
            {
                // The labels (or another field) changed somewhere in (nb, next version's start]: this version only possibly holds.
                uncertain = true;
                (from, to) = (nb, versions[index + 1].ValidFrom);
            }
            endpoint = new EndpointAt
            {
                Kind = EndpointKind.Pod, Address = address, At = t, Pod = version,
                Uncertain = uncertain, WindowFrom = from, WindowTo = to, Candidates = [],
            };
            return true;
        }
        if (count > 1)
        {
            if (count > FoundInline)
            {
                found = new int[count];
                _data.Claims.Find(address, t, found);
            }
            var candidates = new List<PodVersion>(count);
            foreach (var i in found[..count])
            {
                var versions = _data.Claims.ValueAt(i);
                var version = versions[PodLife.IndexAt(versions, t)];
                if (!candidates.Contains(version))
                {
                    candidates.Add(version);
                }
            }
            candidates.Sort((a, b) => a.ValidFrom.CompareTo(b.ValidFrom));
            endpoint = new EndpointAt { Kind = EndpointKind.Ambiguous, Address = address, At = t, Candidates = candidates };
            return false;
        }
        count = _data.NodeAddresses.Find(address, t, found);
        if (count > 0)
        {
            var interval = _data.NodeAddresses.IntervalAt(found[0]);
            var uncertain = count == 1 && !interval.Certainly(t);
            endpoint = new EndpointAt
            {
                Kind = EndpointKind.Node, Address = address, At = t, Node = _data.NodeAddresses.ValueAt(found[0]), Candidates = [],
                Uncertain = uncertain,
                WindowFrom = uncertain ? (t < interval.CertainStart ? interval.PossibleStart - 1 : interval.CertainEnd - 1) : 0,
                WindowTo = uncertain ? (t < interval.CertainStart ? interval.CertainStart : interval.PossibleEnd) : 0,
            };
            return true;
        }
        count = _data.ServiceAddresses.Find(address, t, found);
        if (count > 0)
        {
            var service = _data.ServiceAddresses.ValueAt(found[0]);
            endpoint = new EndpointAt
            {
                Kind = EndpointKind.Service, Address = address, At = t, Service = service, Candidates = [],
                Uncertain = !_data.ServiceAddresses.IntervalAt(found[0]).Certainly(t),
            };
            return true;
        }
        if (_data.PodCidrs.NodeOf(address, t) is { } node)
        {
            endpoint = new EndpointAt { Kind = EndpointKind.Unknown, Address = address, At = t, Node = node, Candidates = [] };
            return false;
        }
        endpoint = new EndpointAt { Kind = EndpointKind.External, Address = address, At = t, Candidates = [] };
        return false;
    }

    /// <summary>
    /// The cluster as it was at an instant, for the policy engine: every object in force then. A pod is included when it
    /// certainly or possibly existed, with the addresses it certainly or possibly held (so an address two pods may hold
    /// shows up as the engine's own "claimed by 2 pods"); for a change known only within a window, the old version is
    /// taken up to the window's end. The same for every instant of one <see cref="EpochAt"/>.
    /// </summary>
    public ClusterSnapshot SnapshotAt(long unixNanos)
    {
        var t = unixNanos;
        var pods = new List<PodInfo>();
        Span<int> found = stackalloc int[FoundInline];
        foreach (var history in _data.Pods)
        {
            if (!history.Presence.Possibly(t))
            {
                continue;
            }
            var info = history.Versions[PodLife.IndexAt(history.Versions, t)].Info;
            if (!info.HostNetwork)
            {
                List<IPAddress>? held = null;
                foreach (var address in history.ClaimedAddresses)
                {
                    var count = _data.Claims.Find(address, t, found);
                    for (var i = 0; i < Math.Min(count, FoundInline); i++)
                    {
                        if (_data.Claims.ValueAt(found[i]) == history.Versions)
                        {
                            (held ??= []).Add(AddressKey.ToAddress(address));
                            break;
                        }
                    }
                }
                if (held is null ? info.IPs.Count > 0 : !held.SequenceEqual(info.IPs))
                {
                    info = info with { IPs = held ?? [] };
                }
            }
            pods.Add(info);
        }
        T[] At<T>(string kind) => _data.Objects.TryGetValue(kind, out var versions)
            ? [.. versions.Where(v => v.InForce(t)).Select(v => (T)v.Version.Value)]
            : [];
        var admin = At<AdminNetworkPolicyInfo>(ObjectKinds.AdminNetworkPolicy);
        var baseline = At<AdminNetworkPolicyInfo>(ObjectKinds.BaselineAdminNetworkPolicy);
        return new ClusterSnapshot
        {
            Namespaces = At<NamespaceInfo>(ObjectKinds.Namespace),
            Pods = pods,
            Services = At<ServiceInfo>(ObjectKinds.Service),
            EndpointSlices = At<EndpointSliceInfo>(ObjectKinds.EndpointSlice),
            Nodes = At<NodeInfo>(ObjectKinds.Node),
            NetworkPolicies = At<NetworkPolicyInfo>(ObjectKinds.NetworkPolicy),
            AdminNetworkPolicies = [.. admin.OrderBy(p => p.Priority).ThenBy(p => p.Name, StringComparer.Ordinal)],
            BaselineAdminNetworkPolicy = baseline.FirstOrDefault(),
        };
    }

    /// <summary>
    /// The stretch of time around an instant over which <see cref="SnapshotAt"/> gives the same answer (any object's
    /// version, presence or address claim starts or ends only at its edges), to cache one compiled engine per epoch.
    /// O(log n).
    /// </summary>
    public TimelineEpoch EpochAt(long unixNanos)
    {
        var b = _data.Boundaries;
        int lo = 0, hi = b.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (b[mid] <= unixNanos)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return new TimelineEpoch(lo, lo == 0 ? long.MinValue : b[lo - 1], lo == b.Length ? long.MaxValue : b[lo]);
    }

    /// <summary>The NetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy versions in force at an instant (as <see cref="SnapshotAt"/> takes them).</summary>
    public IReadOnlyList<PolicyVersion> PoliciesAt(long unixNanos) =>
        [.. _data.Policies.Where(p => p.InForceFrom <= unixNanos && unixNanos < p.ValidTo)];

    /// <summary>Every version of one policy, oldest first (kind one of the three policy <see cref="ObjectKinds"/>; namespace null for admin kinds).</summary>
    public IReadOnlyList<PolicyVersion> PolicyHistory(string kind, string? ns, string name) =>
        [.. _data.Policies.Where(p => p.Kind == kind && p.Namespace == ns && p.Name == name).OrderBy(p => p.ValidFrom)];

    /// <summary>Every version of every pod that ever had the name, oldest first.</summary>
    public IReadOnlyList<PodVersion> PodHistory(string ns, string name)
    {
        // Indexed by name on first use: callers ask for many pods.
        var byName = LazyInitializer.EnsureInitialized(ref _podsByName, () => _data.Pods.SelectMany(p => p.Versions)
            .GroupBy(v => (v.Namespace, v.Name))
            .ToDictionary(g => g.Key, g => g.OrderBy(v => v.ValidFrom).ToArray()));
        return byName.TryGetValue((ns, name), out var versions) ? versions : [];
    }

    /// <summary>How many changes the timeline was built from.</summary>
    public int ChangeCount => _data.ChangeCount;

    private Dictionary<(string, string), PodVersion[]>? _podsByName;
}

/// <summary>The frozen parts of a timeline.</summary>
internal sealed class TimelineData
{
    public required PodLife[] Pods { get; init; }
    public required AddressIntervals<PodVersion[]> Claims { get; init; }
    public required AddressIntervals<string> NodeAddresses { get; init; }
    public required AddressIntervals<ServiceInfo> ServiceAddresses { get; init; }
    public required CidrIndex PodCidrs { get; init; }
    public required Dictionary<string, ObjectVersionAt[]> Objects { get; init; }
    public required PolicyVersion[] Policies { get; init; }
    public required long[] Boundaries { get; init; }
    public required TimelineGap[] Gaps { get; init; }
    public required string[] Warnings { get; init; }
    public int WarningCount { get; init; }
    public int ChangeCount { get; init; }
}

/// <summary>One pod's versions (sorted by start) and when it existed.</summary>
internal sealed class PodLife(PodVersion[] versions, Interval presence, UInt128[] claimedAddresses)
{
    public PodVersion[] Versions { get; } = versions;

    public Interval Presence { get; } = presence;

    /// <summary>Every address the pod ever claimed.</summary>
    public UInt128[] ClaimedAddresses { get; } = claimedAddresses;

    /// <summary>The index of the version in force at t among a pod's versions (the first one before the pod's first version).</summary>
    public static int IndexAt(PodVersion[] versions, long t)
    {
        if (versions.Length == 1)
        {
            return 0;
        }
        int lo = 1, hi = versions.Length - 1, found = 0;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (versions[mid].ValidFrom <= t)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found;
    }
}

/// <summary>One version of a non-pod object, with whether it is the object's first (then it is in force from its possible start).</summary>
internal sealed record ObjectVersionAt(ObjectTrack Track, ObjectVersion Version, bool First)
{
    public bool InForce(long t) => (First ? Version.Interval.PossibleStart : Version.Interval.CertainStart) <= t && t < Version.Interval.PossibleEnd;
}

/// <summary>Node pod CIDRs over time, one hash lookup per distinct prefix length.</summary>
internal sealed class CidrIndex
{
    private readonly (int Prefix, Dictionary<UInt128, (string Node, Interval Interval)[]> Networks)[] _byPrefix;

    public CidrIndex(List<(IPNetwork Network, string Node, Interval Interval)> cidrs)
    {
        _byPrefix = [.. cidrs
            .GroupBy(c => PrefixOf(c.Network))
            .Select(g => (g.Key, g.GroupBy(c => AddressKey.Of(c.Network.BaseAddress) & Mask(g.Key))
                .ToDictionary(n => n.Key, n => n.Select(c => (c.Node, c.Interval)).ToArray())))];
    }

    public string? NodeOf(UInt128 address, long t)
    {
        foreach (var (prefix, networks) in _byPrefix)
        {
            if (networks.TryGetValue(address & Mask(prefix), out var holders))
            {
                foreach (var (node, interval) in holders)
                {
                    if (interval.Possibly(t))
                    {
                        return node;
                    }
                }
            }
        }
        return null;
    }

    private static int PrefixOf(IPNetwork network) =>
        network.PrefixLength + (network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 96 : 0);

    private static UInt128 Mask(int prefix) => prefix == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - prefix);
}
