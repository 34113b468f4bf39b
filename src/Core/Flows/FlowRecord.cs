using System.Net;

namespace PolicyTrail.Core.Flows;

/// <summary>The verdict a CNI itself reported, in PolicyTrail's vocabulary.</summary>
public enum ReportedVerdict
{
    /// <summary>The source did not say, or said something that maps to none of the others.</summary>
    Unknown = 0,
    /// <summary>Forwarded / allowed / accepted.</summary>
    Allowed,
    /// <summary>Dropped / denied / rejected.</summary>
    Denied,
    /// <summary>Would have been denied, but the policy is in audit mode (or the event is an audit record).</summary>
    Audit,
    /// <summary>The datapath reported an error for the flow.</summary>
    Error,
}

/// <summary>The direction a source reports, relative to the endpoint that logged it.</summary>
public enum FlowDirection
{
    /// <summary>Not reported.</summary>
    Unknown = 0,
    /// <summary>Into the reporting endpoint.</summary>
    Ingress,
    /// <summary>Out of the reporting endpoint.</summary>
    Egress,
}

/// <summary>Contract spellings of the flow enums.</summary>
public static class FlowNames
{
    /// <summary>allowed, denied, audit, error, unknown.</summary>
    public static string ToName(this ReportedVerdict verdict) => verdict switch
    {
        ReportedVerdict.Allowed => "allowed",
        ReportedVerdict.Denied => "denied",
        ReportedVerdict.Audit => "audit",
        ReportedVerdict.Error => "error",
        _ => "unknown",
    };

    /// <summary>ingress, egress, unknown.</summary>
    public static string ToName(this FlowDirection direction) => direction switch
    {
        FlowDirection.Ingress => "ingress",
        FlowDirection.Egress => "egress",
        _ => "unknown",
    };
}

/// <summary>One end of a flow as the source described it; every field is null when the source does not say.</summary>
public sealed record FlowEndpoint
{
    /// <summary>The address.</summary>
    public IPAddress? IP { get; init; }
    /// <summary>The transport port.</summary>
    public int? Port { get; init; }
    /// <summary>The namespace.</summary>
    public string? Namespace { get; init; }
    /// <summary>The pod name.</summary>
    public string? Pod { get; init; }
    /// <summary>The workload name (Deployment, StatefulSet, ...), when the source names it.</summary>
    public string? Workload { get; init; }
    /// <summary>The workload kind, when the source names it.</summary>
    public string? WorkloadKind { get; init; }
    /// <summary>Labels the source reported (e.g. Hubble's "k8s:app=web" become app=web).</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
    /// <summary>The CNI's own identity number (Cilium security identity).</summary>
    public long? Identity { get; init; }
    /// <summary>The node, when the source names the endpoint's node.</summary>
    public string? Node { get; init; }
    /// <summary>The Kubernetes service the flow addressed ("namespace/name"), when the source says.</summary>
    public string? Service { get; init; }
    /// <summary>DNS names the source attached to the address.</summary>
    public IReadOnlyList<string>? Names { get; init; }

    /// <summary>An endpoint nothing is known of.</summary>
    public static FlowEndpoint Empty { get; } = new();
}

/// <summary>What the CNI itself said about the flow, kept verbatim beside PolicyTrail's own decision.</summary>
public sealed record ReportedOutcome
{
    /// <summary>The verdict, mapped.</summary>
    public ReportedVerdict Verdict { get; init; }
    /// <summary>The verdict word exactly as the source wrote it (e.g. "FORWARDED", "ACCEPT", "allow").</summary>
    public string? RawVerdict { get; init; }
    /// <summary>Policy names exactly as the source gave them (may be empty).</summary>
    public IReadOnlyList<string> Policies { get; init; } = [];
    /// <summary>The drop reason, verbatim.</summary>
    public string? DropReason { get; init; }
    /// <summary>Rule or ACL name when the source gives one apart from the policy.</summary>
    public string? Rule { get; init; }
    /// <summary>The same policies, structured as far as the source says (kind, tier, rule index, action...).</summary>
    public IReadOnlyList<PolicyHit>? Hits { get; init; }
}

/// <summary>One policy a source names for a flow, with whatever detail the source gives; null where it says nothing.</summary>
public sealed record PolicyHit
{
    /// <summary>Policy kind as the source names it (NetworkPolicy, CiliumNetworkPolicy, AdminNetworkPolicy, GlobalNetworkPolicy, ...).</summary>
    public string? Kind { get; init; }
    /// <summary>Namespace of a namespaced policy.</summary>
    public string? Namespace { get; init; }
    /// <summary>Policy name (without tier prefix).</summary>
    public required string Name { get; init; }
    /// <summary>Calico tier or Antrea tier.</summary>
    public string? Tier { get; init; }
    /// <summary>0-based rule index when the source gives one; -1 for Calico's end-of-tier default.</summary>
    public int? RuleIndex { get; init; }
    /// <summary>Rule name when the source gives one (Antrea).</summary>
    public string? RuleName { get; init; }
    /// <summary>The action the policy took: allow, deny, pass, log, audit...</summary>
    public string? Action { get; init; }
    /// <summary>ingress or egress, when the source says which side the policy was applied on.</summary>
    public string? Direction { get; init; }
    /// <summary>Revision or resource version, verbatim.</summary>
    public string? Revision { get; init; }
    /// <summary>Whether the hit is pending (staged/not enforced) rather than enforced (Calico).</summary>
    public bool? Pending { get; init; }
}

/// <summary>Where a record came from: format, file (or stream), line, node, and the SHA-256 of the raw record.</summary>
/// <remarks>
/// The SHA-256 is kept as it was given: the 32 bytes a source computed (hex is made only when <see cref="Sha256"/> is
/// read, which writers avoid), or the hex text a reader of stored entries has. Equality compares the digest, however
/// it is held.
/// </remarks>
public sealed record SourceRef(string Format, string File, long Line)
{
    private ReadOnlyMemory<byte> _digest;
    private string? _hex;

    /// <summary>The node that logged it, when known.</summary>
    public string? Node { get; init; }

    /// <summary>Lower-case hex SHA-256 of the raw record bytes (the line without its newline).</summary>
    public string? Sha256
    {
        get => _hex ??= _digest.Length == 32 ? Convert.ToHexStringLower(_digest.Span) : null;
        init => (_hex, _digest) = (value, default);
    }

    /// <summary>
    /// The SHA-256 as its 32 bytes when it was given as bytes (empty when it was given as hex, or not at all: then read
    /// <see cref="Sha256"/>). Sources set it and hand over the bytes: they are not copied and must not change afterwards.
    /// </summary>
    public ReadOnlyMemory<byte> Sha256Digest
    {
        get => _digest;
        init => (_digest, _hex) = (value.Length == 32 ? value : throw new ArgumentException("a SHA-256 has 32 bytes", nameof(value)), null);
    }

    /// <summary>Same format, file, line, node and SHA-256 (held as bytes or as hex).</summary>
    public bool Equals(SourceRef? other) =>
        other is not null && Format == other.Format && File == other.File && Line == other.Line && Node == other.Node
        && (_digest.Length == 32 && other._digest.Length == 32 ? _digest.Span.SequenceEqual(other._digest.Span) : Sha256 == other.Sha256);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Format, File, Line, Node);
}

/// <summary>A normalized record: a flow, or a gap (what the source says it did not see).</summary>
public abstract record NormalizedRecord
{
    /// <summary>Source event time, UTC.</summary>
    public required Timestamp Time { get; init; }
    /// <summary>Where it came from.</summary>
    public required SourceRef Source { get; init; }
}

/// <summary>One connection attempt (or an aggregate of several) as a CNI reported it.</summary>
public sealed record FlowRecord : NormalizedRecord
{
    /// <summary>Source side.</summary>
    public required FlowEndpoint Src { get; init; }
    /// <summary>Destination side.</summary>
    public required FlowEndpoint Dst { get; init; }
    /// <summary>Transport protocol.</summary>
    public Protocol Protocol { get; init; }
    /// <summary>Direction as reported.</summary>
    public FlowDirection Direction { get; init; }
    /// <summary>Whether the source marked this as a reply; null when it does not say.</summary>
    public bool? IsReply { get; init; }
    /// <summary>What the CNI said.</summary>
    public required ReportedOutcome Reported { get; init; }
    /// <summary>ICMP type and code, for ICMP flows.</summary>
    public (int Type, int Code)? Icmp { get; init; }
    /// <summary>For aggregated sources: how many flows this record stands for.</summary>
    public long? Count { get; init; }
    /// <summary>For aggregated sources: packets (both ways when the source adds them up).</summary>
    public long? Packets { get; init; }
    /// <summary>For aggregated sources: bytes.</summary>
    public long? Bytes { get; init; }
    /// <summary>For aggregated sources: the window's start.</summary>
    public Timestamp? WindowStart { get; init; }
    /// <summary>For aggregated sources: the window's end.</summary>
    public Timestamp? WindowEnd { get; init; }
}

/// <summary>A stretch of events the source says it lost (or that were rejected): coverage is provable.</summary>
public sealed record GapRecord : NormalizedRecord
{
    /// <summary>Why: e.g. "hubble lost events (PERF_EVENT_RING_BUFFER)", "rejected records".</summary>
    public required string Reason { get; init; }
    /// <summary>How many events were lost, when the source says.</summary>
    public long? Lost { get; init; }
    /// <summary>End of the gap, when known.</summary>
    public Timestamp? End { get; init; }
}
