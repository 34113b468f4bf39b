using System.Buffers;
using System.Text.Json;
using PolicyTrail.Export.Reading;
using static PolicyTrail.Export.Mapping.JsonFields;

namespace PolicyTrail.Export.Mapping.Ocsf;

/// <summary>
/// OCSF 1.3.0 (https://schema.ocsf.io/1.3.0/classes/network_activity): a flow is a Network Activity event (class_uid
/// 4001, category_uid 4) with the security_control profile (action, disposition, firewall_rule); gaps and cluster
/// changes, which no network class describes, are Base Events (class_uid 0). docs/EXPORT.md has the table.
/// </summary>
internal sealed class OcsfMapper(ExportOptions options) : IEntryMapper
{
    /// <summary>The OCSF schema version the records claim (metadata.version).</summary>
    public const string SchemaVersion = "1.3.0";

    public string Name => "ocsf";

    public bool OctetCountingOverTcp => false;

    public void Write(ExportEntry entry, IBufferWriter<byte> output)
    {
        using var w = new Utf8JsonWriter(output, JsonFields.WriterOptions);
        var f = entry.Facts;
        w.WriteStartObject();
        if (f.IsFlow)
        {
            Flow(w, entry, f);
        }
        else
        {
            Other(w, entry, f);
        }
        w.WriteEndObject();
    }

    private void Flow(Utf8JsonWriter w, ExportEntry entry, EntryFacts f)
    {
        var (activityId, activity) = f switch
        {
            { IsReply: true } or { Count: > 1 } => (6, "Traffic"),
            { Verdict: "allow" } => (1, "Open"),
            { Verdict: "deny" } => (5, "Refuse"),
            _ => (0, "Unknown"),
        };
        w.WriteNumber("activity_id", activityId);
        w.WriteString("activity_name", activity);
        w.WriteNumber("category_uid", 4);
        w.WriteString("category_name", "Network Activity");
        w.WriteNumber("class_uid", 4001);
        w.WriteString("class_name", "Network Activity");
        w.WriteNumber("type_uid", 4001 * 100 + activityId);
        w.WriteString("type_name", $"Network Activity: {activity}");
        Severity(w, f.Severity);
        w.WriteNumber("time", Millis(f.TimeNanos));
        w.WriteString("message", f.Summary);
        var (actionId, action, dispositionId, disposition, statusId, status) = f.Verdict switch
        {
            "allow" => (1, "Allowed", 1, "Allowed", 1, "Success"),
            "deny" => (2, "Denied", 2, "Blocked", 2, "Failure"),
            _ => (0, "Unknown", 0, "Unknown", 0, "Unknown"),
        };
        w.WriteNumber("action_id", actionId);
        w.WriteString("action", action);
        w.WriteNumber("disposition_id", dispositionId);
        w.WriteString("disposition", disposition);
        w.WriteNumber("status_id", statusId);
        w.WriteString("status", status);
        Opt(w, "status_detail", f.Reason);
        Metadata(w, entry, f, ["security_control"]);
        Endpoint(w, "src_endpoint", f.Src!);
        Endpoint(w, "dst_endpoint", f.Dst!);
        w.WriteStartObject("connection_info");
        var (number, name) = Protocol(f.Protocol);
        Opt(w, "protocol_num", number);
        Opt(w, "protocol_name", name);
        var (directionId, direction) = f.Direction switch
        {
            "ingress" => (1, "Inbound"),
            "egress" => (2, "Outbound"),
            _ => (0, "Unknown"),
        };
        w.WriteNumber("direction_id", directionId);
        w.WriteString("direction", direction);
        if (f.Src?.Ip is { } ip)
        {
            w.WriteNumber("protocol_ver_id", ip.Contains(':', StringComparison.Ordinal) ? 6 : 4);
        }
        w.WriteEndObject();
        if (f.Packets is not null || f.Bytes is not null)
        {
            w.WriteStartObject("traffic");
            Opt(w, "packets", f.Packets);
            Opt(w, "bytes", f.Bytes);
            w.WriteEndObject();
        }
        if (f.Count is { } count)
        {
            w.WriteNumber("count", count);
        }
        if (f.Policy is { } p)
        {
            w.WriteStartObject("firewall_rule");
            w.WriteString("name", p.Name);
            w.WriteString("uid", p.RuleId);
            w.WriteString("type", p.Kind);
            Opt(w, "version", p.ResourceVersion);
            w.WriteString("desc", p.Display);
            w.WriteEndObject();
            // The class's place for "the policy behind the outcome": an Authorization Result {decision, policy}.
            w.WriteStartArray("authorizations");
            w.WriteStartObject();
            w.WriteString("decision", f.Verdict);
            w.WriteStartObject("policy");
            w.WriteString("name", p.Name);
            w.WriteString("uid", p.RuleId);
            Opt(w, "version", p.ResourceVersion);
            w.WriteString("desc", $"{p.Side}: {p.Display}");
            w.WriteBoolean("is_applied", true);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
        }
        Unmapped(w, entry, f);
    }

    private void Other(Utf8JsonWriter w, ExportEntry entry, EntryFacts f)
    {
        // Base Event: activity 99 (Other) with the entry kind as activity_name; type_uid = class_uid * 100 + activity_id.
        w.WriteNumber("activity_id", 99);
        w.WriteString("activity_name", f.Kind);
        w.WriteNumber("category_uid", 0);
        w.WriteString("category_name", "Uncategorized");
        w.WriteNumber("class_uid", 0);
        w.WriteString("class_name", "Base Event");
        w.WriteNumber("type_uid", 99);
        w.WriteString("type_name", "Base Event: Other");
        Severity(w, f.Severity);
        w.WriteNumber("time", Millis(f.TimeNanos));
        w.WriteString("message", f.Summary);
        w.WriteNumber("status_id", 0);
        Metadata(w, entry, f, []);
        Unmapped(w, entry, f);
    }

    private static void Severity(Utf8JsonWriter w, ExportSeverity severity)
    {
        // OCSF severity_id: 0 Unknown, 1 Informational, 2 Low, 3 Medium, 4 High.
        w.WriteNumber("severity_id", (int)severity);
        w.WriteString("severity", severity.ToString());
    }

    private void Metadata(Utf8JsonWriter w, ExportEntry entry, EntryFacts f, string[] profiles)
    {
        w.WriteStartObject("metadata");
        w.WriteString("version", SchemaVersion);
        w.WriteStartObject("product");
        w.WriteString("name", ProductInfo.Name);
        w.WriteString("vendor_name", ProductInfo.Name);
        w.WriteString("version", options.ProductVersion);
        w.WriteEndObject();
        // The leaf hash names the entry in any log; the index is its place in this log (metadata.sequence).
        w.WriteString("uid", entry.LeafHash);
        w.WriteNumber("sequence", entry.Index);
        Opt(w, "log_name", options.LogOrigin);
        w.WriteString("log_provider", ProductInfo.Name);
        w.WriteString("original_time", f.TimeText);
        if (f.ObservedAtNanos is { } observed)
        {
            w.WriteNumber("logged_time", Millis(observed));
        }
        if (profiles.Length > 0)
        {
            w.WriteStartArray("profiles");
            foreach (var profile in profiles)
            {
                w.WriteStringValue(profile);
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void Endpoint(Utf8JsonWriter w, string name, EndpointFacts e)
    {
        w.WriteStartObject(name);
        Opt(w, "ip", e.Ip);
        Opt(w, "port", e.Port);
        Opt(w, "name", e.PodName);
        Opt(w, "uid", e.PodUid);
        Opt(w, "svc_name", e.Service);
        if (e.Kind is not null)
        {
            // network_endpoint.type_id has no value for a pod or a Service: 99 (Other) with our kind as the caption.
            w.WriteNumber("type_id", 99);
            w.WriteString("type", e.Kind);
        }
        w.WriteEndObject();
    }

    private static void Unmapped(Utf8JsonWriter w, ExportEntry entry, EntryFacts f)
    {
        // OCSF's place for source data the schema has no attribute for; here, what proving and auditing need.
        w.WriteStartObject("unmapped");
        w.WriteStartObject("policytrail");
        w.WriteNumber("index", entry.Index);
        w.WriteString("entry_hash", entry.LeafHash);
        w.WriteString("kind", f.Kind);
        Opt(w, "verdict", f.Verdict);
        Opt(w, "agreement", f.Agreement);
        Opt(w, "reported_verdict", f.ReportedVerdict);
        if (f.ReportedPolicies.Count > 0)
        {
            w.WriteStartArray("reported_policies");
            foreach (var policy in f.ReportedPolicies)
            {
                w.WriteStringValue(policy);
            }
            w.WriteEndArray();
        }
        Opt(w, "drop_reason", f.DropReason);
        Opt(w, "decided_by_side", f.Policy?.Side);
        Opt(w, "rule", f.Policy?.Rule);
        if (f.Src is { } src)
        {
            EndpointExtras(w, "src", src);
        }
        if (f.Dst is { } dst)
        {
            EndpointExtras(w, "dst", dst);
        }
        Opt(w, "reason", f.Reason);
        Opt(w, "change_type", f.ChangeType);
        Opt(w, "object_kind", f.ObjectKind);
        Opt(w, "object_namespace", f.ObjectNamespace);
        Opt(w, "object_name", f.ObjectName);
        Opt(w, "user", f.User);
        Opt(w, "source_format", f.SourceFormat);
        Opt(w, "source_file", f.SourceFile);
        Opt(w, "source_line", f.SourceLine);
        Opt(w, "source_node", f.SourceNode);
        Opt(w, "source_sha256", f.SourceSha256);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void EndpointExtras(Utf8JsonWriter w, string prefix, EndpointFacts e)
    {
        Opt(w, prefix + "_namespace", e.Namespace);
        Opt(w, prefix + "_workload", e.Workload);
        Opt(w, prefix + "_workload_kind", e.WorkloadKind);
        Opt(w, prefix + "_node", e.Node);
    }
}
