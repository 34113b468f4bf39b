using System.Globalization;
using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Antrea;

/// <summary>
/// Reads flowLogger CSV lines. Upstream joins the fields with "," and quotes nothing; the layout is told by the column
/// count and, where two layouts have 30 columns, by column 15 (a Service IP in v2.x, a port number before).
/// </summary>
internal sealed class AntreaFlowLoggerParser(FormatOptions options) : ILineParser
{
    // Positions after the 13 columns every layout starts with (start..destinationNodeName) and destinationClusterIP.
    private sealed record Layout(string Name, int ServicePort, int PortName, int Ingress, int Egress);

    // v1.12: ... clusterIP svcPort portName ingress(5) egress(5) = 26 columns
    // v1.13: + egressName egressIP = 28; then + appProtocolName httpVals = 30; v2.1: + egressNodeName = 31
    private static readonly Layout Classic = new("v1.12-v2.x", 14, 15, 16, 21);
    // v2.x (current): clusterIP serviceIP svcPort portName ingress(5) egress(5) egressName egressIP egressNodeName = 30
    private static readonly Layout WithServiceIp = new("v2.x with destinationServiceIP", 15, 16, 17, 22);

    private bool _sawJson;

    public void Parse(LineContext line, RecordSink sink)
    {
        var text = line.Text.TrimEnd('\r', '\n');
        if (AntreaText.IsEveLine(text, ref _sawJson))
        {
            sink.Skip(AntreaText.EveCategory);
            return;
        }
        var f = text.Split(',');
        var layout = Choose(f);
        if (layout is null)
        {
            sink.Reject($"{f.Length} comma-separated columns: no flowLogger layout has that many (26, 28, 30, 31 or more with httpVals)");
            return;
        }
        if (!long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            || !long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var end)
            || start > 253402300799 || end > 253402300799)
        {
            sink.Reject($"bad flowStartSeconds/flowEndSeconds '{f[0]}','{f[1]}': expected Unix seconds");
            return;
        }
        if (start == 0 && end == 0)
        {
            sink.Reject("flowStartSeconds and flowEndSeconds are both 0: the record has no time");
            return;
        }
        if (!IPAddress.TryParse(f[2], out var srcIp))
        {
            sink.Reject($"bad sourceIP '{f[2]}'");
            return;
        }
        if (!IPAddress.TryParse(f[3], out var dstIp))
        {
            sink.Reject($"bad destinationIP '{f[3]}'");
            return;
        }
        if (!AntreaText.TryParsePort(f[4], out var srcPort) || !AntreaText.TryParsePort(f[5], out var dstPort))
        {
            sink.Reject($"bad sourcePort/destinationPort '{f[4]}','{f[5]}'");
            return;
        }
        if (!AntreaText.TryParsePort(f[layout.ServicePort], out _))
        {
            sink.Reject($"bad destinationServicePort '{f[layout.ServicePort]}' ({layout.Name} layout)");
            return;
        }
        var protocol = AntreaText.ParseProtocol(f[6]);
        var ingress = Side.Read(f, layout.Ingress, "ingress");
        var egress = Side.Read(f, layout.Egress, "egress");

        var policies = new List<string>();
        var hits = new List<PolicyHit>();
        foreach (var side in (ReadOnlySpan<Side>)[ingress, egress])
        {
            if (side.Name.Length == 0)
            {
                continue;
            }
            var ns = side.Namespace.Length == 0 ? null : side.Namespace;
            var display = ns is null ? side.Name : $"{ns}/{side.Name}";
            if (!policies.Contains(display))
            {
                policies.Add(display);
            }
            hits.Add(new PolicyHit
            {
                Kind = side.Kind,
                Namespace = ns,
                Name = side.Name,
                RuleName = side.Rule.Length == 0 ? null : side.Rule,
                Action = side.Action is { } a ? AntreaText.HitAction(a) : side.RawAction.Length == 0 ? null : side.RawAction,
                Direction = side.Direction,
            });
        }

        // A denying side decides; an unreadable action leaves the outcome unknown; otherwise the connection was
        // committed (conntrack), allowed by the rules named or by no policy at all.
        var deciding = ingress.Denies ? ingress : egress.Denies ? egress
            : ingress.Invalid ? ingress : egress.Invalid ? egress
            : ingress.Action == "Allow" ? ingress : egress.Action == "Allow" ? egress
            : (Side?)null;
        var verdict = deciding is { } d ? d.Invalid ? ReportedVerdict.Unknown : AntreaText.Verdict(d.Action!) : ReportedVerdict.Allowed;

        var portName = f[layout.PortName];
        var colon = portName.LastIndexOf(':');
        var service = portName.Length == 0 ? null : colon > 0 ? portName[..colon] : portName;
        bool ports = protocol.HasPorts() || (protocol == Protocol.Unknown && (srcPort != 0 || dstPort != 0));

        sink.Emit(new FlowRecord
        {
            Time = Timestamp.FromSecondsAndNanos(start != 0 ? start : end, 0, 0),
            Source = line.Source(options.Node),
            Src = new FlowEndpoint
            {
                IP = srcIp,
                Port = ports ? srcPort : null,
                Pod = Empty(f[7]),
                Namespace = Empty(f[8]),
                Node = Empty(f[9]),
            },
            Dst = new FlowEndpoint
            {
                IP = dstIp,
                Port = ports ? dstPort : null,
                Pod = Empty(f[10]),
                Namespace = Empty(f[11]),
                Node = Empty(f[12]),
                Service = service,
            },
            Protocol = protocol,
            Direction = FlowDirection.Unknown,
            Reported = new ReportedOutcome
            {
                Verdict = verdict,
                RawVerdict = deciding?.RawAction,
                Policies = policies,
                Rule = deciding is { Rule.Length: > 0 } r ? r.Rule : null,
                Hits = hits,
            },
            WindowStart = start != 0 ? Timestamp.FromSecondsAndNanos(start, 0, 0) : null,
            WindowEnd = end != 0 ? Timestamp.FromSecondsAndNanos(end, 0, 0) : null,
        });
    }

    /// <summary>Whether a line has the flowLogger shape (times, IPs, ports and a known column count) — for detection.</summary>
    public static bool LooksLikeRecord(string line)
    {
        var f = line.TrimEnd('\r').Split(',');
        return Choose(f) is not null
            && f[0].Length > 0 && f[0].AsSpan().IndexOfAnyExceptInRange('0', '9') < 0
            && f[1].Length > 0 && f[1].AsSpan().IndexOfAnyExceptInRange('0', '9') < 0
            && IPAddress.TryParse(f[2], out _) && IPAddress.TryParse(f[3], out _)
            && AntreaText.TryParsePort(f[4], out _) && AntreaText.TryParsePort(f[5], out _);
    }

    private static Layout? Choose(string[] f) => f.Length switch
    {
        26 or 28 => Classic,
        30 when f[14].Length == 0 || IPAddress.TryParse(f[14], out _) => WithServiceIp,
        30 => Classic,
        // httpVals (column 30) is JSON and may hold commas: a last column ending in '}' is httpVals (no egressNodeName yet).
        >= 31 => Classic,
        _ => null,
    };

    private static string? Empty(string text) => text.Length == 0 ? null : text;

    /// <summary>One side's NetworkPolicy columns: name, namespace, rule name, rule action, policy type.</summary>
    private readonly record struct Side(string Direction, string Name, string Namespace, string Rule, string RawAction, string? Action, string? Kind)
    {
        public bool Denies => Action is "Drop" or "Reject";

        public bool Invalid => Action is null && RawAction is not ("" or "0");

        public static Side Read(string[] f, int at, string direction)
        {
            var raw = f[at + 3];
            var action = raw switch
            {
                "Allow" or "1" => "Allow",
                "Drop" or "2" => "Drop",
                "Reject" or "3" => "Reject",
                _ => null,
            };
            var kind = f[at + 4] switch
            {
                "" or "0" => null,
                "1" => "K8sNetworkPolicy",
                "2" => "AntreaNetworkPolicy",
                "3" => "AntreaClusterNetworkPolicy",
                // Names as pretty-printed, "Invalid", or a number this reader does not know: kept as written.
                var other => other,
            };
            return new Side(direction, f[at], f[at + 1], f[at + 2], raw, action, kind);
        }
    }
}
