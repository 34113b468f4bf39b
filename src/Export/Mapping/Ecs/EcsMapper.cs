using System.Buffers;
using System.Text.Json;
using PolicyTrail.Export.Reading;
using static PolicyTrail.Export.Mapping.JsonFields;

namespace PolicyTrail.Export.Mapping.Ecs;

/// <summary>
/// Elastic Common Schema 8.17 (https://www.elastic.co/guide/en/ecs/8.17/ecs-field-reference.html): one JSON document
/// per entry. Flows are event.category network; gaps and changes are configuration/pipeline events. Kubernetes
/// identity goes to orchestrator.* (the destination, the workload that was accessed) and labels (both sides); what ECS
/// has no field for lives under the custom "policytrail" object. docs/EXPORT.md has the table.
/// </summary>
internal sealed class EcsMapper(ExportOptions options) : IEntryMapper
{
    /// <summary>The ECS version the documents claim (ecs.version).</summary>
    public const string EcsVersion = "8.17.0";

    public string Name => "ecs";

    public bool OctetCountingOverTcp => false;

    public void Write(ExportEntry entry, IBufferWriter<byte> output)
    {
        using var w = new Utf8JsonWriter(output, JsonFields.WriterOptions);
        var f = entry.Facts;
        w.WriteStartObject();
        // Elasticsearch date fields keep milliseconds; the full-precision source time is policytrail.time.
        w.WriteString("@timestamp", Rfc3339(f.TimeNanos, 3));
        w.WriteString("message", f.Summary);
        w.WriteStartObject("ecs");
        w.WriteString("version", EcsVersion);
        w.WriteEndObject();
        w.WriteStartObject("agent");
        w.WriteString("type", "policytrail");
        w.WriteString("name", "policytrail");
        w.WriteString("version", options.ProductVersion);
        w.WriteEndObject();
        Event(w, entry, f);
        if (f.User is not null)
        {
            w.WriteStartObject("user");
            w.WriteString("name", f.User);
            w.WriteEndObject();
        }
        if (f.IsFlow)
        {
            Flow(w, f);
        }
        Labels(w, entry, f);
        Custom(w, entry, f);
        w.WriteEndObject();
    }

    private static void Event(Utf8JsonWriter w, ExportEntry entry, EntryFacts f)
    {
        w.WriteStartObject("event");
        string kind, category, action, outcome;
        string[] types;
        switch (f.Kind)
        {
            case "flow":
                (kind, category) = ("event", "network");
                (types, action, outcome) = f.Verdict switch
                {
                    "allow" => (new[] { "connection", "allowed" }, "connection-allowed", "success"),
                    "deny" => (["connection", "denied"], "connection-denied", "failure"),
                    _ => (["connection"], "connection-undecided", "unknown"),
                };
                break;
            case "gap":
                // A source lost events: a problem of the collection pipeline, recorded so that coverage is provable.
                (kind, category, types, action, outcome) = ("pipeline_error", "configuration", ["info"], "gap", "unknown");
                break;
            default:
                (kind, category, action, outcome) = ("event", "configuration", f.Kind, "success");
                types = [f.ChangeType switch { "added" => "creation", "deleted" => "deletion", "modified" => "change", _ => "info" }];
                break;
        }
        w.WriteString("kind", kind);
        w.WriteStartArray("category");
        w.WriteStringValue(category);
        w.WriteEndArray();
        w.WriteStartArray("type");
        foreach (var type in types)
        {
            w.WriteStringValue(type);
        }
        w.WriteEndArray();
        w.WriteString("action", action);
        w.WriteString("outcome", outcome);
        w.WriteNumber("severity", (int)f.Severity);
        // event.id identifies the entry anywhere; event.hash is ECS's field for demonstrating log integrity; event.sequence
        // is the index in the log.
        w.WriteString("id", entry.LeafHash);
        w.WriteString("hash", entry.LeafHash);
        w.WriteNumber("sequence", entry.Index);
        w.WriteString("module", "policytrail");
        w.WriteString("dataset", "policytrail." + f.Kind);
        Opt(w, "provider", f.SourceFormat);
        Opt(w, "reason", f.Reason);
        if (f.ObservedAtNanos is { } observed)
        {
            w.WriteString("created", Rfc3339(observed, 3));
        }
        w.WriteEndObject();
    }

    private static void Flow(Utf8JsonWriter w, EntryFacts f)
    {
        Endpoint(w, "source", f.Src!);
        Endpoint(w, "destination", f.Dst!);
        w.WriteStartObject("network");
        var (number, name) = Protocol(f.Protocol);
        Opt(w, "transport", name);
        Opt(w, "iana_number", number?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (f.Src?.Ip is { } ip)
        {
            w.WriteString("type", ip.Contains(':', StringComparison.Ordinal) ? "ipv6" : "ipv4");
        }
        w.WriteString("direction", f.Direction is "ingress" or "egress" ? f.Direction : "unknown");
        Opt(w, "packets", f.Packets);
        Opt(w, "bytes", f.Bytes);
        w.WriteEndObject();
        if (f.Policy is { } p)
        {
            w.WriteStartObject("rule");
            w.WriteString("name", p.Name);
            w.WriteString("id", p.RuleId);
            w.WriteString("ruleset", p.Kind);
            Opt(w, "version", p.ResourceVersion);
            w.WriteString("description", $"{p.Side}: {p.Display}");
            w.WriteEndObject();
        }
        if (f.Dst is { Pod: not null } dst)
        {
            w.WriteStartObject("orchestrator");
            w.WriteString("type", "kubernetes");
            Opt(w, "namespace", dst.Namespace);
            w.WriteStartObject("resource");
            w.WriteString("type", "pod");
            w.WriteString("name", dst.Pod);
            Opt(w, "id", dst.PodUid);
            Opt(w, "ip", dst.Ip);
            if (dst.WorkloadKind is not null)
            {
                w.WriteStartObject("parent");
                w.WriteString("type", dst.WorkloadKind);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        if (f.SourceNode is not null)
        {
            w.WriteStartObject("observer");
            w.WriteString("hostname", f.SourceNode);
            w.WriteEndObject();
        }
        w.WriteStartObject("related");
        w.WriteStartArray("ip");
        foreach (var address in new[] { f.Src?.Ip, f.Dst?.Ip }.Where(x => x is not null).Distinct())
        {
            w.WriteStringValue(address);
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Endpoint(Utf8JsonWriter w, string name, EndpointFacts e)
    {
        w.WriteStartObject(name);
        Opt(w, "ip", e.Ip);
        Opt(w, "address", e.Ip);
        Opt(w, "port", e.Port);
        w.WriteEndObject();
    }

    private static void Labels(Utf8JsonWriter w, ExportEntry entry, EntryFacts f)
    {
        // ECS labels: flat keyword values, no dots in keys; what a SIEM filters on without knowing our custom fields.
        w.WriteStartObject("labels");
        w.WriteString("policytrail_index", entry.Index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("policytrail_kind", f.Kind);
        Opt(w, "verdict", f.Verdict);
        Opt(w, "agreement", f.Agreement);
        Opt(w, "cni_verdict", f.ReportedVerdict);
        Opt(w, "src_namespace", f.Src?.Namespace);
        Opt(w, "src_pod", f.Src?.Pod);
        Opt(w, "src_workload", f.Src?.Workload);
        Opt(w, "dst_namespace", f.Dst?.Namespace);
        Opt(w, "dst_pod", f.Dst?.Pod);
        Opt(w, "dst_workload", f.Dst?.Workload);
        Opt(w, "dst_service", f.Dst?.Service);
        w.WriteEndObject();
    }

    private static void Custom(Utf8JsonWriter w, ExportEntry entry, EntryFacts f)
    {
        w.WriteStartObject("policytrail");
        w.WriteStartObject("ledger");
        w.WriteNumber("index", entry.Index);
        w.WriteString("entry_hash", entry.LeafHash);
        w.WriteEndObject();
        w.WriteString("kind", f.Kind);
        w.WriteString("time", f.TimeText);
        Opt(w, "count", f.Count);
        Opt(w, "is_reply", f.IsReply);
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
        Opt(w, "change_type", f.ChangeType);
        Opt(w, "object_kind", f.ObjectKind);
        Opt(w, "object_namespace", f.ObjectNamespace);
        Opt(w, "object_name", f.ObjectName);
        Opt(w, "user", f.User);
        if (f.SourceFile is not null || f.SourceSha256 is not null)
        {
            w.WriteStartObject("source");
            Opt(w, "format", f.SourceFormat);
            Opt(w, "file", f.SourceFile);
            Opt(w, "line", f.SourceLine);
            Opt(w, "sha256", f.SourceSha256);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }
}
