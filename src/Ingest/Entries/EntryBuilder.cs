using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;
using PolicyTrail.Core.Flows;
using PolicyTrail.Identity.History;
using PolicyTrail.Ingest.Attribution;
using PolicyTrail.Ingest.Clusters;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Policy.Explanation;
using PolicyTrail.Sources.Output;

namespace PolicyTrail.Ingest.Entries;

/// <summary>
/// Turns normalized records and their decisions into ledger rows: the entry's JSON with its varying values as slot
/// placeholders is interned as templates, and the values go into the row. The entry a verifier rebuilds is:
/// the parse record's fields (kind, time, src, dst, protocol, direction, isReply, reported, source, counters) plus
/// index, observedAt and decision {verdict, agreement, ingress, egress, ...}; src and dst add what the cluster
/// snapshot says of the address (kind, podUid, workload, node, inventory = the inventory-change entry).
/// Not thread-safe.
/// </summary>
public sealed class EntryBuilder(FragmentTable fragments)
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _writer = new(Stream.Null);
    private readonly ChangeBodyWriter _bodies = new();
    private readonly Dictionary<(Verdict, Agreement, bool, string?, string?), byte[]> _decisions = [];
    private readonly Dictionary<DirectionDecision, uint> _directions = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<EndpointKey, uint> _endpoints = [];
    private readonly Dictionary<RootShape, uint> _roots = [];
    private readonly Dictionary<(string, string, string?, bool), uint> _sources = [];
    private readonly Stack<EntryRow> _free = new();
    // About three commits' worth of rows at the default batch (20,000); beyond that they are left to the collector.
    private const int MaxFreeRows = 1 << 16;
    private uint? _policyChange;
    private uint? _inventoryChange;

    /// <summary>
    /// Takes back rows the store has written and no longer holds (<see cref="Ledger.Writing.LedgerWriter.OnRowsWritten"/>):
    /// later flow entries fill them again, so that rows waiting for their commit are not new objects each time.
    /// </summary>
    public void Reuse(EntryRow[] rows)
    {
        foreach (var row in rows)
        {
            if (_free.Count >= MaxFreeRows)
            {
                return;
            }
            row.Body = null;
            _free.Push(row);
        }
    }

    /// <summary>The row of a flow entry.</summary>
    public EntryRow Flow(FlowRecord flow, FlowAttribution attribution, long observedAt)
    {
        // Every field is set: a reused row keeps nothing of its last entry.
        var row = _free.TryPop(out var free) ? free : new EntryRow();
        row.Index = 0;
        row.LeafTag = 0;
        row.Body = null;
        row.Time = flow.Time.UnixNanos;
        row.ObservedAt = observedAt;
        row.SrcPort = flow.Src.Port;
        row.DstPort = flow.Dst.Port;
        row.Count = flow.Count;
        row.Packets = flow.Packets;
        row.Bytes = flow.Bytes;
        row.WindowStart = flow.WindowStart?.UnixNanos;
        row.WindowEnd = flow.WindowEnd?.UnixNanos;
        // Flows of one attribution mostly repeat the fragments of the one before: those are checked, not looked up.
        ref var parts = ref attribution.EntryParts;
        if (parts.Builder != this)
        {
            var d = attribution.Decision;
            parts = new FlowEntryParts
            {
                Builder = this,
                SrcResolved = attribution.EvaluatedAsReply ? d?.Destination : d?.Source,
                DstResolved = attribution.EvaluatedAsReply ? d?.Source : d?.Destination,
            };
            parts.Decision = DecisionJson(attribution, ref parts);
        }
        row.Src = Endpoint(ref parts.Src, flow.Src, parts.SrcResolved, attribution.Cluster, EntrySlots.SrcPort);
        row.Dst = Endpoint(ref parts.Dst, flow.Dst, parts.DstResolved, attribution.Cluster, EntrySlots.DstPort);
        SourceRef(row, flow.Source);
        var decision = parts.Decision!;
        row.Ingress = parts.Ingress;
        row.Egress = parts.Egress;

        // Most flows share their shape with an earlier one: then the template is known without writing it.
        var shape = Shape(flow, decision);
        if (shape is { } key && parts.Shape is { } last && last.Equals(key))
        {
            row.Template = parts.Root;
            return row;
        }
        if (shape is { } known && _roots.TryGetValue(known, out var root))
        {
            (parts.Shape, parts.Root) = (known, root);
            row.Template = root;
            return row;
        }

        var w = Begin();
        w.WriteStartObject();
        w.WriteString("kind", "flow");
        Slots(w, flow.Time.FractionDigits);
        w.WriteString("src", EntrySlots.Placeholder(EntrySlots.SrcFragment));
        w.WriteString("dst", EntrySlots.Placeholder(EntrySlots.DstFragment));
        RecordJsonWriter.WriteConnection(w, flow);
        w.WritePropertyName("reported");
        RecordJsonWriter.WriteReported(w, flow.Reported, EntrySlots.Safe);
        w.WritePropertyName("decision");
        w.WriteRawValue(decision, skipInputValidation: true);
        Counter(w, "count", flow.Count, EntrySlots.Count);
        Counter(w, "packets", flow.Packets, EntrySlots.Packets);
        Counter(w, "bytes", flow.Bytes, EntrySlots.Bytes);
        if (flow.WindowStart is { } start)
        {
            w.WriteString("windowStart", EntrySlots.TimePlaceholder(EntrySlots.WindowStart, start.FractionDigits));
        }
        if (flow.WindowEnd is { } end)
        {
            w.WriteString("windowEnd", EntrySlots.TimePlaceholder(EntrySlots.WindowEnd, end.FractionDigits));
        }
        w.WriteEndObject();
        w.Flush();
        row.Template = fragments.Intern(_buffer.WrittenSpan);
        if (shape is { } newKey)
        {
            if (_roots.Count >= 1 << 16)
            {
                _roots.Clear();
            }
            _roots[newKey] = row.Template;
            (parts.Shape, parts.Root) = (newKey, row.Template);
        }
        return row;
    }

    // What decides a flow's root template, when it is cheap to say: flows that name no policies (the common case).
    private static RootShape? Shape(FlowRecord flow, byte[] decision)
    {
        var r = flow.Reported;
        const long Exact = 1L << 53;
        if (r.Policies.Count > 0 || r.Hits is { Count: > 0 } || Math.Abs(flow.Count ?? 0) >= Exact || Math.Abs(flow.Packets ?? 0) >= Exact || Math.Abs(flow.Bytes ?? 0) >= Exact)
        {
            return null;
        }
        var counters = (flow.Count is null ? 0 : 1) | (flow.Packets is null ? 0 : 2) | (flow.Bytes is null ? 0 : 4);
        return new RootShape(decision, flow.Protocol, flow.Direction, flow.IsReply, flow.Icmp, r.Verdict, r.RawVerdict, r.DropReason, r.Rule,
            flow.Time.FractionDigits, counters, flow.WindowStart?.FractionDigits, flow.WindowEnd?.FractionDigits);
    }

    /// <summary>The row of a gap or policy-change entry: the parse record's JSON with index, observedAt and slots.</summary>
    public EntryRow Record(NormalizedRecord record, long observedAt)
    {
        var row = new EntryRow { Time = record.Time.UnixNanos, ObservedAt = observedAt };
        SourceRef(row, record.Source);
        var w = Begin();
        RecordJsonWriter.Write(w, record);
        w.Flush();
        var node = JsonNode.Parse(_buffer.WrittenSpan)!.AsObject();
        node["index"] = EntrySlots.Placeholder(EntrySlots.Index);
        node["time"] = EntrySlots.TimePlaceholder(EntrySlots.Time, record.Time.FractionDigits);
        node["observedAt"] = EntrySlots.TimePlaceholder(EntrySlots.ObservedAt, 3);
        node["source"] = EntrySlots.Placeholder(EntrySlots.SourceFragment);
        row.Template = fragments.Intern(JsonSerializer.SerializeToUtf8Bytes(node));
        return row;
    }

    /// <summary>A gap entry for a rejected line: where it was, why, and the SHA-256 of the line.</summary>
    public EntryRow Rejected(string format, string file, long line, string reason, byte[] sha256, Timestamp time, long observedAt)
    {
        var row = new EntryRow { Time = time.UnixNanos, ObservedAt = observedAt };
        SourceRef(row, new SourceRef(format, file, line) { Sha256 = Convert.ToHexStringLower(sha256) });
        var w = Begin();
        w.WriteStartObject();
        w.WriteString("kind", "gap");
        Slots(w, time.FractionDigits);
        w.WriteString("reason", "rejected record: " + reason);
        w.WriteNumber("lost", 1);
        w.WriteEndObject();
        w.Flush();
        row.Template = fragments.Intern(_buffer.WrittenSpan);
        return row;
    }

    /// <summary>A gap entry for a source that changed under PolicyTrail (replaced or truncated) since it was last read.</summary>
    public EntryRow SourceGap(string file, long lastLine, string reason, long time, long observedAt)
    {
        var row = new EntryRow { Time = time, ObservedAt = observedAt };
        SourceRef(row, new SourceRef("ingest", file, lastLine));
        var w = Begin();
        w.WriteStartObject();
        w.WriteString("kind", "gap");
        Slots(w, 3);
        w.WriteString("reason", reason);
        w.WriteNull("lost");
        w.WriteEndObject();
        w.Flush();
        row.Template = fragments.Intern(_buffer.WrittenSpan);
        return row;
    }

    /// <summary>The inventory-change entry that records a cluster snapshot.</summary>
    public EntryRow Inventory(ClusterSnapshotFile cluster, long observedAt)
    {
        var time = (cluster.TakenAt.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * 100;
        var row = new EntryRow { Time = time, ObservedAt = observedAt };
        var w = Begin();
        w.WriteStartObject();
        w.WriteString("kind", "inventory-change");
        w.WriteString("index", EntrySlots.Placeholder(EntrySlots.Index));
        w.WriteString("time", EntrySlots.TimePlaceholder(EntrySlots.Time, 0));
        w.WriteString("observedAt", EntrySlots.TimePlaceholder(EntrySlots.ObservedAt, 3));
        w.WriteString("change", "snapshot");
        w.WriteStartObject("snapshot");
        w.WriteString("name", cluster.Name);
        w.WriteString("sha256", cluster.Sha256);
        w.WriteString("encoding", "gzip+json");
        var s = cluster.Snapshot;
        w.WriteNumber("namespaces", s.Namespaces.Count);
        w.WriteNumber("pods", s.Pods.Count);
        w.WriteNumber("services", s.Services.Count);
        w.WriteNumber("endpointSlices", s.EndpointSlices.Count);
        w.WriteNumber("nodes", s.Nodes.Count);
        w.WriteNumber("networkPolicies", s.NetworkPolicies.Count);
        w.WriteNumber("adminNetworkPolicies", s.AdminNetworkPolicies.Count + (s.BaselineAdminNetworkPolicy is null ? 0 : 1));
        w.WriteEndObject();
        w.WriteEndObject();
        w.Flush();
        row.Template = fragments.Intern(_buffer.WrittenSpan);
        return row;
    }

    /// <summary>
    /// The entry of one change to a cluster object: policy-change for NetworkPolicy and admin policies, inventory-change
    /// for the rest. Its content is kept whole in the row's body (canonical JSON, see <see cref="ChangeBodyWriter"/>).
    /// </summary>
    public EntryRow Change(ClusterChange change, long observedAt) => Change(change, _bodies.Write(change), observedAt);

    /// <summary>The entry of one change whose body <see cref="ChangeBodyWriter"/> has already written (elsewhere, e.g. on another thread).</summary>
    public EntryRow Change(ClusterChange change, byte[] body, long observedAt)
    {
        ArgumentNullException.ThrowIfNull(change);
        var policy = change.Kind is ObjectKinds.NetworkPolicy or ObjectKinds.AdminNetworkPolicy or ObjectKinds.BaselineAdminNetworkPolicy;
        return new EntryRow
        {
            Time = change.Time,
            ObservedAt = observedAt,
            Body = body,
            Template = policy ? (_policyChange ??= ChangeTemplate("policy-change")) : (_inventoryChange ??= ChangeTemplate("inventory-change")),
        };
    }

    /// <summary>A gap entry for an interval in which cluster changes may have been missed (a watch that was down).</summary>
    public EntryRow ChangeGap(long from, long until, string reason, string origin, long observedAt)
    {
        var row = new EntryRow { Time = from, ObservedAt = observedAt, WindowStart = from, WindowEnd = until };
        var w = Begin();
        w.WriteStartObject();
        w.WriteString("kind", "gap");
        w.WriteString("index", EntrySlots.Placeholder(EntrySlots.Index));
        w.WriteString("time", EntrySlots.TimePlaceholder(EntrySlots.Time, 9));
        w.WriteString("observedAt", EntrySlots.TimePlaceholder(EntrySlots.ObservedAt, 3));
        w.WriteStartObject("source");
        w.WriteString("format", "kubernetes");
        w.WriteString("origin", EntrySlots.Safe(origin));
        w.WriteEndObject();
        w.WriteString("from", EntrySlots.TimePlaceholder(EntrySlots.WindowStart, 9));
        w.WriteString("until", EntrySlots.TimePlaceholder(EntrySlots.WindowEnd, 9));
        w.WriteString("reason", EntrySlots.Safe(reason));
        w.WriteEndObject();
        w.Flush();
        row.Template = fragments.Intern(_buffer.WrittenSpan);
        return row;
    }

    private uint ChangeTemplate(string kind)
    {
        var w = Begin();
        w.WriteStartObject();
        w.WriteString("kind", kind);
        w.WriteString("index", EntrySlots.Placeholder(EntrySlots.Index));
        w.WriteString("time", EntrySlots.TimePlaceholder(EntrySlots.Time, 9));
        w.WriteString("observedAt", EntrySlots.TimePlaceholder(EntrySlots.ObservedAt, 3));
        w.WriteString("change", EntrySlots.Placeholder(EntrySlots.Body));
        w.WriteEndObject();
        w.Flush();
        return fragments.Intern(_buffer.WrittenSpan);
    }

    private Utf8JsonWriter Begin()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        return _writer;
    }

    private static void Slots(Utf8JsonWriter w, byte timeDigits)
    {
        w.WriteString("index", EntrySlots.Placeholder(EntrySlots.Index));
        w.WriteString("time", EntrySlots.TimePlaceholder(EntrySlots.Time, timeDigits));
        w.WriteString("observedAt", EntrySlots.TimePlaceholder(EntrySlots.ObservedAt, 3));
        w.WriteString("source", EntrySlots.Placeholder(EntrySlots.SourceFragment));
    }

    private static void Counter(Utf8JsonWriter w, string name, long? value, char slot)
    {
        if (value is not { } v)
        {
            return;
        }
        // Integers beyond 2^53 have no exact JCS form: such a value stays in the template as the double JCS writes.
        if (Math.Abs(v) < 1L << 53)
        {
            w.WriteString(name, EntrySlots.Placeholder(slot));
        }
        else
        {
            w.WriteNumber(name, (double)v);
        }
    }

    private void SourceRef(EntryRow row, SourceRef source)
    {
        row.Line = source.Line;
        // Copied into the row's own array, which a reused row fills again.
        if (source.Sha256Digest is { Length: 32 } digest)
        {
            row.SetSha256(digest.Span);
        }
        else if (source.Sha256 is { Length: 64 } hex)
        {
            row.SetSha256(Convert.FromHexString(hex));
        }
        else
        {
            row.Sha256 = null;
        }
        var key = (source.Format, source.File, source.Node, row.Sha256 is not null);
        if (_sources.TryGetValue(key, out var known))
        {
            row.SourceRef = known;
            return;
        }
        var w = Begin();
        w.WriteStartObject();
        w.WriteString("format", EntrySlots.Safe(source.Format));
        w.WriteString("file", EntrySlots.Safe(source.File));
        w.WriteString("line", EntrySlots.Placeholder(EntrySlots.Line));
        if (source.Node is not null)
        {
            w.WriteString("node", EntrySlots.Safe(source.Node));
        }
        if (row.Sha256 is not null)
        {
            w.WriteString("sha256", EntrySlots.Placeholder(EntrySlots.Sha256));
        }
        w.WriteEndObject();
        w.Flush();
        row.SourceRef = fragments.Intern(_buffer.WrittenSpan);
        if (_sources.Count >= 1 << 12)
        {
            _sources.Clear();
        }
        _sources[key] = row.SourceRef.Value;
    }

    private uint Endpoint(ref EndpointMemo last, FlowEndpoint reported, Endpoint? resolved, ClusterEpoch? cluster, char portSlot)
    {
        // Flows repeat endpoints: the fragment is looked up by what goes into it (labels do not).
        var key = new EndpointKey(cluster, reported.IP, resolved, reported.Namespace, reported.Pod, reported.Workload, reported.WorkloadKind,
            reported.Node, reported.Service, reported.Identity, reported.Names, reported.Port is null ? '-' : portSlot);
        if (last.Set && last.Key.Equals(key))
        {
            return last.Id;
        }
        if (!_endpoints.TryGetValue(key, out var id))
        {
            if (_endpoints.Count >= 1 << 18)
            {
                _endpoints.Clear();
            }
            id = _endpoints[key] = EndpointFragment(reported, resolved, cluster, portSlot);
        }
        last = new EndpointMemo(key, id, true);
        return id;
    }

    private uint EndpointFragment(FlowEndpoint reported, Endpoint? resolved, ClusterEpoch? cluster, char portSlot)
    {
        var w = Begin();
        w.WriteStartObject();
        if (reported.IP is null)
        {
            w.WriteNull("ip");
        }
        else
        {
            w.WriteString("ip", reported.IP.ToString());
        }
        if (reported.Port is null)
        {
            w.WriteNull("port");
        }
        else
        {
            w.WriteString("port", EntrySlots.Placeholder(portSlot));
        }
        var at = resolved is { Kind: EndpointKind.Pod or EndpointKind.HostNetworkPod } && cluster is not null
            ? cluster.Pod(resolved.Key ?? $"{resolved.Namespace}/{resolved.Name}")
            : null;
        var pod = at?.Info;
        w.WriteString("namespace", EntrySlots.Safe(pod?.Namespace ?? reported.Namespace));
        w.WriteString("pod", EntrySlots.Safe(pod?.Name ?? reported.Pod));
        w.WriteString("kind", resolved is null ? "unresolved" : KindName(resolved.Kind));
        if (pod is not null)
        {
            Optional(w, "podUid", pod.Uid);
            var (kind, name) = at!.Workload is { } workload ? (workload.Kind, workload.Name) : Workload(pod);
            Optional(w, "workloadKind", kind);
            Optional(w, "workload", name);
            Optional(w, "node", pod.NodeName);
            Optional(w, "serviceAccount", pod.ServiceAccount);
        }
        else
        {
            Optional(w, "workloadKind", reported.WorkloadKind);
            Optional(w, "workload", reported.Workload);
            Optional(w, "node", resolved?.Node ?? reported.Node);
        }
        if (resolved?.Reason is { } reason)
        {
            w.WriteString("reason", reason);
        }
        Optional(w, "service", reported.Service);
        if (reported.Identity is { } identity)
        {
            w.WriteNumber("identity", identity);
        }
        if (reported.Names is { Count: > 0 } names)
        {
            w.WriteStartArray("names");
            foreach (var name in names)
            {
                w.WriteStringValue(EntrySlots.Safe(name));
            }
            w.WriteEndArray();
        }
        if (at is { InventoryEntry: >= 0 })
        {
            w.WriteNumber("inventory", at.InventoryEntry);
        }
        if (at is not null && resolved?.IP is { } address && cluster!.UncertainWindow(address) is { } window)
        {
            // The pod may have left the address already: the history knows its end only within this window.
            w.WriteStartObject("uncertain");
            w.WriteString("after", new Timestamp(window.From, 9).ToString());
            w.WriteString("until", new Timestamp(window.To, 9).ToString());
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.Flush();
        return fragments.Intern(_buffer.WrittenSpan);
    }

    private byte[] DecisionJson(FlowAttribution attribution, ref FlowEntryParts parts)
    {
        // Each side is a fragment of its own: it depends on one pod's policies, so sides repeat where pairs do not.
        var d = attribution.Decision;
        if (d is not null)
        {
            parts.Ingress = Direction(d.Ingress);
            parts.Egress = Direction(d.Egress);
        }
        var key = (attribution.Verdict, attribution.Agreement, attribution.EvaluatedAsReply, attribution.Error, d?.Destination.Kind == EndpointKind.Service ? $"{d.Destination.Namespace}/{d.Destination.Name}" : null);
        if (_decisions.TryGetValue(key, out var cached))
        {
            return cached;
        }
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("verdict", attribution.Verdict.ToName());
            w.WriteString("agreement", attribution.Agreement.ToName());
            if (attribution.Decision is not null)
            {
                w.WriteString("ingress", EntrySlots.Placeholder(EntrySlots.IngressFragment));
                w.WriteString("egress", EntrySlots.Placeholder(EntrySlots.EgressFragment));
                if (key.Item5 is { } service)
                {
                    w.WriteString("service", service);
                }
            }
            else
            {
                w.WriteNull("ingress");
                w.WriteNull("egress");
            }
            if (attribution.Error is not null)
            {
                w.WriteString("error", attribution.Error);
            }
            if (attribution.EvaluatedAsReply)
            {
                w.WriteString("evaluated", "reply: decided as the connection it answers");
            }
            w.WriteEndObject();
        }
        var json = buffer.WrittenSpan.ToArray();
        if (_decisions.Count >= 1 << 12)
        {
            _decisions.Clear();
        }
        _decisions[key] = json;
        return json;
    }

    private uint Direction(DirectionDecision direction)
    {
        if (_directions.TryGetValue(direction, out var id))
        {
            return id;
        }
        var w = Begin();
        DecisionJsonWriter.WriteDirection(w, direction);
        w.Flush();
        id = fragments.Intern(_buffer.WrittenSpan);
        if (_directions.Count >= 1 << 16)
        {
            _directions.Clear();
        }
        _directions[direction] = id;
        return id;
    }

    private static (string? Kind, string? Name) Workload(PodInfo pod)
    {
        if (pod.Owner is not { } owner)
        {
            return (null, null);
        }
        // A Deployment's pods belong to a ReplicaSet named "<deployment>-<pod-template-hash>".
        if (owner.Kind == "ReplicaSet" && pod.Labels.TryGetValue("pod-template-hash", out var hash) && owner.Name.EndsWith("-" + hash, StringComparison.Ordinal))
        {
            return ("Deployment", owner.Name[..^(hash.Length + 1)]);
        }
        return (owner.Kind, owner.Name);
    }

    private static string KindName(EndpointKind kind) => kind switch
    {
        EndpointKind.Pod => "pod",
        EndpointKind.External => "external",
        EndpointKind.HostNetworkPod => "host-network-pod",
        EndpointKind.Node => "node",
        EndpointKind.Service => "service",
        EndpointKind.Ambiguous => "ambiguous",
        _ => "unknown",
    };

    private static void Optional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, EntrySlots.Safe(value));
        }
    }

    /// <summary>The fragments of the last flow entry built with one attribution, and what they were built from.</summary>
    internal struct FlowEntryParts
    {
        // Fragment ids are those of one builder's table (null: nothing built yet).
        public EntryBuilder? Builder;
        public Endpoint? SrcResolved;
        public Endpoint? DstResolved;
        public EndpointMemo Src;
        public EndpointMemo Dst;
        public byte[]? Decision;
        public uint? Ingress;
        public uint? Egress;
        public RootShape? Shape;
        public uint Root;
    }

    internal readonly record struct EndpointMemo(EndpointKey Key, uint Id, bool Set);

    // Cluster and resolved endpoint compare by reference: both are shared objects of one compiled snapshot.
    internal readonly record struct EndpointKey(
        ClusterEpoch? Cluster, System.Net.IPAddress? IP, Endpoint? Resolved, string? Namespace, string? Pod, string? Workload, string? WorkloadKind,
        string? Node, string? Service, long? Identity, IReadOnlyList<string>? Names, char PortSlot)
    {
        public bool Equals(EndpointKey other) =>
            ReferenceEquals(Cluster, other.Cluster) && ReferenceEquals(Resolved, other.Resolved) && ReferenceEquals(Names, other.Names)
            && Equals(IP, other.IP) && Namespace == other.Namespace && Pod == other.Pod && Workload == other.Workload
            && WorkloadKind == other.WorkloadKind && Node == other.Node && Service == other.Service && Identity == other.Identity
            && PortSlot == other.PortSlot;

        public override int GetHashCode() =>
            HashCode.Combine(IP, System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Resolved), Pod, Identity, PortSlot);
    }

    // The decision JSON is one of a few cached arrays: compared by reference.
    internal readonly record struct RootShape(
        byte[] Decision, Protocol Protocol, FlowDirection Direction, bool? IsReply, (int, int)? Icmp, ReportedVerdict Verdict, string? RawVerdict,
        string? DropReason, string? Rule, byte TimeDigits, int Counters, byte? WindowStartDigits, byte? WindowEndDigits)
    {
        public bool Equals(RootShape other) =>
            ReferenceEquals(Decision, other.Decision) && Protocol == other.Protocol && Direction == other.Direction && IsReply == other.IsReply
            && Icmp == other.Icmp && Verdict == other.Verdict && RawVerdict == other.RawVerdict && DropReason == other.DropReason
            && Rule == other.Rule && TimeDigits == other.TimeDigits && Counters == other.Counters
            && WindowStartDigits == other.WindowStartDigits && WindowEndDigits == other.WindowEndDigits;

        public override int GetHashCode() =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Decision), Protocol, Direction, IsReply, Verdict, RawVerdict, DropReason, TimeDigits);
    }
}
