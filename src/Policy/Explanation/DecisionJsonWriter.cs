using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;

namespace PolicyTrail.Policy.Explanation;

/// <summary>
/// Writes decisions in the JSON shape other tools script against:
/// {"from","to","port","protocol","verdict","ingress":D,"egress":D,"explanation"[,"error"]} with
/// D = {"isolated","selectedBy":["ns/name"],"allowedBy":[{"policy","rule","peer","port"}],"tier"[,"decidedBy"][,"passedBy"]}
/// where tier is "admin" | "networkpolicy" | "baseline" | "none" and decidedBy / passedBy are
/// {"kind","name","rule","ruleName","action"} (AdminNetworkPolicy / BaselineAdminNetworkPolicy rules).
/// isolated, selectedBy and allowedBy always describe NetworkPolicy only.
/// </summary>
public static class DecisionJsonWriter
{
    /// <summary>Writes one probe's answer; from, to and port are echoed as the probe gave them.</summary>
    public static void WriteProbe(Utf8JsonWriter writer, string from, string to, PortRef port, Decision decision)
    {
        writer.WriteStartObject();
        writer.WriteString("from", from);
        writer.WriteString("to", to);
        if (port.IsNamed)
        {
            writer.WriteString("port", port.Name);
            if (decision.Port > 0)
            {
                writer.WriteNumber("resolvedPort", decision.Port);
            }
        }
        else
        {
            writer.WriteNumber("port", port.Number ?? 0);
        }
        WriteBody(writer, decision);
        writer.WriteEndObject();
    }

    /// <summary>Writes the decision's fields (verdict onwards) into the current object.</summary>
    public static void WriteBody(Utf8JsonWriter writer, Decision decision)
    {
        writer.WriteString("protocol", decision.Protocol.ToName());
        writer.WriteString("verdict", decision.Verdict.ToName());
        writer.WritePropertyName("source");
        WriteEndpoint(writer, decision.Source);
        writer.WritePropertyName("destination");
        WriteEndpoint(writer, decision.Destination);
        writer.WritePropertyName("ingress");
        WriteDirection(writer, decision.Ingress);
        writer.WritePropertyName("egress");
        WriteDirection(writer, decision.Egress);
        writer.WriteString("explanation", decision.Explanation);
        if (decision.Error is not null)
        {
            writer.WriteString("error", decision.Error);
        }
        if (decision.Backends is { } backends)
        {
            writer.WriteStartArray("backends");
            foreach (var backend in backends)
            {
                writer.WriteStartObject();
                writer.WriteNumber("port", backend.Port);
                WriteBody(writer, backend);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
    }

    /// <summary>Writes one direction: {"verdict","applies","isolated","selectedBy","allowedBy","tier"[,"decidedBy"][,"passedBy"]}.</summary>
    public static void WriteDirection(Utf8JsonWriter writer, DirectionDecision direction)
    {
        writer.WriteStartObject();
        writer.WriteString("verdict", direction.Verdict.ToName());
        writer.WriteBoolean("applies", direction.Applies);
        writer.WriteBoolean("isolated", direction.Isolated);
        writer.WriteStartArray("selectedBy");
        foreach (var policy in direction.SelectedBy)
        {
            writer.WriteStringValue(policy.Key);
        }
        writer.WriteEndArray();
        writer.WriteStartArray("allowedBy");
        foreach (var match in direction.AllowedBy)
        {
            writer.WriteStartObject();
            writer.WriteString("policy", match.Policy.Key);
            if (match.Policy.ResourceVersion is not null)
            {
                writer.WriteString("resourceVersion", match.Policy.ResourceVersion);
            }
            writer.WriteNumber("rule", match.Rule);
            WriteIndex(writer, "peer", match.Peer);
            WriteIndex(writer, "port", match.Port);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteString("tier", direction.Tier switch
        {
            DecisionTier.Admin => "admin",
            DecisionTier.NetworkPolicy => "networkpolicy",
            DecisionTier.Baseline => "baseline",
            DecisionTier.None => "none",
            _ => "unknown",
        });
        if (direction.DecidedBy is { } decided)
        {
            WriteAdminRule(writer, "decidedBy", decided);
        }
        if (direction.PassedBy is { } passed)
        {
            WriteAdminRule(writer, "passedBy", passed);
        }
        writer.WriteEndObject();
    }

    private static void WriteAdminRule(Utf8JsonWriter writer, string name, AdminRuleMatch match)
    {
        writer.WriteStartObject(name);
        writer.WriteString("kind", match.Kind.ToString());
        writer.WriteString("name", match.Policy);
        if (match.ResourceVersion is not null)
        {
            writer.WriteString("resourceVersion", match.ResourceVersion);
        }
        writer.WriteNumber("rule", match.Rule);
        if (match.RuleName is not null)
        {
            writer.WriteString("ruleName", match.RuleName);
        }
        else
        {
            writer.WriteNull("ruleName");
        }
        writer.WriteString("action", match.Action.ToString());
        writer.WriteEndObject();
    }

    private static void WriteEndpoint(Utf8JsonWriter writer, Endpoint endpoint)
    {
        writer.WriteStartObject();
        writer.WriteString("kind", endpoint.Kind switch
        {
            EndpointKind.Pod => "pod",
            EndpointKind.External => "external",
            EndpointKind.HostNetworkPod => "host-network-pod",
            EndpointKind.Node => "node",
            EndpointKind.Service => "service",
            EndpointKind.Ambiguous => "ambiguous",
            _ => "unknown",
        });
        if (endpoint.Namespace is not null)
        {
            writer.WriteString("namespace", endpoint.Namespace);
        }
        if (endpoint.Name is not null)
        {
            writer.WriteString(endpoint.Kind == EndpointKind.Service ? "service" : "pod", endpoint.Name);
        }
        if (endpoint.IP is not null)
        {
            writer.WriteString("ip", endpoint.IP.ToString());
        }
        if (endpoint.Node is not null)
        {
            writer.WriteString("node", endpoint.Node);
        }
        if (endpoint.Reason is not null)
        {
            writer.WriteString("reason", endpoint.Reason);
        }
        writer.WriteEndObject();
    }

    private static void WriteIndex(Utf8JsonWriter writer, string name, int? index)
    {
        if (index is { } value)
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
