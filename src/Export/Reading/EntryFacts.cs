using System.Globalization;
using System.Text.Json;
using PolicyTrail.Core.Flows;

namespace PolicyTrail.Export.Reading;

/// <summary>How much attention an exported record asks for; each format maps it to its own scale.</summary>
internal enum ExportSeverity
{
    /// <summary>Not known.</summary>
    Unknown = 0,
    /// <summary>An allowed connection, an inventory change: normal operation.</summary>
    Informational,
    /// <summary>A connection PolicyTrail could not decide, a policy change.</summary>
    Low,
    /// <summary>A denied connection, a gap in what a source saw.</summary>
    Medium,
    /// <summary>PolicyTrail's verdict disagrees with the CNI's: enforcement differs from the policies.</summary>
    High,
}

/// <summary>One side of a connection as a flow entry names it (docs/VERIFYING.md §7).</summary>
internal sealed record EndpointFacts(string? Ip, int? Port, string? Namespace, string? Pod, string? PodUid, string? Workload, string? WorkloadKind, string? Node, string? Service, string? Kind)
{
    /// <summary>namespace/pod, the service, or the address.</summary>
    public string Display => Pod is not null ? $"{Namespace}/{Pod}" : Service is not null ? $"{Namespace}/{Service}" : Ip ?? "?";

    /// <summary>namespace/pod when the endpoint is a pod.</summary>
    public string? PodName => Pod is null ? null : $"{Namespace}/{Pod}";

    public static EndpointFacts Of(JsonElement e) => new(
        EntryFacts.Str(e, "ip"), (int?)EntryFacts.Num(e, "port"), EntryFacts.Str(e, "namespace"), EntryFacts.Str(e, "pod"),
        EntryFacts.Str(e, "podUid"), EntryFacts.Str(e, "workload"), EntryFacts.Str(e, "workloadKind"), EntryFacts.Str(e, "node"),
        EntryFacts.Str(e, "service"), EntryFacts.Str(e, "kind"));
}

/// <summary>
/// The policy that decided a flow, as one name: the rule that allowed it, the admin rule that decided it, or the
/// isolating policies of a default deny (<see cref="DefaultDeny"/>).
/// </summary>
internal sealed record DecidingPolicy(string Side, string Name, string Kind, string? ResourceVersion, long? Rule, string? Action, bool DefaultDeny)
{
    /// <summary>"payments/api-ingress rule 0", "payments/default-deny (default deny)".</summary>
    public string Display => DefaultDeny ? $"{Name} (default deny)" : Rule is { } r ? $"{Name} rule {r.ToString(CultureInfo.InvariantCulture)}" : Name;

    /// <summary>A stable id of the rule: "NetworkPolicy payments/api-ingress#0".</summary>
    public string RuleId => Rule is { } r ? $"{Kind} {Name}#{r.ToString(CultureInfo.InvariantCulture)}" : $"{Kind} {Name}";
}

/// <summary>
/// The fields of a ledger entry that exports map, read from its JSON once. Non-flow entries (gap, policy-change,
/// inventory-change) fill <see cref="Summary"/> and the change fields; flow fields are then null.
/// </summary>
internal sealed record EntryFacts
{
    public required string Kind { get; init; }
    public required long TimeNanos { get; init; }
    public required string TimeText { get; init; }
    public long? ObservedAtNanos { get; init; }
    public EndpointFacts? Src { get; init; }
    public EndpointFacts? Dst { get; init; }
    public string? Protocol { get; init; }
    public string? Direction { get; init; }
    public bool? IsReply { get; init; }
    public string? ReportedVerdict { get; init; }
    public IReadOnlyList<string> ReportedPolicies { get; init; } = [];
    public string? DropReason { get; init; }
    public string? Verdict { get; init; }
    public string? Agreement { get; init; }
    public DecidingPolicy? Policy { get; init; }
    public long? Count { get; init; }
    public long? Packets { get; init; }
    public long? Bytes { get; init; }
    public string? SourceFormat { get; init; }
    public string? SourceFile { get; init; }
    public long? SourceLine { get; init; }
    public string? SourceNode { get; init; }
    public string? SourceSha256 { get; init; }
    public string? Reason { get; init; }
    public string? ChangeType { get; init; }
    public string? ObjectKind { get; init; }
    public string? ObjectNamespace { get; init; }
    public string? ObjectName { get; init; }
    public string? User { get; init; }
    public required string Summary { get; init; }
    public required ExportSeverity Severity { get; init; }

    public bool IsFlow => Kind == "flow";

    /// <summary>Reads an entry (any kind).</summary>
    public static EntryFacts Of(JsonElement e)
    {
        var kind = Str(e, "kind") ?? "unknown";
        var timeText = Str(e, "time") ?? "";
        var time = Timestamp.TryParseRfc3339(timeText, out var t) ? t.UnixNanos : 0;
        long? observed = Str(e, "observedAt") is { } o && Timestamp.TryParseRfc3339(o, out var ot) ? ot.UnixNanos : null;
        var source = Obj(e, "source");
        var common = (Kind: kind, Time: time, Text: timeText, Observed: observed);
        if (kind == "flow")
        {
            return Flow(e, common.Time, common.Text, common.Observed, source);
        }
        var change = Obj(e, "change");
        var snapshot = Obj(e, "snapshot");
        string? changeType = Str(change, "type"), objectKind = Str(change, "objectKind"), ns = Str(change, "namespace"), name = Str(change, "name");
        string? user = Str(change, "user") ?? Str(e, "user");
        string summary;
        ExportSeverity severity;
        string? reason = Str(e, "reason");
        switch (kind)
        {
            case "gap":
                var lost = Num(e, "lost");
                summary = $"gap: {reason ?? "events not seen"}{(lost is { } l ? $" ({l.ToString(CultureInfo.InvariantCulture)} lost)" : "")}";
                severity = ExportSeverity.Medium;
                break;
            case "policy-change" or "inventory-change" when change.ValueKind == JsonValueKind.Object:
                summary = $"{kind}: {changeType} {objectKind} {(ns is null ? name : $"{ns}/{name}")}{(user is null ? "" : $" by {user}")}";
                severity = kind == "policy-change" ? ExportSeverity.Low : ExportSeverity.Informational;
                break;
            case "inventory-change" when snapshot.ValueKind == JsonValueKind.Object:
                summary = $"inventory-change: cluster snapshot {Str(snapshot, "name")} (sha256 {Str(snapshot, "sha256")})";
                severity = ExportSeverity.Informational;
                objectKind = "snapshot";
                name = Str(snapshot, "name");
                break;
            default:
                // An audit-log record that changed nothing followed (verb, resource, namespace, name, user).
                (objectKind, ns, name) = (Str(e, "resource") ?? objectKind, Str(e, "namespace") ?? ns, Str(e, "name") ?? name);
                changeType = Str(e, "verb") ?? changeType;
                summary = $"{kind}: {changeType} {objectKind} {(ns is null ? name : $"{ns}/{name}")}{(user is null ? "" : $" by {user}")}";
                severity = kind == "policy-change" ? ExportSeverity.Low : ExportSeverity.Informational;
                break;
        }
        return new EntryFacts
        {
            Kind = kind,
            TimeNanos = time,
            TimeText = timeText,
            ObservedAtNanos = observed,
            SourceFormat = Str(source, "format"),
            SourceFile = Str(source, "file") ?? Str(source, "origin"),
            SourceLine = Num(source, "line"),
            SourceNode = Str(source, "node"),
            SourceSha256 = Str(source, "sha256") ?? Str(e, "sha256"),
            Reason = reason,
            ChangeType = changeType,
            ObjectKind = objectKind,
            ObjectNamespace = ns,
            ObjectName = name,
            User = user,
            Summary = summary,
            Severity = severity,
        };
    }

    private static EntryFacts Flow(JsonElement e, long time, string timeText, long? observed, JsonElement source)
    {
        var src = EndpointFacts.Of(Obj(e, "src"));
        var dst = EndpointFacts.Of(Obj(e, "dst"));
        var reported = Obj(e, "reported");
        var decision = Obj(e, "decision");
        var verdict = Str(decision, "verdict");
        var agreement = Str(decision, "agreement");
        var policy = Deciding(decision, verdict);
        var protocol = Str(e, "protocol");
        var severity = agreement == "disagree" ? ExportSeverity.High
            : verdict switch { "allow" => ExportSeverity.Informational, "deny" => ExportSeverity.Medium, _ => ExportSeverity.Low };
        var dropReason = Str(reported, "dropReason");
        var why = policy?.Display ?? (verdict == "allow" ? "not isolated" : Str(decision, "error"));
        var summary = $"{verdict ?? "unknown"} {protocol ?? "?"} {src.Display}{PortText(src.Port)} -> {dst.Display}{PortText(dst.Port)}"
            + (why is null ? "" : $" ({(policy is null ? "" : policy.Side + ": ")}{why})")
            + (agreement == "disagree" ? $"; CNI said {Str(reported, "verdict")}" : "");
        return new EntryFacts
        {
            Kind = "flow",
            TimeNanos = time,
            TimeText = timeText,
            ObservedAtNanos = observed,
            Src = src,
            Dst = dst,
            Protocol = protocol,
            Direction = Str(e, "direction"),
            IsReply = e.TryGetProperty("isReply", out var r) && r.ValueKind is JsonValueKind.True or JsonValueKind.False ? r.GetBoolean() : null,
            ReportedVerdict = Str(reported, "verdict"),
            ReportedPolicies = Strings(reported, "policies"),
            DropReason = dropReason,
            Verdict = verdict,
            Agreement = agreement,
            Policy = policy,
            Count = Num(e, "count"),
            Packets = Num(e, "packets"),
            Bytes = Num(e, "bytes"),
            SourceFormat = Str(source, "format"),
            SourceFile = Str(source, "file"),
            SourceLine = Num(source, "line"),
            SourceNode = Str(source, "node"),
            SourceSha256 = Str(source, "sha256"),
            Reason = policy is { DefaultDeny: true } ? "default deny" : dropReason,
            Summary = summary,
            Severity = severity,
        };
    }

    /// <summary>
    /// The side and policy that decided: for a deny, the first side that denied (a connection needs the source's egress
    /// and the destination's ingress); for an allow, the rule that allowed ingress, else egress.
    /// </summary>
    private static DecidingPolicy? Deciding(JsonElement decision, string? verdict)
    {
        string[] sides = verdict == "deny" ? ["egress", "ingress"] : ["ingress", "egress"];
        foreach (var side in sides)
        {
            var d = Obj(decision, side);
            if (d.ValueKind != JsonValueKind.Object || (verdict == "deny" && Str(d, "verdict") != "deny"))
            {
                continue;
            }
            var by = Obj(d, "decidedBy");
            if (by.ValueKind == JsonValueKind.Object && Str(by, "name") is { } admin)
            {
                return new DecidingPolicy(side, admin, Str(by, "kind") ?? "AdminNetworkPolicy", Str(by, "resourceVersion"), Num(by, "rule"), Str(by, "action"), false);
            }
            if (verdict == "deny")
            {
                var isolating = Strings(d, "selectedBy");
                if (isolating.Count > 0)
                {
                    return new DecidingPolicy(side, string.Join(",", isolating), "NetworkPolicy", null, null, "Deny", true);
                }
                continue;
            }
            var allowed = Obj(d, "allowedBy");
            if (allowed.ValueKind == JsonValueKind.Array && allowed.GetArrayLength() > 0 && Str(allowed[0], "policy") is { } name)
            {
                return new DecidingPolicy(side, name, "NetworkPolicy", Str(allowed[0], "resourceVersion"), Num(allowed[0], "rule"), "Allow", false);
            }
        }
        return null;
    }

    private static string PortText(int? port) => port is { } p ? ":" + p.ToString(CultureInfo.InvariantCulture) : "";

    internal static JsonElement Obj(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) ? p : default;

    internal static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    internal static long? Num(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt64(out var v) ? v : null;

    internal static IReadOnlyList<string> Strings(JsonElement e, string name) =>
        Obj(e, name) is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToArray() : [];
}
