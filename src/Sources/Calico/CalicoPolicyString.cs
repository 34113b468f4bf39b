using System.Globalization;
using PolicyTrail.Core.Flows;

namespace PolicyTrail.Sources.Calico;

/// <summary>
/// Reads one Calico policy-hit string, "&lt;policy index&gt;|&lt;tier&gt;|&lt;name part&gt;|&lt;action&gt;|&lt;rule index&gt;", into a
/// <see cref="PolicyHit"/>. Both name-part generations are read: the older "[ns/][staged:]tier.name" form (Calico
/// Enterprise, Calico OSS up to v3.31, including the kcnp./kanp./kbanp./__PROFILE__. prefixes) and the v3.32
/// "kind:[ns/]name" form; very old four-field strings have no rule index.
/// </summary>
internal static class CalicoPolicyString
{
    /// <summary>Calico's tier for namespace and service-account profiles; it is no v3 Tier, so hits carry no tier for it.</summary>
    public const string ProfileTier = "__PROFILE__";

    private static readonly Dictionary<string, (string Kind, bool Namespaced)> ShortKinds = new(StringComparer.Ordinal)
    {
        ["gnp"] = ("GlobalNetworkPolicy", false),
        ["np"] = ("CalicoNetworkPolicy", true),
        ["knp"] = ("NetworkPolicy", true),
        ["snp"] = ("StagedNetworkPolicy", true),
        ["sgnp"] = ("StagedGlobalNetworkPolicy", false),
        ["sknp"] = ("StagedKubernetesNetworkPolicy", true),
        ["kcnp"] = ("ClusterNetworkPolicy", false),
        ["pro"] = ("Profile", false),
    };

    /// <summary>A parsed hit with the policy index that orders it among the hits of one list.</summary>
    public readonly record struct Parsed(PolicyHit Hit, long PolicyIndex);

    /// <summary>
    /// Parses one string. Returns false with a reason for anything Calico itself would not accept (wrong field count,
    /// non-numeric index, unknown action, empty or invalid tier, name or namespace); never throws.
    /// </summary>
    public static bool TryParse(string? text, bool? pending, out Parsed parsed, out string error)
    {
        parsed = default;
        error = "";
        if (string.IsNullOrEmpty(text))
        {
            error = "empty policy string";
            return false;
        }
        var fields = text.Split('|');
        if (fields.Length is not (4 or 5))
        {
            error = $"expected 5 '|'-separated fields (or 4 without a rule index), found {fields.Length}";
            return false;
        }
        if (!long.TryParse(fields[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var policyIndex))
        {
            error = $"policy index '{fields[0]}' is not a number";
            return false;
        }
        var tier = fields[1];
        if (tier.Length == 0)
        {
            error = "tier is empty";
            return false;
        }
        if (tier != ProfileTier && !IsDnsSubdomain(tier))
        {
            error = $"tier '{tier}' is not a valid tier name";
            return false;
        }
        var action = fields[3].ToLowerInvariant();
        if (action is not ("allow" or "deny" or "pass"))
        {
            error = $"unknown action '{fields[3]}'";
            return false;
        }
        int? ruleIndex = null;
        if (fields.Length == 5)
        {
            if (!int.TryParse(fields[4], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var rule) || rule < -2)
            {
                error = $"rule index '{fields[4]}' is not a rule number, -1 (end of tier) or -2 (unknown)";
                return false;
            }
            // -2 is Calico's "unknown rule": the same as not saying.
            ruleIndex = rule == -2 ? null : rule;
        }

        if (!TryReadNamePart(fields[2], tier, out var kind, out var ns, out var name, out error))
        {
            return false;
        }
        if (name.Length == 0)
        {
            error = $"no policy name in '{fields[2]}'";
            return false;
        }
        if (!IsDnsSubdomain(name))
        {
            error = $"policy name '{name}' is not a valid resource name";
            return false;
        }
        if (ns is not null && !IsDnsLabel(ns))
        {
            error = $"namespace '{ns}' is not a valid namespace name";
            return false;
        }
        parsed = new Parsed(new PolicyHit
        {
            Kind = kind,
            Namespace = ns,
            Name = name,
            Tier = tier == ProfileTier ? null : tier,
            RuleIndex = ruleIndex,
            Action = action,
            Pending = pending,
        }, policyIndex);
        return true;
    }

    private static bool TryReadNamePart(string part, string tier, out string kind, out string? ns, out string name, out string error)
    {
        kind = "";
        ns = null;
        name = "";
        error = "";
        var colon = part.IndexOf(':', StringComparison.Ordinal);
        var slash = part.IndexOf('/', StringComparison.Ordinal);
        if (colon > 0 && (slash < 0 || colon < slash) && ShortKinds.TryGetValue(part[..colon], out var shortKind))
        {
            // v3.32 "kind:[ns/]name": the name is the resource name, verbatim (dots included).
            kind = shortKind.Kind;
            var rest = part[(colon + 1)..];
            var restSlash = rest.IndexOf('/', StringComparison.Ordinal);
            if (shortKind.Namespaced)
            {
                if (restSlash < 0)
                {
                    error = $"'{part}' names a namespaced kind without a namespace";
                    return false;
                }
                ns = rest[..restSlash];
                name = rest[(restSlash + 1)..];
            }
            else
            {
                if (restSlash >= 0)
                {
                    error = $"'{part}' gives a namespace to a cluster-scoped kind";
                    return false;
                }
                name = rest;
            }
            return true;
        }

        var pieces = part.Split('/');
        if (pieces.Length > 2)
        {
            error = $"name part '{part}' has more than one '/'";
            return false;
        }
        if (pieces.Length == 2)
        {
            ns = pieces[0];
            var n = pieces[1];
            if (n.StartsWith("staged:knp.default.", StringComparison.Ordinal))
            {
                kind = "StagedKubernetesNetworkPolicy";
                name = n["staged:knp.default.".Length..];
            }
            else if (n.StartsWith("knp.default.", StringComparison.Ordinal))
            {
                kind = "NetworkPolicy";
                name = n["knp.default.".Length..];
            }
            else if (n.Contains("staged:", StringComparison.Ordinal))
            {
                kind = "StagedNetworkPolicy";
                name = WithoutTier(RemoveOnce(n, "staged:"), tier);
            }
            else
            {
                kind = "CalicoNetworkPolicy";
                name = WithoutTier(n, tier);
            }
        }
        else
        {
            var n = pieces[0];
            if (n.Contains("staged:", StringComparison.Ordinal))
            {
                kind = "StagedGlobalNetworkPolicy";
                name = WithoutTier(RemoveOnce(n, "staged:"), tier);
            }
            else if (n.StartsWith("kcnp.", StringComparison.Ordinal))
            {
                kind = "ClusterNetworkPolicy";
                name = WithoutTier(n["kcnp.".Length..], tier);
            }
            else if (n.StartsWith("kanp.", StringComparison.Ordinal))
            {
                kind = "AdminNetworkPolicy";
                name = WithoutTier(n["kanp.".Length..], tier);
            }
            else if (n.StartsWith("kbanp.", StringComparison.Ordinal))
            {
                kind = "BaselineAdminNetworkPolicy";
                name = WithoutTier(n["kbanp.".Length..], tier);
            }
            else if (n.StartsWith(ProfileTier + ".", StringComparison.Ordinal))
            {
                kind = "Profile";
                name = n[(ProfileTier.Length + 1)..];
            }
            else
            {
                kind = "GlobalNetworkPolicy";
                name = WithoutTier(n, tier);
            }
        }
        if (name.Contains(':', StringComparison.Ordinal))
        {
            error = $"unknown policy kind prefix in '{part}'";
            return false;
        }
        return true;
    }

    // Before v3.31 Calico stored policies as "<tier>.<name>"; the old string form keeps that prefix. Names may hold dots,
    // so only the exact tier prefix is removed, and a name without it (Calico ≥ v3.31 with the old form) is kept whole.
    private static string WithoutTier(string name, string tier) =>
        name.StartsWith(tier + ".", StringComparison.Ordinal) ? name[(tier.Length + 1)..] : name;

    private static string RemoveOnce(string text, string what)
    {
        var at = text.IndexOf(what, StringComparison.Ordinal);
        return at < 0 ? text : text.Remove(at, what.Length);
    }

    /// <summary>A Kubernetes DNS-1123 subdomain (the rule for policy, tier and profile names).</summary>
    internal static bool IsDnsSubdomain(string text)
    {
        if (text.Length is 0 or > 253)
        {
            return false;
        }
        foreach (var label in text.Split('.'))
        {
            if (!IsLabelChars(label))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A Kubernetes DNS-1123 label (the rule for namespace names).</summary>
    internal static bool IsDnsLabel(string text) => text.Length is > 0 and <= 63 && IsLabelChars(text);

    private static bool IsLabelChars(string label)
    {
        if (label.Length == 0 || label[0] == '-' || label[^1] == '-')
        {
            return false;
        }
        foreach (var c in label)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                return false;
            }
        }
        return true;
    }
}
