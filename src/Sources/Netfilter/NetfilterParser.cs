using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Netfilter;

/// <summary>
/// Reads one kernel log line: finds its time (and host) from whichever transport wrote it, then the LOG message
/// "&lt;prefix&gt;IN=.. OUT=.. [MAC=..] SRC=.. DST=.. .. PROTO=.. [SPT=.. DPT=..|TYPE=.. CODE=..]" (nf_log_syslog.c).
/// </summary>
internal sealed partial class NetfilterParser : ILineParser
{
    private const string NotLog = "not a netfilter LOG message";

    private readonly FormatOptions _options;
    private readonly PrefixRules _rules;
    private readonly string? _optionsError;

    public NetfilterParser(FormatOptions options)
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
        var text = line.Text.TrimEnd('\r', '\n');
        Header header;
        string? error;
        if (text.TrimStart().StartsWith('{'))
        {
            error = ReadJournalJson(text, out header);
        }
        else
        {
            error = ReadTextHeader(text, line, out header);
        }
        if (error is not null)
        {
            sink.Reject(error);
            return;
        }
        var message = header.Message;
        if (KernelUptime().Match(message) is { Success: true } stamp)
        {
            // rsyslog/klogd keep the kernel's own "[ 1156.246182] " in front of the message; the header has the time.
            message = message[stamp.Length..];
        }
        var core = FindLogCore(message);
        if (core is null)
        {
            sink.Skip(NotLog);
            return;
        }
        if (header.UptimeOnly is { } uptime)
        {
            sink.Reject($"kernel uptime only ('[{uptime}]'), no wall-clock time: the boot time is not in the line, so no UTC time can be given; " +
                        "read the log with `dmesg --time-format iso`, `journalctl -k -o short-iso-precise` or from syslog");
            return;
        }
        var prefix = message[..core.Index];
        error = ReadFields(message, core, out var packet);
        if (error is not null)
        {
            sink.Reject(error);
            return;
        }
        sink.Emit(packet!.ToRecord(header.Time, line.Source(header.Host ?? _options.Node), prefix, _rules));
    }

    /// <summary>The "IN=x OUT=y" that starts the LOG fields, or null when the text has none.</summary>
    internal static Match? FindLogCore(string text) => LogCore().Match(text) is { Success: true } m ? m : null;

    private static string? ReadFields(string message, Match core, out Packet? packet)
    {
        packet = null;
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var token in message[(core.Index + core.Length)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (token[0] == '[')
            {
                // An ICMP error's quoted packet ("[SRC=.. DST=..]") or "INCOMPLETE [n bytes]": not this packet's fields.
                break;
            }
            var eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                // First wins: LEN and ID come twice (IP header, then UDP length / ICMP echo id).
                fields.TryAdd(token[..eq], token[(eq + 1)..]);
            }
        }
        if (!fields.TryGetValue("SRC", out var srcText) || !fields.TryGetValue("DST", out var dstText))
        {
            return "LOG line without SRC= and DST= (ARP or bridge logging is not an IP flow)";
        }
        if (!IPAddress.TryParse(srcText, out var src))
        {
            return $"bad SRC '{srcText}'";
        }
        if (!IPAddress.TryParse(dstText, out var dst))
        {
            return $"bad DST '{dstText}'";
        }
        var protocol = fields.TryGetValue("PROTO", out var protoText) ? Packet.ProtocolOf(protoText) : Protocol.Unknown;
        fields.TryGetValue("SPT", out var sptText);
        fields.TryGetValue("DPT", out var dptText);
        if (!Packet.TryPort(sptText, out var spt))
        {
            return $"bad SPT '{sptText}'";
        }
        if (!Packet.TryPort(dptText, out var dpt))
        {
            return $"bad DPT '{dptText}'";
        }
        int? icmpType = null, icmpCode = null;
        if (protocol is Protocol.IcmpV4 or Protocol.IcmpV6)
        {
            if (fields.TryGetValue("TYPE", out var t))
            {
                if (!byte.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var type))
                {
                    return $"bad ICMP TYPE '{t}'";
                }
                icmpType = type;
            }
            if (fields.TryGetValue("CODE", out var c))
            {
                if (!byte.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var code))
                {
                    return $"bad ICMP CODE '{c}'";
                }
                icmpCode = code;
            }
        }
        packet = new Packet
        {
            Src = src,
            Dst = dst,
            SrcPort = spt,
            DstPort = dpt,
            Protocol = protocol,
            IcmpType = icmpType,
            IcmpCode = icmpCode,
            In = core.Groups["in"].Value,
            Out = core.Groups["out"].Value,
        };
        return null;
    }

    private string? ReadTextHeader(string text, LineContext line, out Header header)
    {
        header = default;
        var s = text;
        if (Pri().Match(s) is { Success: true } pri)
        {
            s = s[pri.Length..];
        }
        if (s.StartsWith("1 ", StringComparison.Ordinal) && s.Length > 2 && (char.IsAsciiDigit(s[2]) || s[2] == '-'))
        {
            return ReadRfc5424(s, out header);
        }
        if (s.Length >= 20 && char.IsAsciiDigit(s[0]) && s[4] == '-')
        {
            var space = s.IndexOf(' ', StringComparison.Ordinal);
            var stamp = space < 0 ? s : s[..space];
            if (!TryRfc3339(stamp, out var time))
            {
                return $"bad time '{stamp}'";
            }
            var rest = space < 0 ? "" : s[(space + 1)..];
            if (SyslogTail().Match(rest) is { Success: true } m)
            {
                header = new Header(time, m.Groups["host"].Success ? m.Groups["host"].Value : null, m.Groups["msg"].Value, null);
            }
            else
            {
                // dmesg --time-format iso: the time, then the kernel message itself.
                header = new Header(time, null, rest, null);
            }
            return null;
        }
        if (s.StartsWith('['))
        {
            if (DmesgUptime().Match(s) is { Success: true } up)
            {
                header = new Header(default, null, up.Groups["msg"].Value, up.Groups["up"].Value);
                return null;
            }
            if (DmesgCtime().Match(s) is { Success: true } ct)
            {
                var stamp = Regex.Replace(ct.Groups["t"].Value, " +", " ");
                if (!Timestamp.TryParseLocal(stamp, ["ddd MMM d HH:mm:ss yyyy"], _options.TimeZone, out var time))
                {
                    return $"bad dmesg -T time '{ct.Groups["t"].Value}'";
                }
                header = new Header(time, null, ct.Groups["msg"].Value, null);
                return null;
            }
            return "a bracketed time that is neither kernel uptime ('[ 12.345678]') nor dmesg -T ('[Fri Nov 27 10:00:01 2026]')";
        }
        if (Bsd().Match(s) is { Success: true } bsd)
        {
            var year = _options.YearFor(line);
            var stamp = $"{year} {bsd.Groups["mon"].Value} {bsd.Groups["day"].Value} {bsd.Groups["time"].Value}";
            if (!Timestamp.TryParseLocal(stamp, ["yyyy MMM d HH:mm:ss", "yyyy MMM d HH:mm:ss.FFFFFFF"], _options.TimeZone, out var time))
            {
                return $"bad syslog time '{bsd.Groups["mon"].Value} {bsd.Groups["day"].Value} {bsd.Groups["time"].Value}' in year {year} (give --year)";
            }
            header = new Header(time, bsd.Groups["host"].Value, bsd.Groups["msg"].Value, null);
            return null;
        }
        return "not a kernel log line: no syslog, journald or dmesg time in front";
    }

    private static string? ReadRfc5424(string s, out Header header)
    {
        header = default;
        // VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]
        var parts = s.Split(' ', 7);
        if (parts.Length < 7)
        {
            return "RFC 5424 line with fewer than 7 header fields";
        }
        if (parts[1] == "-")
        {
            return "RFC 5424 line without a time (NILVALUE)";
        }
        if (!TryRfc3339(parts[1], out var time))
        {
            return $"bad time '{parts[1]}'";
        }
        var rest = parts[6];
        if (rest.StartsWith('-'))
        {
            rest = rest.Length > 1 ? rest[2..] : "";
        }
        else if (rest.StartsWith('['))
        {
            var i = 0;
            while (i < rest.Length && rest[i] == '[')
            {
                i++;
                while (i < rest.Length && rest[i] != ']')
                {
                    i += rest[i] == '\\' ? 2 : 1;
                }
                i++;
            }
            if (i > rest.Length)
            {
                return "RFC 5424 structured data is not closed";
            }
            rest = i < rest.Length ? rest[(i + 1)..] : "";
        }
        else
        {
            return "RFC 5424 structured data is neither '-' nor '[...]'";
        }
        header = new Header(time, parts[2] == "-" ? null : parts[2], rest.TrimStart('\uFEFF'), null);
        return null;
    }

    private static string? ReadJournalJson(string text, out Header header)
    {
        header = default;
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return "not a JSON object";
            }
            if (!root.TryGetProperty("MESSAGE", out var messageElement))
            {
                return "journal entry without MESSAGE";
            }
            string message;
            if (messageElement.ValueKind == JsonValueKind.String)
            {
                message = messageElement.GetString()!;
            }
            else if (messageElement.ValueKind == JsonValueKind.Array)
            {
                // journalctl writes a MESSAGE that is not valid UTF-8 as an array of byte values.
                var bytes = new List<byte>();
                foreach (var b in messageElement.EnumerateArray())
                {
                    if (b.ValueKind != JsonValueKind.Number || !b.TryGetByte(out var value))
                    {
                        return "journal MESSAGE array holds something other than bytes";
                    }
                    bytes.Add(value);
                }
                message = Encoding.UTF8.GetString(bytes.ToArray());
            }
            else
            {
                return "journal MESSAGE is neither a string nor a byte array";
            }
            if (!root.TryGetProperty("__REALTIME_TIMESTAMP", out var realtime) || realtime.ValueKind != JsonValueKind.String
                || !long.TryParse(realtime.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var micros))
            {
                return "journal entry without a numeric __REALTIME_TIMESTAMP";
            }
            string? host = root.TryGetProperty("_HOSTNAME", out var h) && h.ValueKind == JsonValueKind.String ? h.GetString() : null;
            header = new Header(new Timestamp(checked(micros * 1000), 6), host, message, null);
            return null;
        }
        catch (JsonException e)
        {
            return $"invalid or truncated JSON at byte {e.BytePositionInLine + 1}";
        }
        catch (OverflowException)
        {
            return "journal __REALTIME_TIMESTAMP out of range";
        }
    }

    /// <summary>RFC 3339, also with the "+0000" offset journalctl short-iso and ulogd print.</summary>
    internal static bool TryRfc3339(string stamp, out Timestamp time)
    {
        if (stamp.Length > 5 && (stamp[^5] == '+' || stamp[^5] == '-') && stamp[^4..].All(char.IsAsciiDigit))
        {
            stamp = $"{stamp[..^2]}:{stamp[^2..]}";
        }
        return Timestamp.TryParseRfc3339(stamp, out time);
    }

    /// <summary>The line's time, host when it names one, the kernel message, and the uptime when that is all the time there is.</summary>
    private readonly record struct Header(Timestamp Time, string? Host, string Message, string? UptimeOnly);

    [GeneratedRegex(@"IN=(?<in>\S*) OUT=(?<out>\S*)(?: |$)", RegexOptions.CultureInvariant)]
    private static partial Regex LogCore();

    [GeneratedRegex(@"^<\d{1,3}>", RegexOptions.CultureInvariant)]
    private static partial Regex Pri();

    [GeneratedRegex(@"^\[\s*\d+\.\d+\] ?", RegexOptions.CultureInvariant)]
    private static partial Regex KernelUptime();

    [GeneratedRegex(@"^\[(?<up>\s*\d+\.\d+)\] ?(?<msg>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex DmesgUptime();

    [GeneratedRegex(@"^\[(?<t>[A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2} \d{4})\] ?(?<msg>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex DmesgCtime();

    [GeneratedRegex(@"^(?:(?<host>\S+) )?(?:kernel|ulogd)(?:\[\d+\])?: (?<msg>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex SyslogTail();

    [GeneratedRegex(@"^(?<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(?<day>\d{1,2}) (?<time>\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?) (?<host>\S+) (?:(?:kernel|ulogd)(?:\[\d+\])?: )?(?<msg>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex Bsd();
}
