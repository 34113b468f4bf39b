using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Pipeline;

namespace PolicyTrail.Sources.Output;

/// <summary>
/// Writes normalized records in the shape `policytrail parse -o jsonl` promises: kind, time (RFC 3339 UTC), src and dst
/// (ip, port, namespace, pod always present, null when unknown), protocol, reported (verdict, policies), source
/// (format, file, line) and, for aggregated sources, count.
/// </summary>
public static class RecordJsonWriter
{
    /// <summary>Writes one record as a JSON object.</summary>
    public static void Write(Utf8JsonWriter w, NormalizedRecord record)
    {
        w.WriteStartObject();
        switch (record)
        {
            case FlowRecord flow:
                WriteFlow(w, flow);
                break;
            case PolicyChangeRecord change:
                WritePolicyChange(w, change);
                break;
            case GapRecord gap:
                w.WriteString("kind", "gap");
                w.WriteString("time", gap.Time.ToString());
                if (gap.End is { } end)
                {
                    w.WriteString("end", end.ToString());
                }
                w.WriteString("reason", gap.Reason);
                if (gap.Lost is { } lost)
                {
                    w.WriteNumber("lost", lost);
                }
                WriteSource(w, gap.Source);
                break;
        }
        w.WriteEndObject();
    }

    /// <summary>Writes one rejected line: file, line, format, reason, raw.</summary>
    public static void WriteReject(Utf8JsonWriter w, RejectedRecord reject)
    {
        w.WriteStartObject();
        w.WriteString("file", reject.File);
        w.WriteNumber("line", reject.Line);
        w.WriteString("format", reject.Format);
        w.WriteString("reason", reject.Reason);
        w.WriteString("raw", reject.Raw);
        w.WriteEndObject();
    }

    private static void WritePolicyChange(Utf8JsonWriter w, PolicyChangeRecord c)
    {
        w.WriteString("kind", "policy-change");
        w.WriteString("time", c.Time.ToString());
        w.WriteString("verb", c.Verb);
        WriteOptional(w, "apiGroup", c.ApiGroup);
        WriteOptional(w, "apiVersion", c.ApiVersion);
        w.WriteString("resource", c.Resource);
        w.WriteString("namespace", c.Namespace);
        w.WriteString("name", c.Name);
        w.WriteString("user", c.User);
        if (c.UserGroups.Count > 0)
        {
            w.WriteStartArray("userGroups");
            foreach (var g in c.UserGroups)
            {
                w.WriteStringValue(g);
            }
            w.WriteEndArray();
        }
        WriteOptional(w, "impersonatedUser", c.ImpersonatedUser);
        if (c.ResponseCode is { } code)
        {
            w.WriteNumber("responseCode", code);
        }
        w.WriteBoolean("succeeded", c.Succeeded);
        WriteOptional(w, "auditId", c.AuditId);
        WriteOptional(w, "stage", c.Stage);
        WriteOptional(w, "resourceVersion", c.ResourceVersion);
        if (c.ObjectJson is not null)
        {
            w.WritePropertyName("object");
            w.WriteRawValue(c.ObjectJson, skipInputValidation: false);
        }
        WriteSource(w, c.Source);
    }

    private static void WriteFlow(Utf8JsonWriter w, FlowRecord flow)
    {
        w.WriteString("kind", "flow");
        w.WriteString("time", flow.Time.ToString());
        w.WritePropertyName("src");
        WriteEndpoint(w, flow.Src);
        w.WritePropertyName("dst");
        WriteEndpoint(w, flow.Dst);
        WriteConnection(w, flow);
        w.WritePropertyName("reported");
        WriteReported(w, flow.Reported);
        if (flow.Count is { } count)
        {
            w.WriteNumber("count", count);
        }
        if (flow.Packets is { } packets)
        {
            w.WriteNumber("packets", packets);
        }
        if (flow.Bytes is { } bytes)
        {
            w.WriteNumber("bytes", bytes);
        }
        if (flow.WindowStart is { } start)
        {
            w.WriteString("windowStart", start.ToString());
        }
        if (flow.WindowEnd is { } windowEnd)
        {
            w.WriteString("windowEnd", windowEnd.ToString());
        }
        WriteSource(w, flow.Source);
    }

    /// <summary>Writes a flow's protocol, direction, isReply and (for ICMP) icmp {type, code} into the current object.</summary>
    public static void WriteConnection(Utf8JsonWriter w, FlowRecord flow)
    {
        if (flow.Protocol == Protocol.Unknown)
        {
            w.WriteNull("protocol");
        }
        else
        {
            w.WriteString("protocol", flow.Protocol.ToName());
        }
        w.WriteString("direction", flow.Direction.ToName());
        if (flow.IsReply is { } reply)
        {
            w.WriteBoolean("isReply", reply);
        }
        else
        {
            w.WriteNull("isReply");
        }
        if (flow.Icmp is { } icmp)
        {
            w.WriteStartObject("icmp");
            w.WriteNumber("type", icmp.Type);
            w.WriteNumber("code", icmp.Code);
            w.WriteEndObject();
        }
    }

    /// <summary>Writes the "reported" object (verdict, rawVerdict, policies, dropReason, rule, hits); <paramref name="text"/> may rewrite every string value.</summary>
    public static void WriteReported(Utf8JsonWriter w, ReportedOutcome reported, Func<string?, string?>? text = null)
    {
        text ??= static s => s;
        w.WriteStartObject();
        w.WriteString("verdict", reported.Verdict.ToName());
        if (reported.RawVerdict is not null)
        {
            w.WriteString("rawVerdict", text(reported.RawVerdict));
        }
        w.WriteStartArray("policies");
        foreach (var policy in reported.Policies)
        {
            w.WriteStringValue(text(policy));
        }
        w.WriteEndArray();
        if (reported.DropReason is not null)
        {
            w.WriteString("dropReason", text(reported.DropReason));
        }
        if (reported.Rule is not null)
        {
            w.WriteString("rule", text(reported.Rule));
        }
        if (reported.Hits is { Count: > 0 } hits)
        {
            w.WriteStartArray("hits");
            foreach (var hit in hits)
            {
                w.WriteStartObject();
                WriteOptional(w, "kind", text(hit.Kind));
                WriteOptional(w, "namespace", text(hit.Namespace));
                w.WriteString("name", text(hit.Name));
                WriteOptional(w, "tier", text(hit.Tier));
                if (hit.RuleIndex is { } index)
                {
                    w.WriteNumber("ruleIndex", index);
                }
                WriteOptional(w, "ruleName", text(hit.RuleName));
                WriteOptional(w, "action", text(hit.Action));
                WriteOptional(w, "direction", text(hit.Direction));
                WriteOptional(w, "revision", text(hit.Revision));
                if (hit.Pending is { } pending)
                {
                    w.WriteBoolean("pending", pending);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void WriteEndpoint(Utf8JsonWriter w, FlowEndpoint e)
    {
        w.WriteStartObject();
        if (e.IP is null)
        {
            w.WriteNull("ip");
        }
        else
        {
            w.WriteString("ip", e.IP.ToString());
        }
        if (e.Port is { } port)
        {
            w.WriteNumber("port", port);
        }
        else
        {
            w.WriteNull("port");
        }
        w.WriteString("namespace", e.Namespace);
        w.WriteString("pod", e.Pod);
        WriteOptional(w, "workload", e.Workload);
        WriteOptional(w, "workloadKind", e.WorkloadKind);
        WriteOptional(w, "node", e.Node);
        WriteOptional(w, "service", e.Service);
        if (e.Identity is { } identity)
        {
            w.WriteNumber("identity", identity);
        }
        if (e.Labels is { Count: > 0 } labels)
        {
            w.WriteStartObject("labels");
            foreach (var (key, value) in labels)
            {
                w.WriteString(key, value);
            }
            w.WriteEndObject();
        }
        if (e.Names is { Count: > 0 } names)
        {
            w.WriteStartArray("names");
            foreach (var name in names)
            {
                w.WriteStringValue(name);
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void WriteSource(Utf8JsonWriter w, SourceRef source)
    {
        w.WriteStartObject("source");
        w.WriteString("format", source.Format);
        w.WriteString("file", source.File);
        w.WriteNumber("line", source.Line);
        WriteOptional(w, "node", source.Node);
        if (source.Sha256Digest is { Length: 32 } digest)
        {
            // The hex straight into the output, without a string per record.
            Span<char> hex = stackalloc char[64];
            Convert.TryToHexStringLower(digest.Span, hex, out _);
            w.WriteString("sha256", hex);
        }
        else
        {
            WriteOptional(w, "sha256", source.Sha256);
        }
        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }
}
