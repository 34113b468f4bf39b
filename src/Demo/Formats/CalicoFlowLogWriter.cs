using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Core.Decisions;
using PolicyTrail.Demo.Traffic;

namespace PolicyTrail.Demo.Formats;

/// <summary>
/// The flows a node running Calico Enterprise logged, as its flow logs (fluentd JSON) carry them: five-minute windows
/// aggregated per source, destination, port, protocol, action and reporter with <c>num_flows</c> and counters, and the
/// policy-hit strings of the tiered <c>index|tier|namespace/tier.name|action|rule</c> form.
/// </summary>
internal static class CalicoFlowLogWriter
{
    private const long Window = 300;

    /// <summary>Writes the flows this node logged; returns the records written.</summary>
    public static int Write(string path, string node, IEnumerable<DemoFlow> flows)
    {
        var windows = flows
            .GroupBy(f => (Start: f.Time.ToUnixTimeSeconds() / Window * Window, Src: f.Src.Pod?.Key ?? f.Src.IP, Dst: f.Dst.Pod?.Key ?? f.Dst.IP, f.DstPort, f.Protocol, f.ReportedAllowed, Egress: Reporter(f)))
            .OrderBy(g => g.Key.Start).ThenBy(g => g.Key.Src, StringComparer.Ordinal).ThenBy(g => g.Key.Dst, StringComparer.Ordinal).ThenBy(g => g.Key.DstPort);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using var w = new Utf8JsonWriter(file);
        var records = 0;
        foreach (var window in windows)
        {
            var first = window.First();
            var count = window.Count();
            var egress = window.Key.Egress;
            w.Reset(file);
            w.WriteStartObject();
            w.WriteNumber("start_time", window.Key.Start);
            w.WriteNumber("end_time", window.Key.Start + Window);
            Endpoint(w, "source", first.Src);
            w.WriteNumber("source_port", first.SrcPort);
            Endpoint(w, "dest", first.Dst);
            w.WriteNumber("dest_port", first.DstPort);
            w.WriteString("proto", first.Protocol == Protocol.Udp ? "udp" : "tcp");
            w.WriteString("action", window.Key.ReportedAllowed ? "allow" : "deny");
            w.WriteString("reporter", egress ? "src" : "dst");
            w.WriteStartObject("policies");
            w.WriteStartArray("all_policies");
            w.WriteStringValue(PolicyHit(first, egress));
            w.WriteEndArray();
            w.WriteEndObject();
            var allowed = window.Key.ReportedAllowed;
            w.WriteNumber("bytes_in", allowed ? 1_840 * count : 0);
            w.WriteNumber("bytes_out", allowed ? 6_310 * count : 60 * count);
            w.WriteNumber("num_flows", count);
            w.WriteNumber("num_flows_started", count);
            w.WriteNumber("num_flows_completed", count);
            w.WriteNumber("packets_in", allowed ? 9 * count : 0);
            w.WriteNumber("packets_out", allowed ? 11 * count : count);
            w.WriteString("host", node);
            w.WriteNumber("@timestamp", (window.Key.Start + Window) * 1000);
            w.WriteEndObject();
            w.Flush();
            file.WriteByte((byte)'\n');
            records++;
        }
        return records;
    }

    private static bool Reporter(DemoFlow flow) => flow.DeniedOnEgress || flow.Dst.Pod is null;

    private static void Endpoint(Utf8JsonWriter w, string prefix, FlowEnd end)
    {
        w.WriteString($"{prefix}_ip", end.IP);
        if (end.Pod is not { } pod)
        {
            w.WriteString($"{prefix}_name", "pub");
            w.WriteString($"{prefix}_name_aggr", "pub");
            w.WriteString($"{prefix}_namespace", "-");
            w.WriteString($"{prefix}_type", "net");
            return;
        }
        w.WriteString($"{prefix}_name", pod.Name);
        var aggregate = pod.Labels.TryGetValue("pod-template-hash", out var hash) ? $"{pod.Workload.Name}-{hash}-*" : pod.Name;
        w.WriteString($"{prefix}_name_aggr", aggregate);
        w.WriteString($"{prefix}_namespace", pod.Namespace);
        w.WriteString($"{prefix}_type", "wep");
        w.WriteStartObject($"{prefix}_labels");
        w.WriteStartArray("labels");
        foreach (var (key, value) in pod.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            w.WriteStringValue($"{key}={value}");
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    // The first policy that acted on the reporting side; a side no policy selects passes through its namespace's profile.
    private static string PolicyHit(DemoFlow flow, bool egress)
    {
        var side = egress ? flow.Decision.Egress : flow.Decision.Ingress;
        var pod = egress ? flow.Src.Pod : flow.Dst.Pod;
        if (flow.ReportedAllowed && flow.Decision.Verdict == Verdict.Deny)
        {
            // The disagreement: this node's Calico still had the older rule admitting the client.
            var stale = side.SelectedBy.FirstOrDefault(p => p.Name != "default-deny") ?? side.SelectedBy[0];
            return $"0|default|{stale.Namespace}/knp.default.{stale.Name}|allow|0";
        }
        if (side.SelectedBy.Count == 0)
        {
            return $"0|__PROFILE__|__PROFILE__.kns.{pod?.Namespace ?? "default"}|allow|0";
        }
        if (flow.ReportedAllowed)
        {
            var match = side.AllowedBy[0];
            return $"0|default|{match.Policy.Namespace}/knp.default.{match.Policy.Name}|allow|{match.Rule}";
        }
        var isolating = side.SelectedBy[0];
        return $"0|default|{isolating.Namespace}/knp.default.{isolating.Name}|deny|-1";
    }
}
