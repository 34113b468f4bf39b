using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Netfilter;

/// <summary>The packet fields a netfilter log record gives, whichever way it was written (kernel LOG line or ulogd JSON).</summary>
internal sealed class Packet
{
    public required IPAddress Src { get; init; }
    public required IPAddress Dst { get; init; }
    public int? SrcPort { get; init; }
    public int? DstPort { get; init; }
    public Protocol Protocol { get; init; }
    public int? IcmpType { get; init; }
    public int? IcmpCode { get; init; }
    public string? In { get; init; }
    public string? Out { get; init; }

    /// <summary>The protocol for a kernel PROTO= word or an IP protocol number; Unknown for anything a flow record cannot name.</summary>
    public static Protocol ProtocolOf(string word) => word switch
    {
        "TCP" or "6" => Protocol.Tcp,
        "UDP" or "17" => Protocol.Udp,
        "SCTP" or "132" => Protocol.Sctp,
        "ICMP" or "1" => Protocol.IcmpV4,
        "ICMPv6" or "ICMPV6" or "58" => Protocol.IcmpV6,
        _ => Protocol.Unknown,
    };

    /// <summary>
    /// The direction relative to the network namespace whose rule logged the packet: arriving (IN only: PREROUTING,
    /// INPUT) is ingress, leaving (OUT only: OUTPUT, POSTROUTING) is egress, forwarded (both) is unknown - except with
    /// the calico preset, where a forwarded packet into a cali* interface is ingress to that pod and one out of a cali*
    /// interface is egress from it.
    /// </summary>
    public FlowDirection Direction(bool calico)
    {
        var hasIn = !string.IsNullOrEmpty(In);
        var hasOut = !string.IsNullOrEmpty(Out);
        if (hasIn && !hasOut)
        {
            return FlowDirection.Ingress;
        }
        if (hasOut && !hasIn)
        {
            return FlowDirection.Egress;
        }
        if (calico && hasIn && hasOut)
        {
            var fromPod = In!.StartsWith("cali", StringComparison.Ordinal);
            var toPod = Out!.StartsWith("cali", StringComparison.Ordinal);
            if (toPod && !fromPod)
            {
                return FlowDirection.Ingress;
            }
            if (fromPod && !toPod)
            {
                return FlowDirection.Egress;
            }
        }
        return FlowDirection.Unknown;
    }

    /// <summary>The flow record for this packet, its prefix mapped through the rules.</summary>
    public FlowRecord ToRecord(Timestamp time, SourceRef source, string prefix, PrefixRules rules)
    {
        var outcome = rules.Map(prefix);
        return new FlowRecord
        {
            Time = time,
            Source = source,
            Src = new FlowEndpoint { IP = Src, Port = SrcPort },
            Dst = new FlowEndpoint { IP = Dst, Port = DstPort },
            Protocol = Protocol,
            Direction = Direction(rules.Calico),
            Icmp = IcmpType is { } type ? (type, IcmpCode ?? 0) : null,
            Reported = new ReportedOutcome
            {
                Verdict = outcome.Verdict,
                RawVerdict = outcome.RawVerdict,
                Policies = outcome.Policies,
                Hits = outcome.Hits,
                Rule = prefix.Length == 0 ? null : prefix,
            },
        };
    }

    /// <summary>True when the text is absent (port null) or a port number 0-65535.</summary>
    public static bool TryPort(string? text, out int? port)
    {
        port = null;
        if (text is null)
        {
            return true;
        }
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) && p <= 65535)
        {
            port = p;
            return true;
        }
        return false;
    }

    /// <summary>The parser's options error, if any: every line is rejected with it rather than read with a rule missing.</summary>
    public static string? OptionsError(FormatOptions options, out PrefixRules rules)
    {
        rules = PrefixRules.Parse(options.NetfilterPrefixes);
        return rules.Error;
    }
}
