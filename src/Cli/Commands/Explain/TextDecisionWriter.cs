using PolicyTrail.Core;
using PolicyTrail.Core.Decisions;

namespace PolicyTrail.Cli.Commands.Explain;

/// <summary>The text form of a decision: the human line, then each side's attribution.</summary>
internal static class TextDecisionWriter
{
    public static void Write(TextWriter output, Decision decision, string indent = "")
    {
        output.WriteLine($"{indent}{decision.Explanation}");
        output.WriteLine($"{indent}  from     {Describe(decision.Source)}");
        output.WriteLine($"{indent}  to       {Describe(decision.Destination)}");
        output.WriteLine($"{indent}  traffic  {decision.Protocol.ToName()} {decision.Port}");
        output.WriteLine($"{indent}  verdict  {decision.Verdict.ToName()}");
        if (decision.Backends is { } backends)
        {
            foreach (var backend in backends)
            {
                output.WriteLine($"{indent}  backend  {backend.Destination.Display} port {backend.Port}:");
                Write(output, backend, indent + "    ");
            }
            return;
        }
        output.WriteLine($"{indent}  egress   {Side(decision.Egress)}");
        output.WriteLine($"{indent}  ingress  {Side(decision.Ingress)}");
    }

    private static string Describe(Endpoint endpoint)
    {
        var kind = endpoint.Kind switch
        {
            EndpointKind.Pod => "pod",
            EndpointKind.External => "external address",
            EndpointKind.HostNetworkPod => "host-network pod",
            EndpointKind.Node => "node address",
            EndpointKind.Service => "service",
            EndpointKind.Ambiguous => "ambiguous address",
            _ => "unknown",
        };
        var ip = endpoint.IP is null ? "" : $", {endpoint.IP}";
        return $"{endpoint.Display} ({kind}{ip})";
    }

    private static string Side(DirectionDecision side)
    {
        if (!side.Applies)
        {
            return side.Verdict == Verdict.Unknown ? "not evaluated" : "no policy applies (not a pod on the pod network)";
        }
        if (!side.Isolated)
        {
            return "not isolated (no policy selects the pod for this direction): allow";
        }
        var selected = string.Join(", ", side.SelectedBy.Select(p => p.Key));
        if (side.AllowedBy.Count == 0)
        {
            return $"isolated by {selected}; no rule admits it: deny";
        }
        var rules = string.Join(", ", side.AllowedBy.Select(m =>
            $"{m.Policy.Key} rule {m.Rule} peer {(m.Peer?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "*")} port {(m.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "*")}"));
        return $"isolated by {selected}; allowed by {rules}: allow";
    }
}
