using System.Globalization;
using System.Text;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;

namespace PolicyTrail.Policy.Explanation;

/// <summary>Writes the one human line of a decision, e.g. "denied: y/b is isolated for ingress by y/deny-all; ...".</summary>
internal static class ExplanationWriter
{
    public static string Write(Verdict verdict, Endpoint sourceEndpoint, Endpoint destinationEndpoint, int port, Protocol protocol,
        DirectionDecision ingressSide, DirectionDecision egressSide, string? unknownReason)
    {
        if (unknownReason is not null)
        {
            return "unknown: " + unknownReason;
        }
        var text = new StringBuilder(160);
        var source = sourceEndpoint.Display;
        var destination = destinationEndpoint.Display;
        if (verdict == Verdict.Deny)
        {
            text.Append("denied: ");
            if (egressSide.Verdict == Verdict.Deny)
            {
                if (egressSide.DecidedBy is { } rule)
                {
                    text.Append("egress of ").Append(source).Append(" denied by ");
                    AppendAdminRule(text, rule);
                }
                else
                {
                    text.Append(source).Append(" is isolated for egress by ");
                    JoinPolicies(text, egressSide.SelectedBy);
                    text.Append("; no egress rule admits ");
                    AppendTraffic(text, protocol, port).Append(" to ").Append(destination);
                }
                AppendPassed(text, egressSide);
            }
            if (ingressSide.Verdict == Verdict.Deny)
            {
                if (egressSide.Verdict == Verdict.Deny)
                {
                    text.Append("; and ");
                }
                if (ingressSide.DecidedBy is { } rule)
                {
                    text.Append("ingress of ").Append(destination).Append(" denied by ");
                    AppendAdminRule(text, rule);
                }
                else
                {
                    text.Append(destination).Append(" is isolated for ingress by ");
                    JoinPolicies(text, ingressSide.SelectedBy);
                    text.Append("; no ingress rule admits ");
                    AppendTraffic(text, protocol, port).Append(" from ").Append(source);
                }
                AppendPassed(text, ingressSide);
            }
            return text.ToString();
        }
        text.Append("allowed: ");
        AppendTraffic(text, protocol, port).Append("; ");
        AppendAllowedSide(text, egressSide, source, "egress");
        text.Append("; ");
        AppendAllowedSide(text, ingressSide, destination, "ingress");
        return text.ToString();
    }

    private static void AppendAllowedSide(StringBuilder text, DirectionDecision side, string endpoint, string direction)
    {
        if (side.DecidedBy is { } rule)
        {
            text.Append(direction).Append(" of ").Append(endpoint).Append(" allowed by ");
            AppendAdminRule(text, rule);
        }
        else if (!side.Applies)
        {
            text.Append(endpoint).Append(" is outside the cluster's pod network (no ").Append(direction).Append(" policy applies)");
        }
        else if (!side.Isolated)
        {
            text.Append(endpoint).Append(" is not isolated for ").Append(direction);
        }
        else
        {
            text.Append(direction).Append(" of ").Append(endpoint).Append(" admitted by ");
            var matches = side.AllowedBy;
            for (var i = 0; i < matches.Count; i++)
            {
                AppendSeparator(text, i, matches.Count);
                var m = matches[i];
                text.Append(m.Policy.Namespace).Append('/').Append(m.Policy.Name).Append(" rule ").Append(m.Rule).Append(" (");
                if (m.Peer is { } peer)
                {
                    text.Append("peer ").Append(peer);
                }
                else
                {
                    text.Append("any peer");
                }
                text.Append(", ");
                if (m.Port is { } portIndex)
                {
                    text.Append("port ").Append(portIndex);
                }
                else
                {
                    text.Append("any port");
                }
                text.Append(')');
            }
        }
        AppendPassed(text, side);
    }

    /// <summary>"AdminNetworkPolicy deny-all rule 0 (deny-all-egress)"; the rule's name in parentheses when it has one.</summary>
    private static void AppendAdminRule(StringBuilder text, AdminRuleMatch rule)
    {
        text.Append(rule.Kind.ToString()).Append(' ').Append(rule.Policy).Append(" rule ").Append(rule.Rule);
        if (!string.IsNullOrEmpty(rule.RuleName))
        {
            text.Append(" (").Append(rule.RuleName).Append(')');
        }
    }

    private static void AppendPassed(StringBuilder text, DirectionDecision side)
    {
        if (side.PassedBy is { } passed)
        {
            text.Append(", after ");
            AppendAdminRule(text, passed);
            text.Append(" passed");
        }
    }

    private static void JoinPolicies(StringBuilder text, IReadOnlyList<PolicyRef> policies)
    {
        if (policies.Count == 0)
        {
            text.Append("(none)");
        }
        for (var i = 0; i < policies.Count; i++)
        {
            AppendSeparator(text, i, policies.Count);
            text.Append(policies[i].Namespace).Append('/').Append(policies[i].Name);
        }
    }

    private static void AppendSeparator(StringBuilder text, int index, int count)
    {
        if (index > 0)
        {
            text.Append(index == count - 1 ? " and " : ", ");
        }
    }

    private static StringBuilder AppendTraffic(StringBuilder text, Protocol protocol, int port) =>
        protocol.HasPorts() ? text.Append(protocol.ToName()).Append(' ').Append(port) : text.Append(protocol.ToName());

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
