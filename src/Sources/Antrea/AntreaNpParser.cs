using System.Globalization;
using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Antrea;

/// <summary>
/// Reads np.log lines. The layout is told by the number of space-separated fields after the timestamp (and the
/// "SRC:"/"DEST:" markers of the first one); every field is then checked for its shape, so a line of one layout is
/// never read as another.
/// </summary>
internal sealed class AntreaNpParser(FormatOptions options) : ILineParser
{
    // Field positions after the date and time; -1 where the layout has no such field.
    private sealed record Layout(string Name, int Count, int Rule, int Direction, int Action, int Priority, int AppliedTo,
        int Src, int SrcPort, int Dst, int DstPort, int Proto, int Length, int Label);

    // v0.11-v1.3: table ref action prio SRC: ip DEST: ip len proto
    private static readonly Layout V011 = new("v0.11-v1.3", 10, -1, -1, 2, 3, -1, 5, -1, 7, -1, 9, 8, -1);
    // v1.4-v1.5: table ref action prio src dst len proto
    private static readonly Layout V14 = new("v1.4-v1.5", 8, -1, -1, 2, 3, -1, 4, -1, 5, -1, 7, 6, -1);
    // v1.6-v1.8: table ref action prio src sport dst dport proto len
    private static readonly Layout V16 = new("v1.6-v1.8", 10, -1, -1, 2, 3, -1, 4, 5, 6, 7, 8, 9, -1);
    // v1.9-v1.11: table ref rule action prio src sport dst dport proto len
    private static readonly Layout V19 = new("v1.9-v1.11", 11, 2, -1, 3, 4, -1, 5, 6, 7, 8, 9, 10, -1);
    // v1.12: ... len label
    private static readonly Layout V112 = new("v1.12", 12, 2, -1, 3, 4, -1, 5, 6, 7, 8, 9, 10, 11);
    // v1.13-v2.x: table ref rule direction action prio appliedTo src sport dst dport proto len label
    private static readonly Layout V113 = new("v1.13+", 14, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13);

    private long? _lastNanos;
    private bool _sawJson;

    public void Parse(LineContext line, RecordSink sink)
    {
        var text = line.Text.TrimEnd('\r', '\n');
        if (AntreaText.IsEveLine(text, ref _sawJson))
        {
            sink.Skip(AntreaText.EveCategory);
            return;
        }
        var tokens = text.Split(' ');
        if (tokens.Length < 3 || !IsDate(tokens[0]) || !IsTime(tokens[1]))
        {
            sink.Reject("not an np.log line: expected 'yyyy/MM/dd HH:mm:ss.ffffff' at the start");
            return;
        }
        var end = tokens.Length;
        long? count = null;
        long? dedupNanos = null;
        if (text.EndsWith(']'))
        {
            // "<msg> [N packets in D]": Drop/Reject lines repeated within the 1 s buffer, written once.
            if (end < 7 || !tokens[end - 4].StartsWith('[') || tokens[end - 3] != "packets" || tokens[end - 2] != "in"
                || !long.TryParse(tokens[end - 4].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                || !AntreaText.TryParseGoDuration(tokens[end - 1].AsSpan(0, tokens[end - 1].Length - 1), out var d))
            {
                sink.Reject("bad de-duplication suffix: expected '[N packets in DURATION]'");
                return;
            }
            count = n;
            dedupNanos = d;
            end -= 4;
        }
        var body = tokens.AsSpan(2, end - 2);
        var layout = Choose(body);
        if (layout is null)
        {
            sink.Reject($"{body.Length} fields after the timestamp: no np.log layout has that many (8, 10, 11, 12 or 14)");
            return;
        }
        Read(line, sink, tokens[0], tokens[1], body, layout, count, dedupNanos);
    }

    /// <summary>Whether a line has the np.log shape (date, time, table, policy reference) — for detection.</summary>
    public static bool LooksLikeRecord(string line)
    {
        var tokens = line.Split(' ', 5);
        if (tokens.Length < 5 || !IsDate(tokens[0]) || !IsTime(tokens[1]) || tokens[2].Length == 0)
        {
            return false;
        }
        var reference = tokens[3].AsSpan();
        var colon = reference.IndexOf(':');
        return AntreaText.IsPolicyKind(colon > 0 ? reference[..colon] : reference);
    }

    private static Layout? Choose(ReadOnlySpan<string> body) => body.Length switch
    {
        10 when body[4] == "SRC:" && body[6] == "DEST:" => V011,
        10 => V16,
        8 => V14,
        11 => V19,
        12 => V112,
        14 => V113,
        _ => null,
    };

    private void Read(LineContext line, RecordSink sink, string date, string clock, ReadOnlySpan<string> f, Layout l,
        long? count, long? dedupNanos)
    {
        if (!TryLocalTime(date, clock, out var time, out var timeError))
        {
            sink.Reject(timeError);
            return;
        }
        var table = f[0];
        var reference = f[1];
        var action = f[l.Action];
        if (table.Length == 0 || reference.Length == 0 || action.Length == 0 || action == AntreaText.Nil)
        {
            sink.Reject($"empty table, policy or action field ({l.Name} layout)");
            return;
        }
        if (!IPAddress.TryParse(f[l.Src], out var srcIp))
        {
            sink.Reject($"bad source IP '{f[l.Src]}' ({l.Name} layout)");
            return;
        }
        if (!IPAddress.TryParse(f[l.Dst], out var dstIp))
        {
            sink.Reject($"bad destination IP '{f[l.Dst]}' ({l.Name} layout)");
            return;
        }
        var priority = f[l.Priority];
        if (priority != AntreaText.Nil && !int.TryParse(priority, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
        {
            sink.Reject($"bad OpenFlow priority '{priority}' ({l.Name} layout)");
            return;
        }
        if (!int.TryParse(f[l.Length], NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            sink.Reject($"bad packet length '{f[l.Length]}' ({l.Name} layout)");
            return;
        }
        var protocol = AntreaText.ParseProtocol(f[l.Proto]);
        int? srcPort = null, dstPort = null;
        if (l.SrcPort >= 0 && !TryPort(f[l.SrcPort], protocol, out srcPort))
        {
            sink.Reject($"bad source port '{f[l.SrcPort]}' ({l.Name} layout)");
            return;
        }
        if (l.DstPort >= 0 && !TryPort(f[l.DstPort], protocol, out dstPort))
        {
            sink.Reject($"bad destination port '{f[l.DstPort]}' ({l.Name} layout)");
            return;
        }

        FlowDirection direction;
        if (l.Direction >= 0)
        {
            switch (f[l.Direction])
            {
                case "Ingress": direction = FlowDirection.Ingress; break;
                case "Egress": direction = FlowDirection.Egress; break;
                case AntreaText.Nil: direction = FlowDirection.Unknown; break;
                default:
                    sink.Reject($"bad direction '{f[l.Direction]}': expected Ingress, Egress or <nil> ({l.Name} layout)");
                    return;
            }
        }
        else
        {
            // Before v1.13 the line has no direction; the agent itself derives it from the table, so do the same.
            direction = table.Contains("Ingress", StringComparison.Ordinal) ? FlowDirection.Ingress
                : table.Contains("Egress", StringComparison.Ordinal) ? FlowDirection.Egress
                : FlowDirection.Unknown;
        }

        string? appliedNs = null, appliedPod = null;
        if (l.AppliedTo >= 0 && f[l.AppliedTo] != AntreaText.Nil)
        {
            var applied = f[l.AppliedTo];
            var slash = applied.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || slash == applied.Length - 1)
            {
                sink.Reject($"bad appliedTo Pod '{applied}': expected namespace/name ({l.Name} layout)");
                return;
            }
            appliedNs = applied[..slash];
            appliedPod = applied[(slash + 1)..];
        }

        var rule = l.Rule >= 0 ? NullIfNil(f[l.Rule]) : null;
        var policy = AntreaText.ParsePolicyRef(reference);
        List<PolicyHit> hits = [];
        if (policy.Name is not null)
        {
            hits.Add(new PolicyHit
            {
                Kind = policy.Kind,
                Namespace = policy.Namespace,
                Name = policy.Name,
                RuleName = rule,
                Action = AntreaText.HitAction(action),
                Direction = direction == FlowDirection.Unknown ? null : direction.ToName(),
            });
        }

        // The rule applies to a Pod on this Node: the destination for ingress rules, the source for egress rules.
        var src = new FlowEndpoint { IP = srcIp, Port = srcPort };
        var dst = new FlowEndpoint { IP = dstIp, Port = dstPort };
        if (appliedPod is not null && direction == FlowDirection.Ingress)
        {
            dst = dst with { Namespace = appliedNs, Pod = appliedPod, Node = options.Node };
        }
        else if (appliedPod is not null && direction == FlowDirection.Egress)
        {
            src = src with { Namespace = appliedNs, Pod = appliedPod, Node = options.Node };
        }

        Timestamp? windowStart = null, windowEnd = null;
        if (dedupNanos is { } span)
        {
            // The buffered line is written when its 1 s buffer closes, D after the first packet.
            windowStart = new Timestamp(time.UnixNanos - span, time.FractionDigits);
            windowEnd = time;
        }

        sink.Emit(new FlowRecord
        {
            Time = time,
            Source = line.Source(options.Node),
            Src = src,
            Dst = dst,
            Protocol = protocol,
            Direction = direction,
            Reported = new ReportedOutcome
            {
                Verdict = AntreaText.Verdict(action),
                RawVerdict = action,
                Policies = [reference],
                Rule = rule,
                Hits = hits,
            },
            Count = count,
            WindowStart = windowStart,
            WindowEnd = windowEnd,
        });
    }

    private static string? NullIfNil(string text) => text.Length == 0 || text == AntreaText.Nil ? null : text;

    private static bool TryPort(string text, Protocol protocol, out int? port)
    {
        port = null;
        // <nil> (v1.9+) or an empty field stand for "no port"; ports of port-less protocols (ICMP) carry nothing.
        if (text.Length == 0 || text == AntreaText.Nil)
        {
            return true;
        }
        if (!AntreaText.TryParsePort(text, out var value))
        {
            return false;
        }
        port = protocol.HasPorts() || protocol == Protocol.Unknown && value != 0 ? value : null;
        return true;
    }

    private static bool IsDate(string t) =>
        t.Length == 10 && t[4] == '/' && t[7] == '/' && AllDigits(t.AsSpan(0, 4)) && AllDigits(t.AsSpan(5, 2)) && AllDigits(t.AsSpan(8, 2));

    private static bool IsTime(string t) =>
        t.Length >= 8 && t[2] == ':' && t[5] == ':' && AllDigits(t.AsSpan(0, 2)) && AllDigits(t.AsSpan(3, 2)) && AllDigits(t.AsSpan(6, 2))
        && (t.Length == 8 || (t[8] == '.' && t.Length > 9 && t.Length <= 18 && AllDigits(t.AsSpan(9))));

    private static bool AllDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return true;
    }

    private static int Num(ReadOnlySpan<char> s) => int.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>
    /// The agent's zone-less local time in options.TimeZone, to UTC with the fraction digits the line has. A time in a
    /// DST gap is rejected; a time in a DST overlap takes the earliest reading not before the previous line (lines are
    /// written in order), or the earlier one when nothing precedes it.
    /// </summary>
    private bool TryLocalTime(string date, string clock, out Timestamp time, out string error)
    {
        time = default;
        error = "";
        int year = Num(date.AsSpan(0, 4)), month = Num(date.AsSpan(5, 2)), day = Num(date.AsSpan(8, 2));
        int hour = Num(clock.AsSpan(0, 2)), minute = Num(clock.AsSpan(3, 2)), second = Num(clock.AsSpan(6, 2));
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            error = $"bad timestamp '{date} {clock}'";
            return false;
        }
        long fraction = 0;
        var digits = clock.Length > 9 ? clock.Length - 9 : 0;
        for (var i = 0; i < 9; i++)
        {
            fraction = fraction * 10 + (i < digits ? clock[9 + i] - '0' : 0);
        }
        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified);
        var zone = options.TimeZone;
        if (zone.IsInvalidTime(local))
        {
            error = $"local time '{date} {clock}' does not exist in zone {zone.Id} (skipped by a daylight-saving change)";
            return false;
        }
        var localNanos = (local.Ticks - DateTime.UnixEpoch.Ticks) * 100 + fraction;
        long nanos;
        if (zone.IsAmbiguousTime(local))
        {
            var candidates = zone.GetAmbiguousTimeOffsets(local).Select(o => localNanos - o.Ticks * 100).Order().ToList();
            // Dedup lines may trail the line before them by up to the 1 s buffer: allow that much.
            nanos = _lastNanos is { } last
                ? candidates.Where(c => c >= last - 2_000_000_000L).DefaultIfEmpty(candidates[^1]).First()
                : candidates[0];
        }
        else
        {
            nanos = localNanos - zone.GetUtcOffset(local).Ticks * 100;
        }
        _lastNanos = nanos;
        time = new Timestamp(nanos, Timestamp.Precision(digits));
        return true;
    }
}
