using System.Globalization;
using PolicyTrail.Core;
using PolicyTrail.Demo.Traffic;

namespace PolicyTrail.Demo.Formats;

/// <summary>
/// The flows a node running Antrea logged, as the agent writes <c>np.log</c> (v1.13+ layout: table, policy reference,
/// rule, direction, action, priority, applied-to pod, addresses, ports, protocol, length, log label). Antrea logs only
/// packets a policy rule (or a K8s NetworkPolicy's isolation) acted on, and names addresses, not pods.
/// </summary>
internal static class AntreaNpLogWriter
{
    /// <summary>Writes the flows this node logged; returns the lines written.</summary>
    public static int Write(string path, IEnumerable<DemoFlow> flows)
    {
        using var file = new StreamWriter(path, append: false);
        var lines = 0;
        foreach (var flow in flows)
        {
            if (Line(flow) is { } line)
            {
                file.Write(line);
                file.Write('\n');
                lines++;
            }
        }
        return lines;
    }

    private static string? Line(DemoFlow flow)
    {
        var egress = flow.DeniedOnEgress || flow.Dst.Pod is null;
        var side = egress ? flow.Decision.Egress : flow.Decision.Ingress;
        var pod = egress ? flow.Src.Pod : flow.Dst.Pod;
        if (pod is null || side.SelectedBy.Count == 0)
        {
            return null; // no policy selects the pod on this side: nothing for Antrea to log
        }
        var direction = egress ? "Egress" : "Ingress";
        string table, reference, action, priority;
        if (flow.ReportedAllowed)
        {
            var policy = side.AllowedBy.Count > 0 ? side.AllowedBy[0].Policy.Key : side.SelectedBy[0].Key;
            (table, reference, action, priority) = ($"{direction}Rule", $"K8sNetworkPolicy:{policy}", "Allow", "190");
        }
        else
        {
            (table, reference, action, priority) = ($"{direction}DefaultRule", "K8sNetworkPolicy", "Drop", "<nil>");
        }
        var protocol = flow.Protocol == Protocol.Udp ? "UDP" : "TCP";
        return string.Create(CultureInfo.InvariantCulture,
            $"{flow.Time.UtcDateTime:yyyy/MM/dd HH:mm:ss.ffffff} {table} {reference} <nil> {direction} {action} {priority} {pod.Key} {flow.Src.IP} {flow.SrcPort} {flow.Dst.IP} {flow.DstPort} {protocol} 60 <nil>");
    }
}
