using System.Globalization;
using PolicyTrail.Ledger.Store;

namespace PolicyTrail.Query.Filtering;

/// <summary>
/// The flow filters a reader asked for, parsed. Values of one filter are ORed, different filters ANDed; an empty list
/// (or false) does not filter. Only flow entries can match a criteria set that is not empty.
/// </summary>
public sealed record FlowCriteria
{
    /// <summary>The source is in any of these namespaces.</summary>
    public IReadOnlyList<string> FromNamespaces { get; init; } = [];
    /// <summary>The destination is in any of these namespaces.</summary>
    public IReadOnlyList<string> ToNamespaces { get; init; } = [];
    /// <summary>The source is a pod matching any of these.</summary>
    public IReadOnlyList<PodPattern> FromPods { get; init; } = [];
    /// <summary>The destination is a pod matching any of these.</summary>
    public IReadOnlyList<PodPattern> ToPods { get; init; } = [];
    /// <summary>The source pod's labels at the flow's time match any of these selectors.</summary>
    public IReadOnlyList<LabelSelector> FromLabels { get; init; } = [];
    /// <summary>The destination pod's labels at the flow's time match any of these selectors.</summary>
    public IReadOnlyList<LabelSelector> ToLabels { get; init; } = [];
    /// <summary>The source address lies in any of these.</summary>
    public IReadOnlyList<IpPrefix> FromIps { get; init; } = [];
    /// <summary>The destination address lies in any of these.</summary>
    public IReadOnlyList<IpPrefix> ToIps { get; init; } = [];
    /// <summary>The destination port lies in any of these ranges.</summary>
    public IReadOnlyList<PortRange> Ports { get; init; } = [];
    /// <summary>The protocol is any of these (names as entries write them: TCP, UDP, SCTP, ICMPv4, ICMPv6).</summary>
    public IReadOnlyList<string> Protocols { get; init; } = [];
    /// <summary>PolicyTrail's verdict is any of these (allow, deny, unknown).</summary>
    public IReadOnlyList<string> Verdicts { get; init; } = [];
    /// <summary>The decision (ingress or egress) names any of these policies (<c>ns/name</c>, or <c>name</c> for cluster-scoped ones).</summary>
    public IReadOnlyList<string> Policies { get; init; } = [];
    /// <summary>The flow was addressed to, or its destination is a backend of, any of these Services (<c>ns/name</c>).</summary>
    public IReadOnlyList<string> Services { get; init; } = [];
    /// <summary>Both endpoints are namespaced and their namespaces differ.</summary>
    public bool CrossNamespace { get; init; }
    /// <summary>PolicyTrail's verdict disagrees with the CNI's.</summary>
    public bool Disagreement { get; init; }

    /// <summary>Whether no criterion is set.</summary>
    public bool IsEmpty =>
        FromNamespaces.Count + ToNamespaces.Count + FromPods.Count + ToPods.Count + FromLabels.Count + ToLabels.Count + FromIps.Count
        + ToIps.Count + Ports.Count + Protocols.Count + Verdicts.Count + Policies.Count + Services.Count == 0 && !CrossNamespace && !Disagreement;

    /// <summary>The protocol names entries use.</summary>
    public static IReadOnlyList<string> ProtocolNames { get; } = ["TCP", "UDP", "SCTP", "ICMPv4", "ICMPv6"];

    /// <summary>The protocol names a value stands for (case-insensitive; <c>ICMP</c> is both ICMPv4 and ICMPv6).</summary>
    /// <exception cref="FilterValueException">Not a protocol.</exception>
    public static IReadOnlyList<string> ParseProtocol(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.Equals(text, "ICMP", StringComparison.OrdinalIgnoreCase))
        {
            return ["ICMPv4", "ICMPv6"];
        }
        return ProtocolNames.FirstOrDefault(p => string.Equals(p, text, StringComparison.OrdinalIgnoreCase)) is { } name
            ? [name]
            : throw new FilterValueException($"'{text}' is not a protocol: use TCP, UDP, SCTP, ICMPv4, ICMPv6 or ICMP (both)");
    }

    /// <summary>Parses a port (<c>443</c>) or an inclusive range (<c>8000-8080</c>), each 1 to 65535.</summary>
    /// <exception cref="FilterValueException">Not a port or range, or out of range.</exception>
    public static PortRange ParsePort(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var (first, last) = dash < 0 ? (text, text) : (text[..dash], text[(dash + 1)..]);
        if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var a) || !int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var b))
        {
            throw new FilterValueException($"'{text}' is not a port (443) or port range (8000-8080)");
        }
        if (a is < 1 or > 65535 || b is < 1 or > 65535 || a > b)
        {
            throw new FilterValueException($"'{text}': ports must be 1 to 65535{(a > b ? ", the first not above the last" : "")}");
        }
        return new PortRange(a, b);
    }

    /// <summary>Checks a <c>ns/name</c> reference (or <c>name</c> alone when <paramref name="clusterScoped"/>).</summary>
    /// <exception cref="FilterValueException">Not of that form.</exception>
    public static string ParseReference(string text, bool clusterScoped)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Split('/') switch
        {
            [{ Length: > 0 }, { Length: > 0 }] => text,
            [{ Length: > 0 }] when clusterScoped => text,
            _ => throw new FilterValueException($"'{text}' is not NAMESPACE/NAME{(clusterScoped ? " (or NAME of a cluster-scoped policy)" : "")}"),
        };
    }
}
