using System.Globalization;
using PolicyTrail.Core.Flows;

namespace PolicyTrail.Sources.Ovn;

/// <summary>
/// Reads the policy behind an OVN ACL name, in every naming generation of OVN-Kubernetes and Kube-OVN:
/// <list type="bullet">
/// <item>ovn-kubernetes since 2023 (libovsdb/util GetACLName): <c>NP:ns:policy:Ingress|Egress:gressIdx</c>,
/// namespace default deny <c>NP:ns:Ingress|Egress</c>, <c>ANP:name:Dir:ruleIdx</c>, <c>BANP:name:Dir:ruleIdx</c>,
/// <c>EF:ns:ruleIdx</c>; cut to 63 characters.</item>
/// <item>ovn-kubernetes before that: <c>ns_policy_gressIdx</c> (allow), <c>ns_policy</c> (the policy's default deny),
/// <c>ns_ingressDefaultDeny</c> / <c>ns_egressDefaultDeny</c>, <c>egressFirewall_ns_priority</c>.</item>
/// <item>Kube-OVN: <c>np/name.ns/[ingress|egress/]IPv4|IPv6/idx|all[/ipBlock]</c> (allow), <c>ns/name</c> (the
/// policy's default drop); names over 63 characters become their first 60 plus "...".</item>
/// </list>
/// Kubernetes names never contain ':' '_' '/' or capitals, which is what makes these splits unambiguous.
/// </summary>
internal static class OvnAclName
{
    /// <summary>The ACL name length OVN-Kubernetes cuts at: a name this long may have lost its tail.</summary>
    public const int MaxLength = 63;

    /// <summary>Marks a name, namespace or index that the 63-character limit cut.</summary>
    public const string Cut = "…";

    /// <summary>Hit name for a namespace's default deny: no policy of that name exists, the pod is merely isolated.</summary>
    public const string DefaultDeny = "(default-deny)";

    /// <summary>Policy kinds, as PolicyTrail names them.</summary>
    public const string NetworkPolicy = "NetworkPolicy", AdminNetworkPolicy = "AdminNetworkPolicy",
        BaselineAdminNetworkPolicy = "BaselineAdminNetworkPolicy", EgressFirewall = "EgressFirewall";

    // OVN-Kubernetes only accepts an EgressFirewall named "default" (one per namespace).
    private const string EgressFirewallObjectName = "default";

    /// <summary>
    /// The policy hit an ACL name stands for, or null when the name is empty, OVN's "&lt;unnamed&gt;" placeholder, or
    /// of no known scheme. <paramref name="action"/> is the hit's action (allow, deny, reject, pass) and
    /// <paramref name="lineDirection"/> the side the ACL was applied on, used when the name does not say.
    /// </summary>
    public static PolicyHit? Parse(string name, string? action, string? lineDirection)
    {
        if (name.Length == 0 || name == "<unnamed>")
        {
            return null;
        }
        var mayBeCut = name.Length >= MaxLength;
        PolicyHit? hit;
        if (name.StartsWith("NP:", StringComparison.Ordinal))
        {
            hit = NetworkPolicyHit(name[3..].Split(':'), mayBeCut);
        }
        else if (name.StartsWith("ANP:", StringComparison.Ordinal))
        {
            hit = AdminHit(AdminNetworkPolicy, name[4..].Split(':'), mayBeCut);
        }
        else if (name.StartsWith("BANP:", StringComparison.Ordinal))
        {
            hit = AdminHit(BaselineAdminNetworkPolicy, name[5..].Split(':'), mayBeCut);
        }
        else if (name.StartsWith("EF:", StringComparison.Ordinal))
        {
            hit = EgressFirewallHit(name[3..].Split(':'), mayBeCut);
        }
        else if (name.StartsWith("np/", StringComparison.Ordinal))
        {
            hit = KubeOvnRuleHit(name);
        }
        else if (name.StartsWith("egressFirewall_", StringComparison.Ordinal))
        {
            hit = LegacyEgressFirewallHit(name["egressFirewall_".Length..], mayBeCut);
        }
        else if (name.Contains('_', StringComparison.Ordinal))
        {
            hit = LegacyNetworkPolicyHit(name, mayBeCut);
        }
        else if (name.Count(c => c == '/') == 1)
        {
            hit = KubeOvnDefaultDropHit(name);
        }
        else
        {
            hit = null;
        }
        if (hit is null)
        {
            return null;
        }
        return hit with { Action = action, Direction = hit.Direction ?? lineDirection };
    }

    /// <summary>The hit action for an OVN verdict word: allow, deny, reject or pass; null for anything else.</summary>
    public static string? ActionFor(string verdict) => verdict switch
    {
        "allow" or "allow-related" or "allow-stateless" => "allow",
        "drop" => "deny",
        "reject" => "reject",
        "pass" => "pass",
        _ => null,
    };

    private static PolicyHit? NetworkPolicyHit(string[] p, bool mayBeCut)
    {
        // NP:ns:Ingress - the namespace's default deny (or its ARP allow, which is never logged). Policy names are
        // lower-case, so a capitalised second part can only be a direction, even when it was cut.
        if (p.Length == 2 && Direction(p[1], exact: !mayBeCut) is { } defaultDirection && char.IsAsciiLetterUpper(p[1][0]))
        {
            return new PolicyHit { Kind = NetworkPolicy, Namespace = p[0], Name = DefaultDeny, Direction = defaultDirection };
        }
        if (p.Length > 4 || p[0].Length == 0 || (!mayBeCut && p.Length != 4))
        {
            return null;
        }
        // Only the last component present can have been cut.
        var last = p.Length - 1;
        var ns = p[0] + (last == 0 && mayBeCut ? Cut : "");
        if (p.Length == 1)
        {
            return new PolicyHit { Kind = NetworkPolicy, Namespace = ns, Name = Cut };
        }
        var policy = p[1] + (last == 1 && mayBeCut ? Cut : "");
        string? direction = null;
        if (p.Length > 2)
        {
            direction = Direction(p[2], exact: last != 2 || !mayBeCut);
            if (direction is null && p[2].Length > 0)
            {
                return null;
            }
        }
        int? index = null;
        if (p.Length > 3)
        {
            if (!ReadIndex(p[3], last == 3 && mayBeCut, out index))
            {
                return null;
            }
        }
        return new PolicyHit { Kind = NetworkPolicy, Namespace = ns, Name = policy, Direction = direction, RuleIndex = index };
    }

    private static PolicyHit? AdminHit(string kind, string[] p, bool mayBeCut)
    {
        if (p.Length > 3 || p[0].Length == 0 || (!mayBeCut && p.Length != 3))
        {
            return null;
        }
        var last = p.Length - 1;
        var name = p[0] + (last == 0 && mayBeCut ? Cut : "");
        string? direction = null;
        if (p.Length > 1)
        {
            direction = Direction(p[1], exact: last != 1 || !mayBeCut);
            if (direction is null && p[1].Length > 0)
            {
                return null;
            }
        }
        int? index = null;
        if (p.Length > 2)
        {
            if (!ReadIndex(p[2], last == 2 && mayBeCut, out index))
            {
                return null;
            }
        }
        return new PolicyHit { Kind = kind, Name = name, Direction = direction, RuleIndex = index };
    }

    private static PolicyHit? EgressFirewallHit(string[] p, bool mayBeCut)
    {
        if (p.Length > 2 || p[0].Length == 0 || (!mayBeCut && p.Length != 2))
        {
            return null;
        }
        var ns = p[0] + (p.Length == 1 && mayBeCut ? Cut : "");
        int? index = null;
        if (p.Length == 2)
        {
            if (!ReadIndex(p[1], mayBeCut, out index))
            {
                return null;
            }
        }
        return new PolicyHit { Kind = EgressFirewall, Namespace = ns, Name = EgressFirewallObjectName, RuleIndex = index, Direction = "egress" };
    }

    private static PolicyHit? LegacyEgressFirewallHit(string rest, bool mayBeCut)
    {
        // egressFirewall_<ns>_<priority>: the priority was "start - rule index", and the start changed between
        // releases (10000, 9998), so the rule index is not recoverable.
        var underscore = rest.IndexOf('_', StringComparison.Ordinal);
        var ns = underscore < 0 ? rest + (mayBeCut ? Cut : "") : rest[..underscore];
        if (ns.Length == 0 || (underscore < 0 && !mayBeCut))
        {
            return null;
        }
        return new PolicyHit { Kind = EgressFirewall, Namespace = ns, Name = EgressFirewallObjectName, Direction = "egress" };
    }

    private static PolicyHit? LegacyNetworkPolicyHit(string name, bool mayBeCut)
    {
        var p = name.Split('_');
        if (p.Length > 3 || p[0].Length == 0 || p[1].Length == 0)
        {
            return p.Length == 2 && p[1].Length == 0 && mayBeCut ? new PolicyHit { Kind = NetworkPolicy, Namespace = p[0], Name = Cut } : null;
        }
        // In the shared-port-group era the default deny ACL was prefixed with the hashed port group ("a" and the
        // decimal FNV-64 of the namespace), not the namespace.
        var ns = IsPortGroupHash(p[0]) ? null : p[0];
        if (p.Length == 2)
        {
            switch (p[1])
            {
                case "ingressDefaultDeny":
                    return new PolicyHit { Kind = NetworkPolicy, Namespace = ns, Name = DefaultDeny, Direction = "ingress" };
                case "egressDefaultDeny":
                    return new PolicyHit { Kind = NetworkPolicy, Namespace = ns, Name = DefaultDeny, Direction = "egress" };
                case "ARPallowPolicy":
                    return null;
            }
            if (ns is null || p[1].Any(char.IsAsciiLetterUpper))
            {
                return null;
            }
            // ns_policy: the default deny the policy switched on, attributed to the policy that isolated the pod.
            return new PolicyHit { Kind = NetworkPolicy, Namespace = ns, Name = p[1] + (mayBeCut ? Cut : "") };
        }
        if (ns is null || !ReadIndex(p[2], mayBeCut, out var index))
        {
            return null;
        }
        return new PolicyHit { Kind = NetworkPolicy, Namespace = ns, Name = p[1], RuleIndex = index };
    }

    private static PolicyHit? KubeOvnRuleHit(string name)
    {
        var cut = name.Length == MaxLength && name.EndsWith("...", StringComparison.Ordinal);
        var p = (cut ? name[..^3] : name).Split('/');
        if (p.Length < 2 || p[1].Length == 0)
        {
            return null;
        }
        string policy;
        string? ns;
        var dot = p[1].LastIndexOf('.');
        if (cut && p.Length == 2)
        {
            // "<policy>.<namespace>" itself was cut: where the policy name ends cannot be told.
            policy = p[1] + Cut;
            ns = null;
        }
        else if (dot <= 0 || dot == p[1].Length - 1)
        {
            return null;
        }
        else
        {
            // The namespace has no dots; the policy name may.
            policy = p[1][..dot];
            ns = p[1][(dot + 1)..];
        }
        var rest = p.AsSpan(2);
        string? direction = null;
        if (rest.Length > 0 && rest[0] is "ingress" or "egress")
        {
            direction = rest[0];
            rest = rest[1..];
        }
        int? index = null;
        if (!cut)
        {
            if (rest.Length is < 2 or > 3 || rest[0] is not ("IPv4" or "IPv6") || (rest.Length == 3 && rest[2] != "ipBlock"))
            {
                return null;
            }
            if (rest[1] != "all")
            {
                if (!TryIndex(rest[1], out var i))
                {
                    return null;
                }
                index = i;
            }
        }
        else if (rest.Length >= 3 && rest[0] is "IPv4" or "IPv6" && TryIndex(rest[1], out var i))
        {
            // Something follows the index, so the index itself is whole.
            index = i;
        }
        return new PolicyHit { Kind = NetworkPolicy, Namespace = ns, Name = policy, Direction = direction, RuleIndex = index };
    }

    private static PolicyHit? KubeOvnDefaultDropHit(string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        var ns = name[..slash];
        var policy = name[(slash + 1)..];
        var cut = name.Length == 63 && policy.EndsWith("...", StringComparison.Ordinal);
        if (cut)
        {
            policy = policy[..^3] + Cut;
        }
        if (ns.Length == 0 || policy.Length == 0 || !IsDnsLabel(ns))
        {
            return null;
        }
        return new PolicyHit { Kind = NetworkPolicy, Namespace = ns, Name = policy };
    }

    private static string? Direction(string text, bool exact)
    {
        if (exact)
        {
            return text switch { "Ingress" => "ingress", "Egress" => "egress", _ => null };
        }
        // A cut direction is still readable from any prefix: "Ingress" and "Egress" share none.
        if (text.Length > 0 && "Ingress".StartsWith(text, StringComparison.Ordinal))
        {
            return "ingress";
        }
        if (text.Length > 0 && "Egress".StartsWith(text, StringComparison.Ordinal))
        {
            return "egress";
        }
        return null;
    }

    /// <summary>A rule index; one that may have been cut (its last digits lost) is read as unknown.</summary>
    private static bool ReadIndex(string text, bool mayBeCut, out int? index)
    {
        index = null;
        if (mayBeCut)
        {
            return text.Length == 0 || TryIndex(text, out _);
        }
        if (!TryIndex(text, out var value))
        {
            return false;
        }
        index = value;
        return true;
    }

    private static bool TryIndex(string text, out int index) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out index);

    private static bool IsPortGroupHash(string text) =>
        text.Length >= 12 && text[0] == 'a' && text.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0;

    private static bool IsDnsLabel(string text) =>
        text.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyz0123456789-") < 0;
}
