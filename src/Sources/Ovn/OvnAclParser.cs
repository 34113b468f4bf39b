using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Ovn;

/// <summary>
/// Reads one ovn-controller log line. An ACL hit is
/// <c>TIME|SEQ|acl_log(THREAD)|LEVEL|name="ACL", verdict=V, severity=S[, direction=D]: FLOW</c>, where TIME is the
/// OVS vlog default (ISO 8601 UTC, milliseconds), name is JSON-quoted, direction exists since OVN 21.x, and FLOW is
/// the packet headers in OpenFlow match syntax (OVS <c>flow_format</c>). Any text before TIME (journald, syslog,
/// kubectl --timestamps) is ignored: TIME is the event time.
/// </summary>
internal sealed class OvnAclParser(FormatOptions options) : ILineParser
{
    private const string AclModule = "|acl_log";
    private static readonly string[] LocalTimeFormats =
        ["yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss"];

    public void Parse(LineContext line, RecordSink sink)
    {
        var text = line.Text.TrimEnd();
        var module = text.IndexOf(AclModule, StringComparison.Ordinal);
        if (module < 0)
        {
            if (LooksLikeVlog(text))
            {
                sink.Skip("ovn-controller message (not acl_log)");
            }
            else
            {
                sink.Reject("not an ovn-controller log line (no \"|acl_log\" module, no vlog header)");
            }
            return;
        }

        // TIME|SEQ before the module; whatever precedes TIME is a wrapper's prefix.
        var head = text.AsSpan(0, module);
        var bar = head.LastIndexOf('|');
        if (bar < 0 || !IsDigits(head[(bar + 1)..]))
        {
            sink.Reject("no vlog sequence number before \"|acl_log\"");
            return;
        }
        var timeText = head[..bar].ToString();
        if (timeText.EndsWith("ovs", StringComparison.Ordinal))
        {
            sink.Reject("syslog-format line (\"ovs|seq|acl_log\") carries no ovn-controller timestamp: event time unknown");
            return;
        }
        if (!TryTime(timeText, out var time))
        {
            sink.Reject($"bad vlog timestamp '{Tail(timeText)}' before \"|acl_log\"");
            return;
        }

        // acl_log(THREAD)|LEVEL|message
        var rest = text.AsSpan(module + AclModule.Length);
        if (rest.Length > 0 && rest[0] == '(')
        {
            var close = rest.IndexOf(')');
            if (close < 0)
            {
                sink.Reject("unterminated thread name after acl_log(");
                return;
            }
            rest = rest[(close + 1)..];
        }
        if (rest.Length == 0 || rest[0] != '|')
        {
            sink.Reject("no '|' after the acl_log module");
            return;
        }
        rest = rest[1..];
        var levelEnd = rest.IndexOf('|');
        if (levelEnd < 0)
        {
            sink.Reject("no log level after the acl_log module");
            return;
        }
        var message = rest[(levelEnd + 1)..];
        if (message.StartsWith("Dropped ", StringComparison.Ordinal))
        {
            EmitRateLimitGap(line, sink, time, message.ToString());
            return;
        }
        ParseHit(line, sink, time, message.ToString());
    }

    /// <summary>Whether a line has the OVS vlog shape "YYYY-MM-DDTHH:MM:SS.mmmZ|NNNNN|module|LEVEL|".</summary>
    public static bool LooksLikeVlog(string line)
    {
        var bars = line.Split('|', 5);
        return bars.Length == 5 && bars[0].Length >= 19 && bars[0][4] == '-' && bars[0][10] == 'T' && IsDigits(bars[1])
            && bars[2].Length > 0 && bars[3] is "EMER" or "ERR" or "WARN" or "INFO" or "DBG";
    }

    private void ParseHit(LineContext line, RecordSink sink, Timestamp time, string message)
    {
        if (!message.StartsWith("name=", StringComparison.Ordinal))
        {
            sink.Reject("acl_log message does not start with name=");
            return;
        }
        var pos = 5;
        string name;
        if (pos < message.Length && message[pos] == '"')
        {
            if (!TryJsonString(message, ref pos, out name))
            {
                sink.Reject("unterminated or badly escaped ACL name");
                return;
            }
        }
        else
        {
            // Unquoted names are accepted for robustness; they cannot contain ", ".
            var end = message.IndexOf(", ", pos, StringComparison.Ordinal);
            if (end < 0)
            {
                sink.Reject("no verdict after the ACL name");
                return;
            }
            name = message[pos..end];
            pos = end;
        }

        string? verdict = null, severity = null, directionWord = null;
        while (pos < message.Length && message[pos] == ',')
        {
            pos++;
            while (pos < message.Length && message[pos] == ' ')
            {
                pos++;
            }
            var eq = message.IndexOf('=', pos);
            if (eq < 0)
            {
                sink.Reject($"bad attribute '{Tail(message[pos..])}' after the ACL name");
                return;
            }
            var key = message[pos..eq];
            var end = message.IndexOfAny([',', ':'], eq + 1);
            if (end < 0)
            {
                sink.Reject("no ': ' between the ACL attributes and the flow");
                return;
            }
            var value = message[(eq + 1)..end].Trim('"');
            switch (key)
            {
                case "verdict": verdict = value; break;
                case "severity": severity = value; break;
                case "direction": directionWord = value; break;
            }
            pos = end;
        }
        if (pos >= message.Length || message[pos] != ':')
        {
            sink.Reject("no ': ' between the ACL attributes and the flow");
            return;
        }
        if (verdict is null)
        {
            sink.Reject("no verdict= in the acl_log line");
            return;
        }
        var reported = verdict switch
        {
            "allow" or "allow-related" or "allow-stateless" => ReportedVerdict.Allowed,
            "drop" or "reject" => ReportedVerdict.Denied,
            // pass hands the decision to the next tier (NetworkPolicy, then BaselineAdminNetworkPolicy): not a verdict.
            "pass" or "<unknown>" => ReportedVerdict.Unknown,
            _ => (ReportedVerdict?)null,
        };
        if (reported is null)
        {
            sink.Reject($"unknown verdict '{verdict}'");
            return;
        }
        FlowDirection direction;
        switch (directionWord)
        {
            case null: direction = FlowDirection.Unknown; break;
            case "to-lport": direction = FlowDirection.Ingress; break;
            case "from-lport": direction = FlowDirection.Egress; break;
            default:
                sink.Reject($"unknown direction '{directionWord}'");
                return;
        }
        if (severity is { Length: 0 })
        {
            sink.Reject("empty severity");
            return;
        }

        var flowText = message.AsSpan(pos + 1).TrimStart(' ');
        if (!OvsFlow.TryParse(flowText, out var flow, out var problem))
        {
            sink.Reject(problem);
            return;
        }
        if (flow.NonIp is { } nonIp)
        {
            sink.Skip($"acl_log non-IP packet ({nonIp})");
            return;
        }

        var hitDirection = direction switch { FlowDirection.Ingress => "ingress", FlowDirection.Egress => "egress", _ => null };
        var hit = OvnAclName.Parse(name, OvnAclName.ActionFor(verdict), hitDirection);
        if (direction == FlowDirection.Unknown && hit?.Direction is { } fromName)
        {
            // Before OVN printed direction=, the ACL name is the only witness of the side.
            direction = fromName == "ingress" ? FlowDirection.Ingress : FlowDirection.Egress;
        }
        var named = name.Length > 0 && name != "<unnamed>";
        sink.Emit(new FlowRecord
        {
            Time = time,
            Source = line.Source(options.Node),
            Src = new FlowEndpoint { IP = flow.Src, Port = flow.SrcPort },
            Dst = new FlowEndpoint { IP = flow.Dst, Port = flow.DstPort },
            Protocol = flow.Protocol,
            Direction = direction,
            Icmp = flow.Icmp,
            Reported = new ReportedOutcome
            {
                Verdict = reported.Value,
                RawVerdict = verdict,
                Policies = named ? [name] : [],
                Hits = hit is null ? null : [hit],
            },
        });
    }

    private void EmitRateLimitGap(LineContext line, RecordSink sink, Timestamp time, string message)
    {
        // vlog's own rate limiter: "Dropped N log messages in last S seconds (most recently, R seconds ago) due to excessive rate".
        var parts = message.Split(' ');
        if (parts.Length < 3 || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var lost) || parts[2] != "log")
        {
            sink.Reject("unreadable acl_log \"Dropped\" message");
            return;
        }
        sink.Emit(new GapRecord
        {
            Time = time,
            Source = line.Source(options.Node),
            Reason = "ovn-controller dropped acl_log messages (vlog rate limit): " + message,
            Lost = lost,
        });
    }

    private bool TryTime(string text, out Timestamp time)
    {
        var candidate = text.Trim();
        if (Timestamp.TryParseRfc3339(candidate, out time))
        {
            return true;
        }
        // A wrapper's prefix (journald, syslog, kubectl --timestamps) ends with a space before the vlog time.
        var space = candidate.LastIndexOf(' ');
        if (space >= 0 && Timestamp.TryParseRfc3339(candidate.AsSpan(space + 1), out time))
        {
            return true;
        }
        // A custom vlog pattern without a zone: the configured zone, never a silent guess.
        return Timestamp.TryParseLocal(candidate, LocalTimeFormats, options.TimeZone, out time)
            || (space >= 0 && Timestamp.TryParseLocal(candidate[(space + 1)..], LocalTimeFormats, options.TimeZone, out time));
    }

    /// <summary>Reads a JSON string literal starting at the opening quote; pos ends after the closing quote.</summary>
    private static bool TryJsonString(string text, ref int pos, out string value)
    {
        var sb = new StringBuilder();
        value = "";
        var i = pos + 1;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '"')
            {
                value = sb.ToString();
                pos = i + 1;
                return true;
            }
            if (c != '\\')
            {
                sb.Append(c);
                i++;
                continue;
            }
            if (i + 1 >= text.Length)
            {
                return false;
            }
            var e = text[i + 1];
            switch (e)
            {
                case '"' or '\\' or '/': sb.Append(e); i += 2; break;
                case 'b': sb.Append('\b'); i += 2; break;
                case 'f': sb.Append('\f'); i += 2; break;
                case 'n': sb.Append('\n'); i += 2; break;
                case 'r': sb.Append('\r'); i += 2; break;
                case 't': sb.Append('\t'); i += 2; break;
                case 'u' when i + 6 <= text.Length
                    && ushort.TryParse(text.AsSpan(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code):
                    sb.Append((char)code);
                    i += 6;
                    break;
                default:
                    return false;
            }
        }
        return false;
    }

    private static bool IsDigits(ReadOnlySpan<char> text) => text.Length > 0 && text.IndexOfAnyExceptInRange('0', '9') < 0;

    private static string Tail(string text) => text.Length <= 40 ? text : "…" + text[^40..];
}

/// <summary>The packet headers of an acl_log line, in OVS OpenFlow match syntax ("tcp,vlan_tci=...,nw_src=...").</summary>
internal readonly record struct OvsFlow(Protocol Protocol, IPAddress? Src, IPAddress? Dst, int? SrcPort, int? DstPort, (int Type, int Code)? Icmp, string? NonIp)
{
    /// <summary>Parses the flow text; on failure, problem says what is wrong and where.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out OvsFlow flow, out string problem)
    {
        flow = default;
        problem = "";
        if (text.IsEmpty)
        {
            problem = "empty flow after ': '";
            return false;
        }
        string? protocolWord = null;
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var range in text.Split(','))
        {
            var token = text[range];
            if (token.IsEmpty)
            {
                problem = "empty field in the flow";
                return false;
            }
            var eq = token.IndexOf('=');
            if (eq < 0)
            {
                if (protocolWord is not null || fields.Count > 0)
                {
                    problem = $"unexpected '{token}' in the flow";
                    return false;
                }
                protocolWord = token.ToString();
                continue;
            }
            var key = token[..eq].ToString();
            var value = token[(eq + 1)..];
            if (value.Contains('='))
            {
                problem = $"flow field {key}='{value}' holds a second '=': two log lines spliced together?";
                return false;
            }
            if (!fields.TryAdd(key, value.ToString()))
            {
                problem = $"flow field {key} appears twice: two log lines spliced together?";
                return false;
            }
        }
        if (protocolWord is null)
        {
            problem = "flow names no protocol (tcp, udp, sctp, icmp, ip...)";
            return false;
        }
        bool v6;
        Protocol protocol;
        switch (protocolWord)
        {
            case "tcp": (protocol, v6) = (Protocol.Tcp, false); break;
            case "udp": (protocol, v6) = (Protocol.Udp, false); break;
            case "sctp": (protocol, v6) = (Protocol.Sctp, false); break;
            case "icmp": (protocol, v6) = (Protocol.IcmpV4, false); break;
            case "tcp6": (protocol, v6) = (Protocol.Tcp, true); break;
            case "udp6": (protocol, v6) = (Protocol.Udp, true); break;
            case "sctp6": (protocol, v6) = (Protocol.Sctp, true); break;
            case "icmp6": (protocol, v6) = (Protocol.IcmpV6, true); break;
            case "ip": (protocol, v6) = (Protocol.Unknown, false); break;
            case "ipv6": (protocol, v6) = (Protocol.Unknown, true); break;
            case "arp" or "rarp" or "mpls" or "mplsm" or "nsh":
                flow = new OvsFlow(Protocol.Unknown, null, null, null, null, null, protocolWord);
                return true;
            default:
                problem = $"unknown protocol '{protocolWord}' in the flow";
                return false;
        }
        if (protocol == Protocol.Unknown && fields.TryGetValue("nw_proto", out var nwProto))
        {
            protocol = nwProto switch
            {
                "6" => Protocol.Tcp,
                "17" => Protocol.Udp,
                "132" => Protocol.Sctp,
                "1" when !v6 => Protocol.IcmpV4,
                "58" when v6 => Protocol.IcmpV6,
                _ => Protocol.Unknown,
            };
        }
        var (srcKey, dstKey) = v6 ? ("ipv6_src", "ipv6_dst") : ("nw_src", "nw_dst");
        if (!Address(fields, srcKey, v6, out var src, ref problem) || !Address(fields, dstKey, v6, out var dst, ref problem)
            || !Number(fields, "tp_src", 65535, out var srcPort, ref problem) || !Number(fields, "tp_dst", 65535, out var dstPort, ref problem)
            || !Number(fields, "icmp_type", 255, out var icmpType, ref problem) || !Number(fields, "icmp_code", 255, out var icmpCode, ref problem))
        {
            return false;
        }
        var isIcmp = protocol is Protocol.IcmpV4 or Protocol.IcmpV6;
        flow = new OvsFlow(protocol, src, dst,
            isIcmp ? null : srcPort, isIcmp ? null : dstPort,
            isIcmp && icmpType is { } t ? (t, icmpCode ?? 0) : null, null);
        return true;
    }

    private static bool Address(Dictionary<string, string> fields, string key, bool v6, out IPAddress? address, ref string problem)
    {
        address = null;
        if (!fields.TryGetValue(key, out var text))
        {
            problem = $"flow has no {key}";
            return false;
        }
        var family = v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        if (!IPAddress.TryParse(text, out address) || address.AddressFamily != family)
        {
            problem = $"bad {key} '{text}'";
            return false;
        }
        return true;
    }

    private static bool Number(Dictionary<string, string> fields, string key, int max, out int? number, ref string problem)
    {
        number = null;
        if (!fields.TryGetValue(key, out var text))
        {
            return true;
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > max)
        {
            problem = $"bad {key} '{text}'";
            return false;
        }
        number = value;
        return true;
    }
}
