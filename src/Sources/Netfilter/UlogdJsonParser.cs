using System.Globalization;
using System.Net;
using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Netfilter;

/// <summary>
/// Reads one ulogd2 JSON object. Key names are ulogd's own: the "cim" names src_ip/dest_ip/src_port/dest_port where the
/// stack's plugins give them (IP2STR, BASE), else ip.saddr.str/ip.daddr.str and tcp./udp./sctp.sport/dport.
/// </summary>
internal sealed class UlogdJsonParser : ILineParser
{
    // 9999-12-31T23:59:59Z: later epoch seconds are garbage, and would overflow nanoseconds.
    private const long MaxSeconds = 253_402_300_799;

    private readonly FormatOptions _options;
    private readonly PrefixRules _rules;
    private readonly string? _optionsError;

    public UlogdJsonParser(FormatOptions options)
    {
        _options = options;
        _optionsError = Packet.OptionsError(options, out _rules);
    }

    public void Parse(LineContext line, RecordSink sink)
    {
        if (_optionsError is not null)
        {
            sink.Reject(_optionsError);
            return;
        }
        try
        {
            using var doc = JsonDocument.Parse(line.Bytes);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                sink.Reject("not a JSON object");
                return;
            }
            Read(root, line, sink);
        }
        catch (JsonException e)
        {
            sink.Reject($"invalid or truncated JSON at byte {e.BytePositionInLine + 1}");
        }
    }

    private void Read(JsonElement r, LineContext line, RecordSink sink)
    {
        if (Has(r, "flow.start.sec") || Has(r, "ct.id") || Has(r, "orig.ip.saddr.str") || Has(r, "orig.ip.saddr"))
        {
            sink.Skip("conntrack flow (NFCT)");
            return;
        }
        if (Has(r, "sum.name") || Has(r, "sum.pkts"))
        {
            sink.Skip("accounting (NFACCT)");
            return;
        }
        var srcText = String(r, "src_ip") ?? String(r, "ip.saddr.str");
        var dstText = String(r, "dest_ip") ?? String(r, "ip.daddr.str");
        if (srcText is null || dstText is null)
        {
            if (Has(r, "arp.saddr") || Has(r, "arp.operation"))
            {
                sink.Skip("ARP packet");
                return;
            }
            sink.Reject("no src_ip/dest_ip (ip.saddr.str/ip.daddr.str): the ulogd stack needs the IP2STR filter before JSON");
            return;
        }
        if (!IPAddress.TryParse(srcText, out var src))
        {
            sink.Reject($"bad src_ip '{srcText}'");
            return;
        }
        if (!IPAddress.TryParse(dstText, out var dst))
        {
            sink.Reject($"bad dest_ip '{dstText}'");
            return;
        }
        var error = ReadTime(r, out var time);
        if (error is not null)
        {
            sink.Reject(error);
            return;
        }
        var protoNumber = Int(r, "ip.protocol") ?? Int(r, "ip6.nexthdr");
        var protocol = protoNumber is { } n ? Packet.ProtocolOf(n.ToString(CultureInfo.InvariantCulture)) : Protocol.Unknown;
        var srcPort = Int(r, "src_port") ?? Int(r, "tcp.sport") ?? Int(r, "udp.sport") ?? Int(r, "sctp.sport");
        var dstPort = Int(r, "dest_port") ?? Int(r, "tcp.dport") ?? Int(r, "udp.dport") ?? Int(r, "sctp.dport");
        if (srcPort is < 0 or > 65535 || dstPort is < 0 or > 65535)
        {
            sink.Reject($"port out of range ({srcPort}, {dstPort})");
            return;
        }
        long? icmpType = null, icmpCode = null;
        if (protocol == Protocol.IcmpV4)
        {
            (icmpType, icmpCode) = (Int(r, "icmp.type"), Int(r, "icmp.code"));
        }
        else if (protocol == Protocol.IcmpV6)
        {
            (icmpType, icmpCode) = (Int(r, "icmpv6.type"), Int(r, "icmpv6.code"));
        }
        if (icmpType is < 0 or > 255 || icmpCode is < 0 or > 255)
        {
            sink.Reject($"ICMP type/code out of range ({icmpType}, {icmpCode})");
            return;
        }
        var packet = new Packet
        {
            Src = src,
            Dst = dst,
            SrcPort = (int?)srcPort,
            DstPort = (int?)dstPort,
            Protocol = protocol,
            IcmpType = (int?)icmpType,
            IcmpCode = (int?)icmpCode,
            In = String(r, "oob.in"),
            Out = String(r, "oob.out"),
        };
        var prefix = String(r, "oob.prefix") ?? "";
        var record = packet.ToRecord(time, line.Source(_options.Node), prefix, _rules);
        if (record.Reported.Verdict == ReportedVerdict.Unknown && String(r, "action") is { } action)
        {
            // boolean_label=1 turns the NFLOG stack's label into "action": "allowed"|"blocked".
            record = record with
            {
                Reported = record.Reported with
                {
                    Verdict = action switch
                    {
                        "allowed" => ReportedVerdict.Allowed,
                        "blocked" => ReportedVerdict.Denied,
                        _ => ReportedVerdict.Unknown,
                    },
                    RawVerdict = action,
                },
            };
        }
        sink.Emit(record);
    }

    /// <summary>
    /// oob.time.sec/usec (the kernel's packet time, UTC) when present; else "timestamp"/"@timestamp", which ulogd prints in
    /// its local time - with an offset in most builds, without one in some (2.0.8), then read in --timezone.
    /// </summary>
    private string? ReadTime(JsonElement r, out Timestamp time)
    {
        time = default;
        if (Int(r, "oob.time.sec") is { } sec)
        {
            var usec = Int(r, "oob.time.usec");
            if (usec is < 0 or > 999_999 || sec is < 0 or > MaxSeconds)
            {
                return $"bad oob.time.sec/usec ({sec}, {usec})";
            }
            time = usec is { } us ? Timestamp.FromSecondsAndNanos(sec, (int)us * 1000, 6) : Timestamp.FromSecondsAndNanos(sec, 0, 0);
            return null;
        }
        var stamp = String(r, "timestamp") ?? String(r, "@timestamp");
        if (stamp is null)
        {
            return "no time: neither oob.time.sec nor timestamp";
        }
        // ulogd 2.0.8 can leave a control character where the zone should be (a bug in its zone cache): drop it.
        var clean = new string(stamp.Where(c => !char.IsControl(c)).ToArray());
        if (NetfilterParser.TryRfc3339(clean, out time))
        {
            return null;
        }
        if (Timestamp.TryParseLocal(clean, ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF"], _options.TimeZone, out time))
        {
            return null;
        }
        return $"bad timestamp '{stamp}'";
    }

    private static bool Has(JsonElement r, string name) => r.TryGetProperty(name, out _);

    private static string? String(JsonElement r, string name) =>
        r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Int(JsonElement r, string name) =>
        r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;
}
