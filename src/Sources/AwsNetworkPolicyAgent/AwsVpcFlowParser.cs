using System.Globalization;
using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.AwsNetworkPolicyAgent;

/// <summary>
/// Reads VPC Flow Log records. Each record aggregates one 5-tuple on one network interface over a 1- or 10-minute
/// window; ACCEPT/REJECT are security-group and network-ACL decisions, not Kubernetes NetworkPolicy.
/// NODATA and SKIPDATA records say the window holds nothing (no traffic, or records skipped) and become gaps.
/// </summary>
internal sealed class AwsVpcFlowParser(FormatOptions options) : ILineParser
{
    /// <summary>The version 2 default format, in order.</summary>
    internal static readonly string[] DefaultFields =
    [
        "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
        "packets", "bytes", "start", "end", "action", "log-status",
    ];

    private Dictionary<string, int> _columns = Index(DefaultFields);
    private int _width = DefaultFields.Length;
    private bool _sawHeader;

    /// <summary>The header line S3 delivery writes first: the field names of the chosen format.</summary>
    internal static bool IsHeader(string[] tokens) =>
        tokens.Length >= 2 && tokens.Contains("srcaddr") && tokens.Contains("dstaddr") && !tokens.Any(t => t.Length > 0 && char.IsAsciiDigit(t[0]));

    public void Parse(LineContext line, RecordSink sink)
    {
        var tokens = line.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (IsHeader(tokens))
        {
            // A custom format's field order lives only here; later lines of this input follow it.
            _columns = Index(tokens);
            _width = tokens.Length;
            _sawHeader = true;
            sink.Skip("header");
            return;
        }
        if (tokens.Length != _width)
        {
            sink.Reject(_sawHeader
                ? $"{tokens.Length} fields where the header names {_width}"
                : $"{tokens.Length} fields: not the version 2 default format (14 fields), and no header line gives a custom field order");
            return;
        }
        string? Field(string name) => _columns.TryGetValue(name, out var i) && tokens[i] != "-" ? tokens[i] : null;

        if (!AwsTime.TryParseUnixSeconds(Field("start") ?? "", out var start))
        {
            sink.Reject($"bad or missing start '{Field("start")}'");
            return;
        }
        Timestamp? end = null;
        if (Field("end") is { } endText)
        {
            if (!AwsTime.TryParseUnixSeconds(endText, out var e))
            {
                sink.Reject($"bad end '{endText}'");
                return;
            }
            end = e;
        }
        var eni = Field("interface-id") ?? "an unnamed interface";
        var status = Field("log-status");
        switch (status)
        {
            case "NODATA":
                sink.Emit(new GapRecord
                {
                    Time = start, End = end, Source = line.Source(options.Node),
                    Reason = $"aws vpc flow logs NODATA: no traffic recorded on {eni} in the window",
                });
                return;
            case "SKIPDATA":
                sink.Emit(new GapRecord
                {
                    Time = start, End = end, Source = line.Source(options.Node),
                    Reason = $"aws vpc flow logs SKIPDATA: records skipped on {eni} in the window (capacity or internal error)",
                });
                return;
            case "OK" or null:
                break;
            default:
                sink.Reject($"unknown log-status '{status}'");
                return;
        }
        var action = Field("action");
        var verdict = action switch
        {
            "ACCEPT" => ReportedVerdict.Allowed,
            "REJECT" => ReportedVerdict.Denied,
            _ => ReportedVerdict.Unknown,
        };
        if (verdict == ReportedVerdict.Unknown)
        {
            sink.Reject($"unknown or missing action '{action}'");
            return;
        }
        // pkt-srcaddr/pkt-dstaddr (v3+) are the packet's own addresses, before any NAT of an intermediate interface.
        var srcText = Field("pkt-srcaddr") ?? Field("srcaddr");
        var dstText = Field("pkt-dstaddr") ?? Field("dstaddr");
        IPAddress? srcIp = null, dstIp = null;
        if (srcText is not null && !IPAddress.TryParse(srcText, out srcIp))
        {
            sink.Reject($"bad srcaddr '{srcText}'");
            return;
        }
        if (dstText is not null && !IPAddress.TryParse(dstText, out dstIp))
        {
            sink.Reject($"bad dstaddr '{dstText}'");
            return;
        }
        if (!TryNumber(Field("srcport"), 65535, out var srcPort) || !TryNumber(Field("dstport"), 65535, out var dstPort))
        {
            sink.Reject($"bad port '{Field("srcport")}' or '{Field("dstport")}'");
            return;
        }
        if (!TryNumber(Field("protocol"), 255, out var protocolNumber))
        {
            sink.Reject($"bad protocol '{Field("protocol")}'");
            return;
        }
        if (!TryNumber(Field("packets"), long.MaxValue, out var packets) || !TryNumber(Field("bytes"), long.MaxValue, out var bytes))
        {
            sink.Reject($"bad packets '{Field("packets")}' or bytes '{Field("bytes")}'");
            return;
        }
        var protocol = protocolNumber switch
        {
            6 => Protocol.Tcp,
            17 => Protocol.Udp,
            132 => Protocol.Sctp,
            1 => Protocol.IcmpV4,
            58 => Protocol.IcmpV6,
            _ => Protocol.Unknown,
        };
        if (!protocol.HasPorts())
        {
            // Flow Logs write 0 for the ports of portless protocols.
            srcPort = srcPort == 0 ? null : srcPort;
            dstPort = dstPort == 0 ? null : dstPort;
        }
        sink.Emit(new FlowRecord
        {
            Time = start,
            Source = line.Source(options.Node),
            Src = new FlowEndpoint { IP = srcIp, Port = (int?)srcPort },
            Dst = new FlowEndpoint { IP = dstIp, Port = (int?)dstPort },
            Protocol = protocol,
            Direction = Field("flow-direction") switch
            {
                "ingress" => FlowDirection.Ingress,
                "egress" => FlowDirection.Egress,
                _ => FlowDirection.Unknown,
            },
            Reported = new ReportedOutcome
            {
                Verdict = verdict,
                RawVerdict = action,
                DropReason = Field("reject-reason"),
            },
            Packets = packets,
            Bytes = bytes,
            WindowStart = start,
            WindowEnd = end,
        });
    }

    private static bool TryNumber(string? text, long max, out long? value)
    {
        value = null;
        if (text is null)
        {
            return true;
        }
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > max)
        {
            return false;
        }
        value = n;
        return true;
    }

    private static Dictionary<string, int> Index(string[] names)
    {
        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            // S3 headers spell fields with hyphens, the console's format string with ${...} and sometimes underscores.
            var name = names[i].Trim('$', '{', '}').Replace('_', '-');
            columns.TryAdd(name, i);
        }
        return columns;
    }
}
