using System.Globalization;
using System.Text;
using System.Text.Json;
using PolicyTrail.Core.Cluster;

namespace PolicyTrail.Benchmarks;

/// <summary>
/// Calico Enterprise / Cloud flow logs (the JSON of the fluentd flow log: 5-minute windows aggregated per
/// source/destination pod pair, `num_flows`, counters, `reporter`, policy-hit strings in the tiered
/// `index|tier|namespace/tier.name|action|rule` form), between the synthetic cluster's pods, deterministic by seed.
/// </summary>
internal static class CalicoFlowWriter
{
    public static void Write(ClusterSnapshot snapshot, string path, long count, int seed)
    {
        var random = new Random(seed);
        var traffic = new TrafficModel(snapshot, random);
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var w = new Utf8JsonWriter(file);
        for (long i = 0; i < count; i++)
        {
            var flow = traffic.Next();
            var window = start + i / 1000 * 300;
            w.Reset(file);
            w.WriteStartObject();
            w.WriteNumber("start_time", window);
            w.WriteNumber("end_time", window + 300);
            Endpoint(w, "source", flow.Src, flow.SrcPort);
            Endpoint(w, "dest", flow.Dst, flow.DstPort);
            w.WriteString("proto", flow.Udp ? "udp" : "tcp");
            w.WriteString("action", flow.Dropped ? "deny" : "allow");
            w.WriteString("reporter", random.Next(2) == 0 ? "src" : "dst");
            w.WriteStartObject("policies");
            w.WriteStartArray("all_policies");
            w.WriteStringValue(flow.Dropped
                ? $"0|default|{flow.Dst.Namespace}/default.default-deny-0|deny|-1"
                : $"0|default|{flow.Dst.Namespace}/default.same-app-2|allow|0");
            w.WriteEndArray();
            w.WriteEndObject();
            var flows = 1 + random.Next(4);
            w.WriteNumber("bytes_in", flow.Dropped ? 0 : 200 * flows + random.Next(5000));
            w.WriteNumber("bytes_out", flow.Dropped ? 60 * flows : 300 * flows + random.Next(5000));
            w.WriteNumber("num_flows", flows);
            w.WriteNumber("num_flows_started", flows);
            w.WriteNumber("num_flows_completed", flows);
            w.WriteNumber("packets_in", flow.Dropped ? 0 : 5 * flows);
            w.WriteNumber("packets_out", 6 * flows);
            w.WriteString("host", flow.Node);
            w.WriteNumber("@timestamp", (window + 300) * 1000);
            w.WriteEndObject();
            w.Flush();
            file.WriteByte((byte)'\n');
        }
    }

    private static void Endpoint(Utf8JsonWriter w, string prefix, PodInfo pod, int port)
    {
        w.WriteString($"{prefix}_ip", pod.IPs[0].ToString());
        w.WriteString($"{prefix}_name", pod.Name);
        w.WriteString($"{prefix}_name_aggr", pod.Name[..Math.Max(1, pod.Name.LastIndexOf('-'))] + "-*");
        w.WriteString($"{prefix}_namespace", pod.Namespace);
        w.WriteNumber($"{prefix}_port", port);
        w.WriteString($"{prefix}_type", "wep");
        w.WriteStartObject($"{prefix}_labels");
        w.WriteStartArray("labels");
        foreach (var (key, value) in pod.Labels)
        {
            w.WriteStringValue($"{key}={value}");
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}

/// <summary>
/// Kernel netfilter LOG lines as syslog writes them (RFC 3339 time, host, "kernel:", Calico's calico-packet: and
/// calico-drop: prefixes, IN= OUT= SRC= DST= ... PROTO= SPT= DPT=), between the synthetic cluster's pods.
/// </summary>
internal static class NetfilterLogWriter
{
    public static void Write(ClusterSnapshot snapshot, string path, long count, int seed) =>
        FlowLines.Write(snapshot, path, count, seed, (flow, i, at, random) =>
        {
            var time = at.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture);
            var prefix = flow.Dropped ? "calico-drop:" : "calico-packet:";
            var proto = flow.Udp ? $"PROTO=UDP SPT={flow.SrcPort} DPT={flow.DstPort} LEN=48" : $"PROTO=TCP SPT={flow.SrcPort} DPT={flow.DstPort} WINDOW=64860 RES=0x00 SYN URGP=0";
            return string.Create(CultureInfo.InvariantCulture,
                $"{time} {flow.Node} kernel: {prefix} IN=cali{i % 9973:x8} OUT=eth0 MAC=ee:ee:ee:ee:ee:ee:1e:0a:36:33:f5:09:08:00 SRC={flow.Src.IPs[0]} DST={flow.Dst.IPs[0]} LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID={random.Next(65536)} DF {proto}");
        });
}

/// <summary>
/// Antrea NetworkPolicy audit log (np.log, the 2023+ layout: date time, rule kind, policy, rule name, direction,
/// action, priority, pod, source ip and port, destination ip and port, protocol, length, label).
/// </summary>
internal static class AntreaNpLogWriter
{
    public static void Write(ClusterSnapshot snapshot, string path, long count, int seed) =>
        FlowLines.Write(snapshot, path, count, seed, (flow, _, at, _) =>
        {
            var time = at.ToString("yyyy/MM/dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
            var (kind, policy, priority, action) = flow.Dropped
                ? ("IngressDefaultRule", "K8sNetworkPolicy", "<nil>", "Drop")
                : ("IngressRule", $"K8sNetworkPolicy:{flow.Dst.Namespace}/same-app-2", "190", "Allow");
            return string.Create(CultureInfo.InvariantCulture,
                $"{time} {kind} {policy} <nil> Ingress {action} {priority} {flow.Dst.Namespace}/{flow.Dst.Name} {flow.Src.IPs[0]} {flow.SrcPort} {flow.Dst.IPs[0]} {flow.DstPort} {(flow.Udp ? "UDP" : "TCP")} 60 <nil>");
        });
}

/// <summary>OVN-Kubernetes acl_log lines (ovn-controller's log: NetworkPolicy ACL names, verdict, severity, direction, match fields).</summary>
internal static class OvnAclLogWriter
{
    public static void Write(ClusterSnapshot snapshot, string path, long count, int seed) =>
        FlowLines.Write(snapshot, path, count, seed, (flow, i, at, _) =>
        {
            var time = at.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            var name = flow.Dropped ? $"NP:{flow.Dst.Namespace}:Ingress" : $"NP:{flow.Dst.Namespace}:same-app-2:Ingress:0";
            var proto = flow.Udp ? "udp" : "tcp";
            return string.Create(CultureInfo.InvariantCulture,
                $"{time}|{i % 100000:D5}|acl_log(ovn_pinctrl0)|INFO|name=\"{name}\", verdict={(flow.Dropped ? "drop" : "allow")}, severity=alert, direction=to-lport: {proto},vlan_tci=0x0000,dl_src=0a:58:0a:f4:02:06,dl_dst=0a:58:0a:f4:02:01,nw_src={flow.Src.IPs[0]},nw_dst={flow.Dst.IPs[0]},nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src={flow.SrcPort},tp_dst={flow.DstPort}{(flow.Udp ? "" : ",tcp_flags=syn")}");
        });
}

/// <summary>
/// Writes one text line per synthetic flow: flow i happens about i ms after 2026-11-01T00:00:00Z (with up to 1 ms of
/// jitter); the format function turns (flow, i, time, random) into the line, without its newline.
/// </summary>
internal static class FlowLines
{
    public static void Write(ClusterSnapshot snapshot, string path, long count, int seed, Func<SyntheticFlow, long, DateTimeOffset, Random, string> line)
    {
        var random = new Random(seed);
        var traffic = new TrafficModel(snapshot, random);
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        using var file = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        for (long i = 0; i < count; i++)
        {
            var flow = traffic.Next();
            file.Write(line(flow, i, start.AddTicks(i * 10_000 + random.Next(10_000)), random));
            file.Write('\n');
        }
    }
}
