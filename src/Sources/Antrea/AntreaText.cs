using System.Globalization;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;

namespace PolicyTrail.Sources.Antrea;

/// <summary>Vocabulary both Antrea formats share: policy references, rule actions, protocols, the L7 engine's eve lines.</summary>
internal static class AntreaText
{
    /// <summary>Skip category for Suricata eve.json lines of Antrea's L7 engine (its own log, not flows of these formats).</summary>
    public const string EveCategory = "antrea-l7-engine-eve";

    /// <summary>The placeholder Antrea writes for an empty field.</summary>
    public const string Nil = "<nil>";

    /// <summary>A structured policy reference; Name is null for the bare kind Antrea logs for K8s isolation (default deny).</summary>
    public readonly record struct PolicyRef(string? Kind, string? Namespace, string? Name);

    /// <summary>
    /// Reads an np.log policy reference: "Kind:ns/name" (namespaced), "Kind:name" (cluster-scoped), a bare kind
    /// ("K8sNetworkPolicy": the pod is isolated and no rule allowed the packet), or a kind-less "ns/name".
    /// </summary>
    public static PolicyRef ParsePolicyRef(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        string? kind = null;
        var rest = text;
        if (colon > 0)
        {
            kind = text[..colon];
            rest = text[(colon + 1)..];
        }
        else if (IsPolicyKind(text))
        {
            return new PolicyRef(text, null, null);
        }
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        return slash > 0
            ? new PolicyRef(kind, rest[..slash], rest[(slash + 1)..])
            : new PolicyRef(kind, null, rest);
    }

    /// <summary>Whether the token names an Antrea policy type (K8sNetworkPolicy, AntreaClusterNetworkPolicy, AdminNetworkPolicy, ...).</summary>
    public static bool IsPolicyKind(ReadOnlySpan<char> token)
    {
        if (!token.EndsWith("NetworkPolicy", StringComparison.Ordinal))
        {
            return false;
        }
        foreach (var c in token)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The verdict of a rule action. Pass (delegated to a lower tier) and Redirect (handed to the L7 engine) are no
    /// final decision, so they are Unknown; the raw word stays in RawVerdict.
    /// </summary>
    public static ReportedVerdict Verdict(string action) => action switch
    {
        "Allow" => ReportedVerdict.Allowed,
        "Drop" or "Reject" => ReportedVerdict.Denied,
        _ => ReportedVerdict.Unknown,
    };

    /// <summary>The action in PolicyHit's lower-case vocabulary (Drop is deny; the others keep Antrea's word).</summary>
    public static string HitAction(string action) => action switch
    {
        "Allow" => "allow",
        "Drop" => "deny",
        "Reject" => "reject",
        "Pass" => "pass",
        "Redirect" => "redirect",
        _ => action,
    };

    /// <summary>Antrea's protocol spellings (ip.IPProtocolNumberToString) and IANA numbers; anything else is Unknown.</summary>
    public static Protocol ParseProtocol(string text) => text switch
    {
        "TCP" or "6" => Protocol.Tcp,
        "UDP" or "17" => Protocol.Udp,
        "SCTP" or "132" => Protocol.Sctp,
        "ICMP" or "1" => Protocol.IcmpV4,
        "IPv6-ICMP" or "58" => Protocol.IcmpV6,
        _ => Protocol.Unknown,
    };

    /// <summary>Parses a port: digits in 0..65535.</summary>
    public static bool TryParsePort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535;

    /// <summary>
    /// Whether a line belongs to the L7 engine's eve.json (one object per line, or pretty-printed as in Antrea's docs):
    /// an eve object, or, once an object has been opened in the input, any fragment of one.
    /// </summary>
    public static bool IsEveLine(string text, ref bool sawJson)
    {
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.IsEmpty)
        {
            return false;
        }
        if (trimmed[0] == '{')
        {
            // Suricata's own keys, so that another CNI's JSON forced through these parsers is rejected, not skipped.
            var eve = trimmed.Length == 1 || trimmed.Contains("\"flow_id\"", StringComparison.Ordinal)
                || trimmed.Contains("\"in_iface\"", StringComparison.Ordinal);
            sawJson |= eve;
            return eve;
        }
        return sawJson && trimmed[0] is '}' or ']' or '[' or '"' or '-' or (>= '0' and <= '9') or 't' or 'f' or 'n'
            && !LooksLikeNpDate(trimmed);
    }

    private static bool LooksLikeNpDate(ReadOnlySpan<char> text) => text.Length > 10 && text[4] == '/' && text[7] == '/';

    /// <summary>
    /// Parses a Go time.Duration string ("1.011379442s", "999.5ms", "1m2.5s", "800ns", "0s") into nanoseconds.
    /// </summary>
    public static bool TryParseGoDuration(ReadOnlySpan<char> text, out long nanos)
    {
        nanos = 0;
        if (text is "0")
        {
            return true;
        }
        if (text.IsEmpty)
        {
            return false;
        }
        var i = 0;
        while (i < text.Length)
        {
            long whole = 0;
            long fraction = 0;
            long scale = 1;
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                if (whole > long.MaxValue / 100)
                {
                    return false;
                }
                whole = whole * 10 + (text[i++] - '0');
            }
            if (i < text.Length && text[i] == '.')
            {
                i++;
                while (i < text.Length && char.IsAsciiDigit(text[i]))
                {
                    if (scale < 1_000_000_000_000)
                    {
                        fraction = fraction * 10 + (text[i] - '0');
                        scale *= 10;
                    }
                    i++;
                }
            }
            if (i == start)
            {
                return false;
            }
            long unit;
            if (text[i..].StartsWith("ns")) { unit = 1; i += 2; }
            else if (text[i..].StartsWith("us")) { unit = 1_000; i += 2; }
            else if (text[i..].StartsWith("µs") || text[i..].StartsWith("μs")) { unit = 1_000; i += 2; }
            else if (text[i..].StartsWith("ms")) { unit = 1_000_000; i += 2; }
            else if (i < text.Length && text[i] == 's') { unit = 1_000_000_000; i++; }
            else if (i < text.Length && text[i] == 'm') { unit = 60_000_000_000; i++; }
            else if (i < text.Length && text[i] == 'h') { unit = 3_600_000_000_000; i++; }
            else { return false; }
            try
            {
                nanos = checked(nanos + whole * unit + (long)((decimal)fraction * unit / scale));
            }
            catch (OverflowException)
            {
                return false;
            }
        }
        return true;
    }
}
