using System.Globalization;
using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;

namespace PolicyTrail.Benchmarks;

/// <summary>
/// Writes realistic `hubble observe -o json` lines (GetFlowsResponse wrapper, ~1 KB each) between the synthetic
/// cluster's pods, deterministic by seed: trace and policy-verdict events, FORWARDED and DROPPED, TCP and UDP, with
/// identities, labels, workloads, node names, and a lost-events record now and then.
/// Who talks to whom comes from <see cref="TrafficModel"/>.
/// </summary>
internal static class HubbleFlowWriter
{
    public static void Write(ClusterSnapshot snapshot, string path, long count, int seed) =>
        Write(snapshot, path, count, seed, TimeSpan.FromTicks(10_000), policies: null);

    /// <summary>
    /// Writes <paramref name="count"/> flows <paramref name="spacing"/> apart; with <paramref name="policies"/> the traffic
    /// follows them (peers the policies admit, and a CNI verdict that is the policies' verdict) instead of being random.
    /// </summary>
    public static void Write(ClusterSnapshot snapshot, string path, long count, int seed, TimeSpan spacing, PolicyTrail.Policy.Evaluation.PolicyEngine? policies)
    {
        var random = new Random(seed);
        var traffic = new TrafficModel(snapshot, random, policies);
        var step = spacing.Ticks;
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var w = new Utf8JsonWriter(file);
        for (long i = 0; i < count; i++)
        {
            var time = start.AddTicks(i * step + random.Next(checked((int)step))).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'00Z'", CultureInfo.InvariantCulture);
            w.Reset(file);
            if (i % 50_000 == 49_999)
            {
                w.WriteStartObject();
                w.WriteStartObject("lost_events");
                w.WriteString("source", "PERF_EVENT_RING_BUFFER");
                w.WriteString("num_events_lost", random.Next(1, 500).ToString(CultureInfo.InvariantCulture));
                w.WriteNumber("cpu", random.Next(4));
                w.WriteEndObject();
                w.WriteString("node_name", $"node-{random.Next(40):D2}");
                w.WriteString("time", time);
                w.WriteEndObject();
            }
            else
            {
                var (src, dst, srcPort, dstPort, udp, dropped, node) = traffic.Next();
                w.WriteStartObject();
                w.WriteStartObject("flow");
                w.WriteString("time", time);
                w.WriteString("uuid", new Guid(random.Next(), (short)random.Next(), (short)random.Next(), 1, 2, 3, 4, 5, 6, 7, 8).ToString());
                w.WriteString("verdict", dropped ? "DROPPED" : "FORWARDED");
                if (dropped)
                {
                    w.WriteNumber("drop_reason", 133);
                }
                w.WriteStartObject("ethernet");
                w.WriteString("source", "46:e5:ea:1f:95:ff");
                w.WriteString("destination", "d6:ec:b0:4a:ff:46");
                w.WriteEndObject();
                w.WriteStartObject("IP");
                w.WriteString("source", src.IPs[0].ToString());
                w.WriteString("destination", dst.IPs[0].ToString());
                w.WriteString("ipVersion", "IPv4");
                w.WriteEndObject();
                w.WriteStartObject("l4");
                w.WriteStartObject(udp ? "UDP" : "TCP");
                w.WriteNumber("source_port", srcPort);
                w.WriteNumber("destination_port", dstPort);
                if (!udp)
                {
                    w.WriteStartObject("flags");
                    w.WriteBoolean("SYN", true);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
                w.WriteEndObject();
                Endpoint(w, "source", src, random);
                Endpoint(w, "destination", dst, random);
                w.WriteString("Type", "L3_L4");
                w.WriteString("node_name", node);
                w.WriteStartObject("event_type");
                w.WriteNumber("type", dropped ? 1 : 5);
                if (dropped)
                {
                    w.WriteNumber("sub_type", 133);
                }
                w.WriteEndObject();
                w.WriteString("traffic_direction", random.Next(2) == 0 ? "INGRESS" : "EGRESS");
                w.WriteBoolean("is_reply", false);
                if (dropped)
                {
                    w.WriteString("drop_reason_desc", "POLICY_DENIED");
                }
                w.WriteString("Summary", udp ? "UDP" : "TCP Flags: SYN");
                w.WriteEndObject();
                w.WriteString("node_name", node);
                w.WriteString("time", time);
                w.WriteEndObject();
            }
            w.Flush();
            file.WriteByte((byte)'\n');
        }
    }

    /// <summary>A hash that is the same in every process (string.GetHashCode is randomized), so output is deterministic.</summary>
    private static int StableHash(string text)
    {
        var hash = 17;
        foreach (var c in text)
        {
            hash = unchecked((hash * 31) + c);
        }
        return hash & int.MaxValue;
    }

    private static void Endpoint(Utf8JsonWriter w, string name, PodInfo pod, Random random)
    {
        w.WriteStartObject(name);
        w.WriteNumber("ID", 100 + random.Next(3000));
        w.WriteNumber("identity", 10000 + StableHash(pod.Namespace + "/" + pod.Labels.GetValueOrDefault("app", "")) % 50000);
        w.WriteString("namespace", pod.Namespace);
        w.WriteStartArray("labels");
        foreach (var (key, value) in pod.Labels)
        {
            w.WriteStringValue($"k8s:{key}={value}");
        }
        w.WriteStringValue($"k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name={pod.Namespace}");
        w.WriteStringValue("k8s:io.cilium.k8s.policy.cluster=default");
        w.WriteStringValue($"k8s:io.kubernetes.pod.namespace={pod.Namespace}");
        w.WriteEndArray();
        w.WriteString("pod_name", pod.Name);
        w.WriteStartArray("workloads");
        w.WriteStartObject();
        w.WriteString("name", pod.Labels.GetValueOrDefault("app", pod.Name));
        w.WriteString("kind", "Deployment");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
