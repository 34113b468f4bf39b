using System.Net;
using System.Runtime.InteropServices;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Identity.History;
using PolicyTrail.Ingest.Changes;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Store;
using PolicyTrail.Policy;
using PolicyTrail.Policy.Evaluation;

namespace PolicyTrail.Query.Answers;

/// <summary>
/// The three audit questions and coverage, answered from a store. Flows are counted by the store
/// (<see cref="ILedgerStore.GroupFlows"/>); here only the few distinct fragments those groups name are decoded, so the
/// cost in .NET follows the number of distinct (endpoint, port, decision) combinations, not the number of entries.
/// Replies (isReply true) are left out everywhere: each answers a connection whose request is counted already, and
/// counting it again would double the attempts and list the server as a source.
/// </summary>
public sealed class AuditAnswers(ILedgerStore store)
{
    private int[]? _workloadById;
    private readonly Dictionary<WorkloadIdentity, int> _workloadIds = [];
    private readonly List<WorkloadIdentity> _workloads = [];
    private readonly Dictionary<string, int> _protocolIds = new(StringComparer.Ordinal);
    private readonly List<string?> _protocols = [null];
    private FlowFragments? _fragments;
    private ClusterTimeline? _timeline;

    private FlowFragments Fragments => _fragments ??= new FlowFragments(new FragmentTable(store.ReadFragments()));

    /// <summary>The identity history the store records (its cluster changes), built on first use.</summary>
    public ClusterTimeline Timeline => _timeline ??= BuildTimeline();

    /// <summary>
    /// Every source that connected, or tried to, to <paramref name="target"/> among the flows the filter keeps: counts,
    /// first and last seen, and the deciding policies; most attempts first.
    /// </summary>
    /// <exception cref="ArgumentException">The target names nothing the store knows (message for users).</exception>
    public IReadOnlyList<AccessRow> Access(AccessTarget target, EntryFilter filter)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(filter);
        var destinations = Destinations(target, filter);
        var rows = new Dictionary<SourceIdentity, Tally>();
        foreach (var g in store.GroupFlows(filter, new FlowGrouping { Destinations = destinations.Keys }))
        {
            var root = Fragments.Root(g.Template);
            if (root.IsReply is true || g.Dst is not { } dst || !destinations.TryGetValue(dst, out var ports)
                || (ports is not null && (g.DstPort is not { } port || !ports.Contains(port))))
            {
                continue;
            }
            var src = Fragments.Endpoint(g.Src);
            var key = src.Namespace is null && src.Pod is null
                ? new SourceIdentity(null, null, null, src.Ip)
                : new SourceIdentity(src.Namespace, src.WorkloadOrPod, src.Pod, src.Ip);
            ref var tally = ref Row(rows, key);
            tally.Add(g, root.Verdict);
            tally.AddPolicies(Fragments.Side(g.Egress).Deciding);
            tally.AddPolicies(Fragments.Side(g.Ingress).Deciding);
        }
        return [.. rows
            .Select(r => new AccessRow(r.Key, r.Value.Attempts, r.Value.Allowed, r.Value.Denied, r.Value.First, r.Value.Last, r.Value.SortedPolicies()))
            .OrderByDescending(r => r.Attempts)
            .ThenBy(r => r.Source.Namespace, StringComparer.Ordinal)
            .ThenBy(r => r.Source.Workload, StringComparer.Ordinal)
            .ThenBy(r => r.Source.Pod, StringComparer.Ordinal)
            .ThenBy(r => r.Source.Ip, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Which workload pairs communicated among the flows the filter keeps, per destination port and protocol; busiest
    /// first, the first <paramref name="limit"/> rows only when one is given.
    /// </summary>
    public IReadOnlyList<TalkerRow> Talkers(EntryFilter filter, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var groups = GroupWhileNaming(filter, new FlowGrouping { Sides = false, Times = false });
        var rows = new Dictionary<PairKey, Tally>(groups.Count);
        foreach (var g in groups)
        {
            var root = Fragments.Root(g.Template);
            if (root.IsReply is true)
            {
                continue;
            }
            Row(rows, new PairKey(WorkloadId(g.Src), WorkloadId(g.Dst), g.DstPort ?? PairKey.NoPort, ProtocolId(root.Protocol))).Add(g, root.Verdict);
        }
        return [.. Busiest(rows).Take(limit ?? int.MaxValue).Select(r => new TalkerRow(_workloads[r.Key.Src], _workloads[r.Key.Dst], r.Key.PortOrNull, _protocols[r.Key.Protocol], r.Value.Attempts, r.Value.Allowed, r.Value.Denied))];
    }

    /// <summary>
    /// Denied attempts among the flows the filter keeps (its verdict is replaced by deny), grouped by source and destination
    /// workload, port and protocol, with the isolating policies; with <paramref name="crossNamespace"/> only those whose
    /// source and destination are pods of two different namespaces. Busiest first, the first <paramref name="limit"/> rows
    /// only when one is given.
    /// </summary>
    public IReadOnlyList<DeniedRow> Denied(EntryFilter filter, bool crossNamespace, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var denied = filter with
        {
            Verdict = EntryVerdict.Deny,
            Kind = EntryKind.Flow,
            SeparateGroups = crossNamespace ? filter.SeparateGroups ?? EndpointNamespaces() : filter.SeparateGroups,
        };
        var groups = GroupWhileNaming(denied, new FlowGrouping());
        var rows = new Dictionary<PairKey, Tally>(groups.Count);
        foreach (var g in groups)
        {
            var root = Fragments.Root(g.Template);
            if (root.IsReply is true || root.Verdict != "deny")
            {
                continue;
            }
            var (src, dst) = (WorkloadId(g.Src), WorkloadId(g.Dst));
            if (crossNamespace && (_workloads[src].Namespace is not { } from || _workloads[dst].Namespace is not { } to || from == to))
            {
                continue;
            }
            ref var tally = ref Row(rows, new PairKey(src, dst, g.DstPort ?? PairKey.NoPort, ProtocolId(root.Protocol)));
            tally.Add(g, root.Verdict);
            if (Fragments.Side(g.Egress) is { Verdict: "deny" } egress)
            {
                tally.AddPolicies(egress.Deciding);
            }
            if (Fragments.Side(g.Ingress) is { Verdict: "deny" } ingress)
            {
                tally.AddPolicies(ingress.Deciding);
            }
        }
        return [.. Busiest(rows).Take(limit ?? int.MaxValue).Select(r => new DeniedRow(_workloads[r.Key.Src], _workloads[r.Key.Dst], r.Key.PortOrNull, _protocols[r.Key.Protocol], r.Value.Attempts, r.Value.First, r.Value.Last, r.Value.SortedPolicies()))];
    }

    /// <summary>
    /// Coverage at an instant (Unix ns): the cluster as the store's history has it then, compiled by the policy engine;
    /// the pods (not terminated) that no NetworkPolicy isolates for ingress or for egress, and the namespaces without any
    /// NetworkPolicy.
    /// </summary>
    public CoverageReport Coverage(long at, PolicyEngineOptions? options = null)
    {
        var snapshot = Timeline.SnapshotAt(at);
        var engine = PolicyEngine.Create(snapshot, options);
        var pods = new List<PodCoverage>();
        var considered = 0;
        foreach (var pod in engine.Isolation())
        {
            var info = pod.Pod;
            if (info.IsTerminated)
            {
                continue;
            }
            considered++;
            if (pod.IngressIsolated && pod.EgressIsolated && !info.HostNetwork)
            {
                continue;
            }
            var version = Timeline.PodHistory(info.Namespace, info.Name).LastOrDefault(v => v.ValidFrom <= at && at < v.ValidTo);
            pods.Add(new PodCoverage(
                info.Namespace, info.Name, version?.Workload.Name ?? info.Owner?.Name ?? info.Name,
                pod.IngressIsolated, pod.EgressIsolated,
                [.. pod.Ingress.Select(p => p.Key)], [.. pod.Egress.Select(p => p.Key)], info.HostNetwork));
        }
        var withPolicy = snapshot.NetworkPolicies.Select(p => p.Namespace).ToHashSet(StringComparer.Ordinal);
        var namespaces = snapshot.Namespaces.Select(n => n.Name)
            .Concat(snapshot.Pods.Where(p => !p.IsTerminated).Select(p => p.Namespace))
            .Where(n => !withPolicy.Contains(n))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        return new CoverageReport(
            at, considered,
            [.. pods.OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Pod, StringComparer.Ordinal)],
            [.. namespaces]);
    }

    // Groups are many and workloads few: each endpoint fragment is mapped once to a small number for its workload, so
    // the per-group work is integer lookups.
    private int WorkloadId(uint? fragment)
    {
        // Fragment ids are dense from 0: a list indexed by id (1 + the workload's number; 0: not named yet).
        var byId = _workloadById ??= new int[Fragments.Table.Count];
        if (fragment is { } f && f < byId.Length && byId[f] > 0)
        {
            return byId[f] - 1;
        }
        // Not named yet (or no fragment, or one the table does not hold: named each time, through the workloads' map).
        var e = Fragments.Endpoint(fragment);
        var workload = e.Namespace is null ? new WorkloadIdentity(null, null, e.Ip) : new WorkloadIdentity(e.Namespace, e.WorkloadOrPod, null);
        if (!_workloadIds.TryGetValue(workload, out var id))
        {
            _workloadIds[workload] = id = _workloads.Count;
            _workloads.Add(workload);
        }
        if (fragment is { } named && named < byId.Length)
        {
            byId[named] = id + 1;
        }
        return id;
    }

    // The store groups by endpoint fragment on another thread while this one names every endpoint fragment's workload:
    // the two take about as long, and grouping by workload inside the store left at most 8.5 % fewer groups on a month
    // of traffic. The templates are read first, so that only the other thread uses the store meanwhile.
    private IReadOnlyList<FlowGroup> GroupWhileNaming(EntryFilter filter, FlowGrouping grouping)
    {
        _ = Fragments;
        var grouped = Task.Run(() => store.GroupFlows(filter, grouping));
        foreach (var id in EndpointIds())
        {
            WorkloadId(id);
        }
        return grouped.GetAwaiter().GetResult();
    }

    // Each endpoint fragment that names a namespace → a number per namespace (the store compares them).
    private Dictionary<uint, int> EndpointNamespaces()
    {
        var numbers = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new Dictionary<uint, int>();
        foreach (var id in EndpointIds())
        {
            if (Fragments.Table[id].Facts.Namespace is { } ns)
            {
                if (!numbers.TryGetValue(ns, out var number))
                {
                    numbers[ns] = number = numbers.Count;
                }
                result[id] = number;
            }
        }
        return result;
    }

    // The fragments that can be a flow's src or dst: not roots, and naming a namespace, a pod or an address.
    private IEnumerable<uint> EndpointIds()
    {
        var table = Fragments.Table;
        for (var id = 0u; id < table.Count; id++)
        {
            var fragment = table[id];
            if (fragment.Facts.Kind is null && (fragment.Facts.Namespace is not null || fragment.Facts.Pod is not null || fragment.Text.AsSpan().IndexOf("\"ip\""u8) >= 0))
            {
                yield return id;
            }
        }
    }

    // The tally of a row, in place in the dictionary (a new row starts empty).
    private static ref Tally Row<TKey>(Dictionary<TKey, Tally> rows, TKey key)
        where TKey : notnull
    {
        ref var tally = ref CollectionsMarshal.GetValueRefOrAddDefault(rows, key, out var exists);
        if (!exists)
        {
            tally = Tally.Empty;
        }
        return ref tally;
    }

    // Protocols are few: a row keys them by number (0: none), so that hashing a row's key hashes no string.
    private int ProtocolId(string? protocol)
    {
        if (protocol is null)
        {
            return 0;
        }
        if (!_protocolIds.TryGetValue(protocol, out var id))
        {
            _protocolIds[protocol] = id = _protocols.Count;
            _protocols.Add(protocol);
        }
        return id;
    }

    // Workload pairs busiest first, then by source and destination text, port and protocol. Workloads and protocols are
    // ranked by their text once, so that hundreds of thousands of rows sort on integers in one struct key each (sorting
    // on the strings took ~1 s for 200k rows, through a comparison delegate ~0.15 s).
    private KeyValuePair<PairKey, Tally>[] Busiest(Dictionary<PairKey, Tally> rows)
    {
        var workloadRank = Ranks(_workloads.Count, i => Text(_workloads[i]));
        var protocolRank = Ranks(_protocols.Count, i => _protocols[i] ?? "");
        var sorted = rows.ToArray();
        var keys = new RowOrder[sorted.Length];
        for (var i = 0; i < sorted.Length; i++)
        {
            var (key, tally) = (sorted[i].Key, sorted[i].Value);
            keys[i] = new RowOrder(-tally.Attempts, workloadRank[key.Src], workloadRank[key.Dst], key.Port, protocolRank[key.Protocol]);
        }
        Array.Sort(keys, sorted);
        return sorted;
    }

    // Each item's place in the ordinal order of its text (null protocol, number 0, is "" and sorts first).
    private static int[] Ranks(int count, Func<int, string> text)
    {
        var order = Enumerable.Range(0, count).OrderBy(text, StringComparer.Ordinal).ToArray();
        var rank = new int[count];
        for (var r = 0; r < order.Length; r++)
        {
            rank[order[r]] = r;
        }
        return rank;
    }

    /// <summary>A row's key: workload numbers, destination port (<see cref="NoPort"/>: none) and protocol number.</summary>
    private readonly record struct PairKey(int Src, int Dst, int Port, int Protocol)
    {
        // Below every real port, so that rows without a port sort first (as null did).
        public const int NoPort = int.MinValue;

        public int? PortOrNull => Port == NoPort ? null : Port;
    }

    /// <summary>Where a row sorts: most attempts first (negated), then source, destination, port and protocol ranks.</summary>
    private readonly record struct RowOrder(long NegativeAttempts, int Src, int Dst, int Port, int Protocol) : IComparable<RowOrder>
    {
        public int CompareTo(RowOrder other)
        {
            var c = NegativeAttempts.CompareTo(other.NegativeAttempts);
            c = c != 0 ? c : Src.CompareTo(other.Src);
            c = c != 0 ? c : Dst.CompareTo(other.Dst);
            c = c != 0 ? c : Port.CompareTo(other.Port);
            return c != 0 ? c : Protocol.CompareTo(other.Protocol);
        }
    }

    private static string Text(WorkloadIdentity w) => w.Namespace is null ? w.Ip ?? "" : $"{w.Namespace}/{w.Workload}";

    /// <summary>
    /// The destination endpoint fragments the target covers, each with the destination ports it covers there (null: all).
    /// </summary>
    private Dictionary<uint, HashSet<int>?> Destinations(AccessTarget target, EntryFilter filter)
    {
        var result = new Dictionary<uint, HashSet<int>?>();
        var table = Fragments.Table;
        var endpoints = EndpointIds().Select(id => (id, table[id].Facts)).ToList();
        switch (target.Kind)
        {
            case TargetKind.Namespace:
                foreach (var (id, facts) in endpoints.Where(e => e.Facts.Namespace == target.Namespace))
                {
                    result[id] = null;
                }
                break;
            case TargetKind.Pod or TargetKind.PodOrService:
                foreach (var (id, facts) in endpoints.Where(e => e.Facts.Namespace == target.Namespace && e.Facts.Pod == target.Name))
                {
                    result[id] = null;
                }
                if (result.Count == 0 && target.Kind == TargetKind.PodOrService)
                {
                    return Destinations(target with { Kind = TargetKind.Service }, filter);
                }
                if (result.Count == 0 && !Timeline.PodHistory(target.Namespace!, target.Name!).Any())
                {
                    throw new ArgumentException($"no pod {target.Namespace}/{target.Name} in the store's flows or cluster history");
                }
                break;
            case TargetKind.Service:
                ServiceDestinations(target, filter, endpoints, result);
                break;
            case TargetKind.Selector:
                var selector = SelectorParser.Parse(target.Selector!, out var error);
                if (error is not null)
                {
                    throw new ArgumentException(error);
                }
                var since = filter.Since ?? long.MinValue;
                var until = filter.Until ?? long.MaxValue;
                var matched = new Dictionary<(string, string), bool>();
                foreach (var (id, _) in endpoints)
                {
                    var e = Fragments.Endpoint(id);
                    if (e.Namespace is not { } ns || e.Pod is not { } pod)
                    {
                        continue;
                    }
                    // The pod's labels as they were while the flows were: any version in force within the window.
                    if (!matched.TryGetValue((ns, pod), out var match))
                    {
                        matched[(ns, pod)] = match = Timeline.PodHistory(ns, pod)
                            .Any(v => v.ValidFrom < until && v.ValidTo > since && selector.Matches(v.Labels));
                    }
                    if (match)
                    {
                        result[id] = null;
                    }
                }
                break;
            default:
                throw new ArgumentException($"--to {target}: not a destination");
        }
        return result;
    }

    /// <summary>
    /// A Service's flows: those the CNI recorded as addressed to it (the endpoint's "service"), those to its cluster
    /// addresses on its ports, and those to its backends (pods its selector or its EndpointSlices named while the window
    /// lasted) on its target ports (all ports when a target port is named).
    /// </summary>
    private void ServiceDestinations(AccessTarget target, EntryFilter filter, List<(uint Id, FragmentFacts Facts)> endpoints, Dictionary<uint, HashSet<int>?> result)
    {
        var key = $"{target.Namespace}/{target.Name}";
        var addresses = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
        var backends = new HashSet<(string, string)>();
        var targetPorts = new HashSet<int>();
        var anyTargetPort = false;
        var found = false;
        foreach (var snapshot in SnapshotsOver(filter.Since ?? long.MinValue, filter.Until ?? long.MaxValue))
        {
            var service = snapshot.Services.FirstOrDefault(s => s.Key == key);
            if (service is null)
            {
                continue;
            }
            found = true;
            var ports = service.Ports.Select(p => p.Port).ToHashSet();
            foreach (var address in service.ClusterIPs)
            {
                addresses[address.ToString()] = ports;
            }
            foreach (var port in service.Ports)
            {
                if (port.TargetPort.Number is { } number)
                {
                    targetPorts.Add(number);
                }
                else
                {
                    anyTargetPort = true;
                }
            }
            if (service.Selector is { Count: > 0 } selector)
            {
                var match = new LabelSelector(selector, []);
                foreach (var pod in snapshot.Pods.Where(p => p.Namespace == service.Namespace && match.Matches(p.Labels)))
                {
                    backends.Add((pod.Namespace, pod.Name));
                }
            }
            foreach (var slice in snapshot.EndpointSlices.Where(s => s.Namespace == service.Namespace && s.ServiceName == service.Name))
            {
                foreach (var port in slice.Ports)
                {
                    targetPorts.Add(port.Port);
                }
                foreach (var endpoint in slice.Endpoints.Where(e => e.TargetPodName is not null))
                {
                    backends.Add((endpoint.TargetPodNamespace ?? service.Namespace, endpoint.TargetPodName!));
                }
            }
        }
        foreach (var (id, facts) in endpoints)
        {
            var e = Fragments.Endpoint(id);
            if (e.Service == key)
            {
                result[id] = null;
            }
            else if (e.Namespace is { } ns && e.Pod is { } pod && backends.Contains((ns, pod)))
            {
                result[id] = anyTargetPort || targetPorts.Count == 0 ? null : targetPorts;
            }
            else if (e.Ip is { } ip && addresses.TryGetValue(ip, out var ports) && (e.Kind is "service" || e.Namespace is null))
            {
                result[id] = ports;
            }
        }
        if (!found && result.Count == 0 && !Timeline.PodHistory(target.Namespace!, target.Name!).Any())
        {
            throw new ArgumentException($"no pod or service {key} in the store's flows or cluster history");
        }
    }

    // One snapshot per epoch of the history within [since, until); a window of more epochs than this is sampled evenly.
    private IEnumerable<ClusterSnapshot> SnapshotsOver(long since, long until)
    {
        const int MaxSnapshots = 256;
        var starts = new List<long>();
        for (var t = since; t < until && starts.Count <= 100_000;)
        {
            var epoch = Timeline.EpochAt(t);
            starts.Add(t);
            if (epoch.End == long.MaxValue)
            {
                break;
            }
            t = epoch.End;
        }
        var step = Math.Max(1, (starts.Count + MaxSnapshots - 1) / MaxSnapshots);
        for (var i = 0; i < starts.Count; i += step)
        {
            yield return Timeline.SnapshotAt(starts[i]);
        }
    }

    private ClusterTimeline BuildTimeline()
    {
        // As ingest rebuilds it: every recorded change, and the snapshot instants as times the whole state was known.
        var builder = new ClusterTimelineBuilder();
        builder.AddRange(ChangeReader.Read(store, Fragments.Table).Select(r => r.Change));
        foreach (var snapshot in store.ReadSnapshots())
        {
            builder.MarkObserved((snapshot.TakenAt.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * 100);
        }
        return builder.Build();
    }

    // A row's counts, kept in place as a dictionary value: hundreds of thousands of rows make no objects of their own.
    private struct Tally
    {
        private SortedSet<string>? _policies;
        private IReadOnlyList<string>? _single;

        public static Tally Empty => new() { First = long.MaxValue, Last = long.MinValue };

        public long Attempts { get; private set; }
        public long Allowed { get; private set; }
        public long Denied { get; private set; }
        public long First { get; private set; }
        public long Last { get; private set; }

        public void Add(in FlowGroup g, string? verdict)
        {
            Attempts = checked(Attempts + g.Attempts);
            if (verdict == "allow")
            {
                Allowed = checked(Allowed + g.Attempts);
            }
            else if (verdict == "deny")
            {
                Denied = checked(Denied + g.Attempts);
            }
            First = Math.Min(First, g.FirstSeen);
            Last = Math.Max(Last, g.LastSeen);
        }

        // Most rows see one and the same sorted list (a side's deciding policies): it is kept by reference, and only a
        // second, different list makes a set (200k rows each copying into a SortedSet took most of `denied`'s time).
        public void AddPolicies(IReadOnlyList<string> sorted)
        {
            if (sorted.Count == 0 || ReferenceEquals(sorted, _single))
            {
                return;
            }
            if (_policies is null && _single is null)
            {
                _single = sorted;
                return;
            }
            _policies ??= new SortedSet<string>(_single!, StringComparer.Ordinal);
            _policies.UnionWith(sorted);
        }

        public readonly IReadOnlyList<string> SortedPolicies() => _policies is not null ? [.. _policies] : _single ?? [];
    }
}
