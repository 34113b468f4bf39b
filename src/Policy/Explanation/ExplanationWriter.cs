using System.Globalization;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;

namespace PolicyTrail.Policy.Explanation;

/// <summary>Writes the one human line of a decision, e.g. "denied: y/b is isolated for ingress by y/deny-all; ...".</summary>
internal static class ExplanationWriter
{
    public static string Write(Decision decision, string? unknownReason)
    {
        var what = Traffic(decision.Protocol, decision.Port);
        var source = decision.Source.Display;
        var destination = decision.Destination.Display;
        if (unknownReason is not null)
        {
            return $"unknown: {unknownReason}";
        }
        if (decision.Verdict == Verdict.Deny)
        {
            var parts = new List<string>(2);
            if (decision.Egress.Verdict == Verdict.Deny)
            {
                parts.Add($"{source} is isolated for egress by {Join(decision.Egress.SelectedBy.Select(p => p.Key))}; no egress rule admits {what} to {destination}");
            }
            if (decision.Ingress.Verdict == Verdict.Deny)
            {
                parts.Add($"{destination} is isolated for ingress by {Join(decision.Ingress.SelectedBy.Select(p => p.Key))}; no ingress rule admits {what} from {source}");
            }
            return "denied: " + string.Join("; and ", parts);
        }
        var egress = decision.Egress switch
        {
            { Applies: false } => $"{source} is outside the cluster's pod network (no egress policy applies)",
            { Isolated: false } => $"{source} is not isolated for egress",
            var e => $"egress of {source} admitted by {Rules(e.AllowedBy)}",
        };
        var ingress = decision.Ingress switch
        {
            { Applies: false } => $"{destination} is outside the cluster's pod network (no ingress policy applies)",
            { Isolated: false } => $"{destination} is not isolated for ingress",
            var i => $"ingress of {destination} admitted by {Rules(i.AllowedBy)}",
        };
        return $"allowed: {what}; {egress}; {ingress}";
    }

    public static string WriteService(Decision combined, ServiceInfo service)
    {
        var backends = combined.Backends!;
        var head = $"{VerdictWord(combined.Verdict)}: {Traffic(combined.Protocol, combined.Port)} to service {service.Key} reaches {backends.Count} backend{(backends.Count == 1 ? "" : "s")}";
        var details = backends.Select(b => $"{b.Destination.Display} on {b.Port}: {b.Explanation}");
        return $"{head}; {string.Join(" | ", details)}";
    }

    private static string VerdictWord(Verdict verdict) => verdict switch
    {
        Verdict.Allow => "allowed",
        Verdict.Deny => "denied",
        _ => "unknown (backends disagree)",
    };

    private static string Traffic(Protocol protocol, int port) =>
        protocol.HasPorts() ? $"{protocol.ToName()} {port.ToString(CultureInfo.InvariantCulture)}" : protocol.ToName();

    private static string Rules(IReadOnlyList<RuleMatch> matches) => Join(matches.Select(m =>
        string.Create(CultureInfo.InvariantCulture,
            $"{m.Policy.Key} rule {m.Rule} ({(m.Peer is { } peer ? $"peer {peer}" : "any peer")}, {(m.Port is { } port ? $"port {port}" : "any port")})")));

    private static string Join(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count switch
        {
            0 => "(none)",
            1 => list[0],
            _ => string.Join(", ", list.Take(list.Count - 1)) + " and " + list[^1],
        };
    }
}
