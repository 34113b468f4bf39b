using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Core.Decisions;
using PolicyTrail.Demo.Scenario;
using PolicyTrail.Demo.Traffic;

namespace PolicyTrail.Demo.Formats;

/// <summary>
/// The flows a node running Cilium logged, as <c>hubble observe -o json</c> prints them: the GetFlowsResponse wrapper,
/// policy-verdict events (with <c>ingress_allowed_by</c>/<c>egress_allowed_by</c>) for admitted connections, drop
/// events (POLICY_DENIED) for refused ones, and one lost-events record where the ring buffer overflowed.
/// </summary>
internal static class HubbleJsonWriter
{
    /// <summary>Writes <paramref name="flows"/> (those this node logged) to <paramref name="path"/>; returns the lines written.</summary>
    public static int Write(string path, string node, IEnumerable<DemoFlow> flows, DateTimeOffset lostEventsAt)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using var w = new Utf8JsonWriter(file);
        var lines = 0;
        var lostWritten = false;
        var index = 0;
        foreach (var flow in flows)
        {
            if (!lostWritten && flow.Time >= lostEventsAt)
            {
                LostEvents(w, file, node, lostEventsAt);
                lostWritten = true;
                lines++;
            }
            Flow(w, file, node, flow, index++);
            lines++;
        }
        return lines;
    }

    private static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture) + "42Z";

    private static void LostEvents(Utf8JsonWriter w, Stream file, string node, DateTimeOffset at)
    {
        w.Reset(file);
        w.WriteStartObject();
        w.WriteStartObject("lost_events");
        w.WriteString("source", "HUBBLE_RING_BUFFER");
        w.WriteString("num_events_lost", "312");
        w.WriteStartObject("cpu");
        w.WriteNumber("value", 1);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteString("node_name", $"shop-prod/{node}");
        w.WriteString("time", Time(at));
        w.WriteEndObject();
        w.Flush();
        file.WriteByte((byte)'\n');
    }

    private static void Flow(Utf8JsonWriter w, Stream file, string node, DemoFlow flow, int index)
    {
        var time = Time(flow.Time);
        var ingress = !flow.DeniedOnEgress && flow.Dst.Pod is not null && flow.Dst.Node == node;
        w.Reset(file);
        w.WriteStartObject();
        w.WriteStartObject("flow");
        w.WriteString("time", time);
        w.WriteString("uuid", Uuid(node, index));
        w.WriteString("verdict", flow.ReportedAllowed ? "FORWARDED" : "DROPPED");
        if (!flow.ReportedAllowed)
        {
            w.WriteNumber("drop_reason", 133);
        }
        w.WriteStartObject("IP");
        w.WriteString("source", flow.Src.IP);
        w.WriteString("destination", flow.Dst.IP);
        w.WriteString("ipVersion", "IPv4");
        w.WriteEndObject();
        w.WriteStartObject("l4");
        w.WriteStartObject(flow.Protocol == Protocol.Udp ? "UDP" : "TCP");
        w.WriteNumber("source_port", flow.SrcPort);
        w.WriteNumber("destination_port", flow.DstPort);
        if (flow.Protocol == Protocol.Tcp)
        {
            w.WriteStartObject("flags");
            w.WriteBoolean("SYN", true);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
        Endpoint(w, "source", flow.Src);
        Endpoint(w, "destination", flow.Dst);
        w.WriteString("Type", "L3_L4");
        w.WriteString("node_name", $"shop-prod/{node}");
        w.WriteStartObject("event_type");
        if (flow.ReportedAllowed)
        {
            w.WriteNumber("type", 5);
        }
        else
        {
            w.WriteNumber("type", 1);
            w.WriteNumber("sub_type", 133);
        }
        w.WriteEndObject();
        w.WriteString("traffic_direction", ingress ? "INGRESS" : "EGRESS");
        w.WriteBoolean("is_reply", false);
        if (!flow.ReportedAllowed)
        {
            w.WriteString("drop_reason_desc", "POLICY_DENIED");
        }
        w.WriteString("Summary", flow.Protocol == Protocol.Udp ? "UDP" : "TCP Flags: SYN");
        if (flow.ReportedAllowed)
        {
            Policies(w, "ingress_allowed_by", flow.Decision.Ingress.AllowedBy);
            Policies(w, "egress_allowed_by", flow.Decision.Egress.AllowedBy);
        }
        w.WriteEndObject();
        w.WriteString("node_name", $"shop-prod/{node}");
        w.WriteString("time", time);
        w.WriteEndObject();
        w.Flush();
        file.WriteByte((byte)'\n');
    }

    private static void Endpoint(Utf8JsonWriter w, string name, FlowEnd end)
    {
        w.WriteStartObject(name);
        if (end.Pod is not { } pod)
        {
            w.WriteNumber("identity", 2);
            w.WriteStartArray("labels");
            w.WriteStringValue("reserved:world");
            w.WriteEndArray();
            w.WriteEndObject();
            return;
        }
        w.WriteNumber("ID", 100 + (Hash(pod.Key) % 3000));
        w.WriteNumber("identity", 10_000 + (Hash($"{pod.Namespace}/{pod.Workload.Name}") % 50_000));
        w.WriteString("cluster_name", "shop-prod");
        w.WriteString("namespace", pod.Namespace);
        w.WriteStartArray("labels");
        foreach (var (key, value) in pod.Labels.Where(l => l.Key != "pod-template-hash" && l.Key != "controller-revision-hash").OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            w.WriteStringValue($"k8s:{key}={value}");
        }
        w.WriteStringValue("k8s:io.cilium.k8s.policy.cluster=shop-prod");
        w.WriteStringValue($"k8s:io.kubernetes.pod.namespace={pod.Namespace}");
        w.WriteEndArray();
        w.WriteString("pod_name", pod.Name);
        if (pod.Workload.Kind != OwnerKind.None)
        {
            w.WriteStartArray("workloads");
            w.WriteStartObject();
            w.WriteString("name", pod.Workload.Name);
            w.WriteString("kind", pod.Workload.Kind.ToString());
            w.WriteEndObject();
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void Policies(Utf8JsonWriter w, string name, IReadOnlyList<RuleMatch> matches)
    {
        if (matches.Count == 0)
        {
            return;
        }
        w.WriteStartArray(name);
        foreach (var policy in matches.Select(m => m.Policy).DistinctBy(p => p.Key))
        {
            w.WriteStartObject();
            w.WriteString("name", policy.Name);
            w.WriteString("namespace", policy.Namespace);
            w.WriteStartArray("labels");
            w.WriteStringValue("k8s:io.cilium.k8s.policy.derived-from=NetworkPolicy");
            w.WriteStringValue($"k8s:io.cilium.k8s.policy.name={policy.Name}");
            w.WriteStringValue($"k8s:io.cilium.k8s.policy.namespace={policy.Namespace}");
            w.WriteEndArray();
            w.WriteString("revision", "27");
            w.WriteString("kind", "NetworkPolicy");
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static int Hash(string text) => (int)(BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(text))) & 0x7FFFFFFF);

    private static string Uuid(string node, int index) => Naming.Uid($"hubble/{node}/{index}");
}
