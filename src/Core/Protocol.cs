namespace PolicyTrail.Core;

/// <summary>A transport protocol as NetworkPolicy and the flow sources name it.</summary>
public enum Protocol
{
    /// <summary>Not known or not reported.</summary>
    Unknown = 0,
    /// <summary>TCP.</summary>
    Tcp,
    /// <summary>UDP.</summary>
    Udp,
    /// <summary>SCTP.</summary>
    Sctp,
    /// <summary>ICMP for IPv4.</summary>
    IcmpV4,
    /// <summary>ICMP for IPv6.</summary>
    IcmpV6,
}

/// <summary>Parsing and printing of <see cref="Protocol"/> in the spelling Kubernetes uses.</summary>
public static class ProtocolNames
{
    /// <summary>The canonical name: TCP, UDP, SCTP, ICMPv4, ICMPv6.</summary>
    public static string ToName(this Protocol protocol) => protocol switch
    {
        Protocol.Tcp => "TCP",
        Protocol.Udp => "UDP",
        Protocol.Sctp => "SCTP",
        Protocol.IcmpV4 => "ICMPv4",
        Protocol.IcmpV6 => "ICMPv6",
        _ => "unknown",
    };

    /// <summary>Parses a protocol name, case-insensitively; ICMP means ICMPv4.</summary>
    public static bool TryParse(string? text, out Protocol protocol)
    {
        protocol = text?.Trim().ToUpperInvariant() switch
        {
            "TCP" => Protocol.Tcp,
            "UDP" => Protocol.Udp,
            "SCTP" => Protocol.Sctp,
            "ICMP" or "ICMPV4" => Protocol.IcmpV4,
            "ICMPV6" or "IPV6-ICMP" => Protocol.IcmpV6,
            _ => Protocol.Unknown,
        };
        return protocol != Protocol.Unknown;
    }

    /// <summary>Whether NetworkPolicy port rules can name this protocol (TCP, UDP, SCTP).</summary>
    public static bool HasPorts(this Protocol protocol) =>
        protocol is Protocol.Tcp or Protocol.Udp or Protocol.Sctp;
}
