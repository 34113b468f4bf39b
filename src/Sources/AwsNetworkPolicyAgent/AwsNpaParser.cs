using System.Globalization;
using System.Net;
using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.AwsNetworkPolicyAgent;

/// <summary>
/// Reads one line of network-policy-agent.log or of a CloudWatch Logs export of the agent's policy events. Layouts
/// (aws/aws-network-policy-agent pkg/ebpf/events/events.go):
/// <list type="bullet">
/// <item>v1.0.0–v1.2.1: zap JSON, msg "Flow Info:  " with fields "Src IP", "Src Port", "Dest IP", "Dest Port", "Proto", "Verdict"; time key "timestamp", later "ts".</item>
/// <item>v1.2.2+: the flow is msg text, "Flow Info: Src IP: a Src Port: n Dest IP: b Dest Port: m Proto P Verdict V Direction D" (IPv4) or with "Proto: P Verdict: V Direction: D" (IPv6).</item>
/// <item>v1.3.2+: the same with ", Tier T" (IPv4) or " Tier: T" (IPv6) appended.</item>
/// <item>A development branch: " Policy: ns/name Precedence: n" appended instead of a tier.</item>
/// <item>CloudWatch: "Node: n;SIP: a;SPORT: n;DIP: b;DPORT: m;PROTOCOL: P;PolicyVerdict: V" (+ ";Tier: T", or the branch's ";PolicyName: ..;PolicyNamespace: ..;Precedence: n;SrcPod: ns/pod;DstPod: ns/pod").</item>
/// </list>
/// </summary>
internal sealed class AwsNpaParser(FormatOptions options) : ILineParser
{
    private const string FlowInfo = "Flow Info:";

    public void Parse(LineContext line, RecordSink sink)
    {
        var text = line.Text;
        var trimmed = text.Trim();
        if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
        {
            ParseJson(line, text, sink);
            return;
        }
        if (trimmed is "@timestamp,@message" or "timestamp,message" || (trimmed.StartsWith('|') && trimmed.Contains("@message", StringComparison.Ordinal)))
        {
            sink.Skip("cloudwatch export header");
            return;
        }
        if (trimmed.StartsWith("|--", StringComparison.Ordinal) || trimmed.StartsWith("| --", StringComparison.Ordinal))
        {
            sink.Skip("cloudwatch export header");
            return;
        }
        var node = text.IndexOf("Node: ", StringComparison.Ordinal);
        if (node < 0 || !text.Contains(";PolicyVerdict: ", StringComparison.Ordinal))
        {
            sink.Reject("not a network policy agent record: neither a zap JSON line nor a CloudWatch \"Node: ...;PolicyVerdict: ...\" message");
            return;
        }
        ParseCloudWatchText(line, text[..node], text[node..], sink);
    }

    private void ParseJson(LineContext line, string text, RecordSink sink)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            sink.Reject($"invalid or truncated JSON at byte {(e.BytePositionInLine ?? 0) + 1}");
            return;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                sink.Reject("not a JSON object (a JSON array export must be turned into one event per line)");
                return;
            }
            if (root.TryGetProperty("msg", out var msg))
            {
                ParseZap(line, root, msg, sink);
            }
            else if (root.TryGetProperty("logEvents", out var events))
            {
                ParseSubscription(line, root, events, sink);
            }
            else if (root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
            {
                var result = CloudWatchEvent(line, root, message.GetString()!);
                Deliver(result, sink);
            }
            else
            {
                sink.Reject("JSON object is neither a zap log line (msg) nor a CloudWatch Logs event (timestamp, message)");
            }
        }
    }

    private void ParseZap(LineContext line, JsonElement root, JsonElement msg, RecordSink sink)
    {
        if (msg.ValueKind != JsonValueKind.String)
        {
            sink.Reject("\"msg\" is not a string");
            return;
        }
        var message = msg.GetString()!;
        if (!message.StartsWith(FlowInfo, StringComparison.Ordinal))
        {
            // The agent's own operational log shares the file with its flow events.
            sink.Skip("agent log");
            return;
        }
        if (!ZapTime(root, out var time, out var timeError))
        {
            sink.Reject(timeError);
            return;
        }
        FlowFields fields;
        string? error;
        if (root.TryGetProperty("Src IP", out _))
        {
            (fields, error) = FromZapFields(root);
        }
        else
        {
            (fields, error) = FromFlowInfoText(message);
        }
        if (error is not null)
        {
            sink.Reject(error);
            return;
        }
        Deliver(Build(line, time, fields, options.Node), sink);
    }

    private static bool ZapTime(JsonElement root, out Timestamp time, out string error)
    {
        time = default;
        error = "";
        if (!root.TryGetProperty("ts", out var ts) && !root.TryGetProperty("timestamp", out ts))
        {
            error = "flow line has no time (\"ts\" or \"timestamp\")";
            return false;
        }
        if (ts.ValueKind == JsonValueKind.String)
        {
            var s = ts.GetString()!;
            if (AwsTime.TryParseZoned(s, out time))
            {
                return true;
            }
            error = $"bad time '{s}'";
            return false;
        }
        if (ts.ValueKind == JsonValueKind.Number)
        {
            // zap's default EpochTimeEncoder: seconds since the epoch as a float.
            var raw = ts.GetRawText();
            if (AwsTime.TryParseUnixSeconds(raw, out time))
            {
                return true;
            }
            error = $"bad time '{raw}'";
            return false;
        }
        error = "time is neither a string nor a number";
        return false;
    }

    private static (FlowFields Fields, string? Error) FromZapFields(JsonElement root)
    {
        var f = new FlowFields
        {
            SrcIp = JsonText(root, "Src IP"),
            SrcPort = JsonText(root, "Src Port"),
            DstIp = JsonText(root, "Dest IP"),
            DstPort = JsonText(root, "Dest Port"),
            Protocol = JsonText(root, "Proto"),
            Verdict = JsonText(root, "Verdict"),
        };
        foreach (var (name, value) in new[] { ("Src IP", f.SrcIp), ("Dest IP", f.DstIp), ("Proto", f.Protocol), ("Verdict", f.Verdict) })
        {
            if (value is null)
            {
                return (f, $"flow line has no \"{name}\"");
            }
        }
        return (f, null);
    }

    private static string? JsonText(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var value) ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : value.ValueKind == JsonValueKind.Number ? value.GetRawText()
        : null;

    /// <summary>Reads the v1.2.2+ message text; labels are found in order so "ANY PROTOCOL" (with its space) stays whole.</summary>
    internal static (FlowFields Fields, string? Error) FromFlowInfoText(string message)
    {
        var f = new FlowFields ();
        var rest = message.AsSpan(FlowInfo.Length).TrimStart(' ');
        if (!rest.StartsWith("Src IP: "))
        {
            return (f, "\"Flow Info:\" text without \"Src IP: \"");
        }
        rest = rest["Src IP: ".Length..];
        var colon = rest.Contains(" Proto: ", StringComparison.Ordinal);
        string[] labels = colon
            ? [" Src Port: ", " Dest IP: ", " Dest Port: ", " Proto: ", " Verdict: "]
            : [" Src Port: ", " Dest IP: ", " Dest Port: ", " Proto ", " Verdict "];
        var values = new string[labels.Length + 1];
        for (var i = 0; i < labels.Length; i++)
        {
            var at = rest.IndexOf(labels[i], StringComparison.Ordinal);
            if (at < 0)
            {
                return (f, $"\"Flow Info:\" text without \"{labels[i].Trim()}\"");
            }
            values[i] = rest[..at].ToString();
            rest = rest[(at + labels[i].Length)..];
        }
        // After the verdict: " Direction[:] d", then ", Tier T" (IPv4) or " Tier: T" (IPv6), or the branch's " Policy: ns/name Precedence: n".
        var end = rest.IndexOfAny(' ', ',');
        values[^1] = (end < 0 ? rest : rest[..end]).ToString();
        rest = end < 0 ? [] : rest[end..];
        (f.SrcIp, f.SrcPort, f.DstIp, f.DstPort, f.Protocol, f.Verdict) = (values[0], values[1], values[2], values[3], values[4], values[5]);
        if (TakeLabel(ref rest, colon ? " Direction: " : " Direction ", out var direction))
        {
            f.Direction = direction;
        }
        if (TakeLabel(ref rest, ", Tier ", out var tier) || TakeLabel(ref rest, " Tier: ", out tier))
        {
            f.Tier = tier;
        }
        if (TakeLabel(ref rest, " Policy: ", out var policy))
        {
            var slash = policy.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                return (f, $"policy '{policy}' is not namespace/name");
            }
            (f.PolicyNamespace, f.PolicyName) = (policy[..slash], policy[(slash + 1)..]);
            if (!TakeLabel(ref rest, " Precedence: ", out var precedence))
            {
                return (f, "\"Policy:\" without \"Precedence:\"");
            }
            f.Precedence = precedence;
        }
        if (!rest.IsEmpty)
        {
            return (f, $"unexpected text after the flow: '{rest.ToString()}'");
        }
        return (f, null);
    }

    /// <summary>If the text starts with the label, takes the word after it (up to a space or comma).</summary>
    private static bool TakeLabel(ref ReadOnlySpan<char> rest, string label, out string value)
    {
        value = "";
        if (!rest.StartsWith(label, StringComparison.Ordinal))
        {
            return false;
        }
        rest = rest[label.Length..];
        var end = rest.IndexOfAny(' ', ',');
        value = (end < 0 ? rest : rest[..end]).ToString();
        rest = end < 0 ? [] : rest[end..];
        return true;
    }

    private void ParseSubscription(LineContext line, JsonElement root, JsonElement events, RecordSink sink)
    {
        if (root.TryGetProperty("messageType", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "CONTROL_MESSAGE")
        {
            sink.Skip("cloudwatch control message");
            return;
        }
        if (events.ValueKind != JsonValueKind.Array)
        {
            sink.Reject("\"logEvents\" is not an array");
            return;
        }
        // One line is one unit: emit its events only when every one of them can be read.
        var results = new List<Result>();
        var index = 0;
        foreach (var e in events.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.String)
            {
                sink.Reject($"logEvents[{index}] has no message");
                return;
            }
            var m = message.GetString()!;
            if (m.Contains(";PolicyVerdict: ", StringComparison.Ordinal))
            {
                var result = CloudWatchEvent(line, e, m);
                if (result.Error is not null)
                {
                    sink.Reject($"logEvents[{index}]: {result.Error}");
                    return;
                }
                results.Add(result);
            }
            index++;
        }
        if (results.Count == 0)
        {
            // The cluster log group also holds the control plane's streams.
            sink.Skip("cloudwatch events of other streams");
            return;
        }
        var emitted = false;
        foreach (var result in results)
        {
            if (result.Record is not null)
            {
                sink.Emit(result.Record);
                emitted = true;
            }
        }
        if (!emitted)
        {
            sink.Skip(results[0].Skip!);
        }
    }

    private Result CloudWatchEvent(LineContext line, JsonElement e, string message)
    {
        if (!message.TrimStart().StartsWith("Node: ", StringComparison.Ordinal))
        {
            return Result.Failed("CloudWatch event message is not a \"Node: ...\" policy event");
        }
        Timestamp time;
        if (e.TryGetProperty("timestamp", out var ts) && ts.ValueKind == JsonValueKind.Number && ts.TryGetInt64(out var millis))
        {
            if (!AwsTime.TryParseUnixMillis(millis, out time))
            {
                return Result.Failed($"bad timestamp {millis}");
            }
        }
        else if ((e.TryGetProperty("@timestamp", out ts) || e.TryGetProperty("timestamp", out ts)) && ts.ValueKind == JsonValueKind.String)
        {
            var s = ts.GetString()!;
            if (!AwsTime.TryParseZoned(s, out time) && !AwsTime.TryParseLocal(s, options.TimeZone, out time))
            {
                return Result.Failed($"bad timestamp '{s}'");
            }
        }
        else
        {
            return Result.Failed("CloudWatch event has no timestamp");
        }
        var (fields, error) = FromCloudWatchMessage(message.Trim());
        return error is not null ? Result.Failed(error) : Build(line, time, fields, fields.Node);
    }

    private void ParseCloudWatchText(LineContext line, string prefix, string message, RecordSink sink)
    {
        // Console copy "<time>   Node: ...", `aws logs tail` "<time> <stream> Node: ...", Insights "| <time> | Node: ... |",
        // Insights CSV "<time>,\"Node: ...\"".
        message = message.TrimEnd();
        if (message.EndsWith('|'))
        {
            message = message[..^1].TrimEnd();
        }
        var p = prefix.Trim();
        if (p.EndsWith('"') && message.EndsWith('"'))
        {
            message = message[..^1];
        }
        p = p.Trim('|', ',', '"', ' ', '\t');
        if (p.Length == 0)
        {
            sink.Reject("CloudWatch message without its event time (export @timestamp with @message)");
            return;
        }
        if (!CloudWatchPrefixTime(p, out var time))
        {
            sink.Reject($"unrecognised time '{p}' before the CloudWatch message");
            return;
        }
        var (fields, error) = FromCloudWatchMessage(message);
        if (error is not null)
        {
            sink.Reject(error);
            return;
        }
        Deliver(Build(line, time, fields, fields.Node), sink);
    }

    private bool CloudWatchPrefixTime(string prefix, out Timestamp time)
    {
        if (AwsTime.TryParseZoned(prefix, out time) || AwsTime.TryParseLocal(prefix, options.TimeZone, out time))
        {
            return true;
        }
        var tokens = prefix.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length >= 2 && AwsTime.TryParseLocal($"{tokens[0]} {tokens[1]}", options.TimeZone, out time))
        {
            return true;
        }
        if (tokens.Length >= 2 && AwsTime.TryParseZoned($"{tokens[0]} {tokens[1]}", out time))
        {
            return true;
        }
        return tokens.Length >= 1 && AwsTime.TryParseZoned(tokens[0], out time);
    }

    internal static (FlowFields Fields, string? Error) FromCloudWatchMessage(string message)
    {
        var f = new FlowFields ();
        foreach (var part in message.Split(';'))
        {
            var sep = part.IndexOf(": ", StringComparison.Ordinal);
            var key = sep < 0 ? part.TrimEnd(':') : part[..sep];
            var value = sep < 0 ? "" : part[(sep + 2)..];
            switch (key)
            {
                case "Node": f.Node = value.Length == 0 ? null : value; break;
                case "SIP": f.SrcIp = value; break;
                case "SPORT": f.SrcPort = value; break;
                case "DIP": f.DstIp = value; break;
                case "DPORT": f.DstPort = value; break;
                case "PROTOCOL": f.Protocol = value; break;
                case "PolicyVerdict": f.Verdict = value; break;
                case "Tier": f.Tier = value; break;
                case "PolicyName": f.PolicyName = value; break;
                case "PolicyNamespace": f.PolicyNamespace = value; break;
                case "Precedence": f.Precedence = value; break;
                case "SrcPod": f.SrcPod = value; break;
                case "DstPod": f.DstPod = value; break;
                default:
                    // A field a later agent may add: the flow is still readable without it.
                    break;
            }
        }
        foreach (var (name, value) in new[] { ("SIP", f.SrcIp), ("SPORT", f.SrcPort), ("DIP", f.DstIp), ("DPORT", f.DstPort), ("PROTOCOL", f.Protocol), ("PolicyVerdict", f.Verdict) })
        {
            if (value is null)
            {
                return (f, $"CloudWatch message has no {name}");
            }
        }
        return (f, null);
    }

    private Result Build(LineContext line, Timestamp time, FlowFields f, string? node)
    {
        var verdict = f.Verdict switch
        {
            "ACCEPT" => ReportedVerdict.Allowed,
            "DENY" => ReportedVerdict.Denied,
            // A conntrack-expiry notification, not a connection attempt nor a policy decision: counted, not a flow.
            "EXPIRED/DELETED" => (ReportedVerdict?)null,
            _ => ReportedVerdict.Unknown,
        };
        if (verdict is null)
        {
            return Result.Skipped("conntrack expiry");
        }
        if (verdict == ReportedVerdict.Unknown)
        {
            return Result.Failed($"unknown verdict '{f.Verdict}'");
        }
        if (!TryIp(f.SrcIp!, out var srcIp))
        {
            return Result.Failed($"bad source IP '{f.SrcIp}'");
        }
        if (!TryIp(f.DstIp!, out var dstIp))
        {
            return Result.Failed($"bad destination IP '{f.DstIp}'");
        }
        int? srcPort = null, dstPort = null;
        if (f.SrcPort is not null && !TryPort(f.SrcPort, out srcPort))
        {
            return Result.Failed($"bad source port '{f.SrcPort}'");
        }
        if (f.DstPort is not null && !TryPort(f.DstPort, out dstPort))
        {
            return Result.Failed($"bad destination port '{f.DstPort}'");
        }
        var protocol = f.Protocol switch
        {
            "TCP" => Protocol.Tcp,
            "UDP" => Protocol.Udp,
            "SCTP" => Protocol.Sctp,
            "ICMP" => Protocol.IcmpV4,
            // RESERVED, ANY PROTOCOL and UNKNOWN (ICMPv6 among them) name no transport the record can carry.
            _ => Protocol.Unknown,
        };
        if (!protocol.HasPorts())
        {
            // The datapath writes 0 where the protocol has no ports.
            srcPort = srcPort == 0 ? null : srcPort;
            dstPort = dstPort == 0 ? null : dstPort;
        }
        var direction = f.Direction switch
        {
            "ingress" => FlowDirection.Ingress,
            "egress" => FlowDirection.Egress,
            null => FlowDirection.Unknown,
            _ => (FlowDirection?)null,
        };
        if (direction is null)
        {
            return Result.Failed($"unknown direction '{f.Direction}'");
        }
        List<string> policies = [];
        List<PolicyHit>? hits = null;
        if (f.PolicyName is { Length: > 0 } name && !IsPolicySentinel(f.PolicyNamespace, name))
        {
            policies.Add(string.IsNullOrEmpty(f.PolicyNamespace) ? name : $"{f.PolicyNamespace}/{name}");
            hits =
            [
                new PolicyHit
                {
                    Name = name,
                    Namespace = string.IsNullOrEmpty(f.PolicyNamespace) ? null : f.PolicyNamespace,
                    Action = verdict == ReportedVerdict.Allowed ? "allow" : "deny",
                    Direction = f.Direction,
                },
            ];
        }
        string? rule = f.Tier is not null ? $"tier={f.Tier}" : f.Precedence is not null ? $"precedence={f.Precedence}" : null;
        var (srcNs, srcPod) = SplitPod(f.SrcPod);
        var (dstNs, dstPod) = SplitPod(f.DstPod);
        return Result.Of(new FlowRecord
        {
            Time = time,
            Source = line.Source(node ?? options.Node),
            Src = new FlowEndpoint { IP = srcIp, Port = srcPort, Namespace = srcNs, Pod = srcPod },
            Dst = new FlowEndpoint { IP = dstIp, Port = dstPort, Namespace = dstNs, Pod = dstPod },
            Protocol = protocol,
            Direction = direction.Value,
            Reported = new ReportedOutcome
            {
                Verdict = verdict.Value,
                RawVerdict = f.Verdict,
                Policies = policies,
                Hits = hits,
                Rule = rule,
            },
        });
    }

    /// <summary>The branch's lookupPolicyInfo answers "default/default" for no policy and "cache-miss/cache-miss" when it does not know.</summary>
    private static bool IsPolicySentinel(string? ns, string name) =>
        (ns, name) is ("default", "default") or ("cache-miss", "cache-miss");

    private static (string? Namespace, string? Pod) SplitPod(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return (null, null);
        }
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (null, value) : (value[..slash], value[(slash + 1)..]);
    }

    /// <summary>
    /// Parses an address. Agents before the netip rewrite printed IPv4 through ConvByteArrayToIP, which drops trailing
    /// zero octets ("10.1" for 10.1.0.0, "0" for 0.0.0.0); those are restored exactly.
    /// </summary>
    internal static bool TryIp(string text, out IPAddress? ip)
    {
        ip = null;
        if (text.Contains(':', StringComparison.Ordinal))
        {
            return IPAddress.TryParse(text, out ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        }
        var octets = text.Split('.');
        if (octets.Length is < 1 or > 4)
        {
            return false;
        }
        var bytes = new byte[4];
        for (var i = 0; i < octets.Length; i++)
        {
            if (octets[i].Length is 0 or > 3 || !octets[i].All(char.IsAsciiDigit) || !byte.TryParse(octets[i], NumberStyles.None, CultureInfo.InvariantCulture, out bytes[i]))
            {
                return false;
            }
        }
        ip = new IPAddress(bytes);
        return true;
    }

    private static bool TryPort(string text, out int? port)
    {
        port = null;
        if (text.Length is 0 or > 5 || !text.All(char.IsAsciiDigit))
        {
            return false;
        }
        var value = int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
        if (value > 65535)
        {
            return false;
        }
        port = value;
        return true;
    }

    private static void Deliver(Result result, RecordSink sink)
    {
        if (result.Record is not null)
        {
            sink.Emit(result.Record);
        }
        else if (result.Skip is not null)
        {
            sink.Skip(result.Skip);
        }
        else
        {
            sink.Reject(result.Error ?? "unreadable record");
        }
    }

    /// <summary>One event's outcome, so a multi-event line can be checked whole before anything is emitted.</summary>
    private readonly record struct Result(FlowRecord? Record, string? Skip, string? Error)
    {
        public static Result Of(FlowRecord record) => new(record, null, null);
        public static Result Skipped(string category) => new(null, category, null);
        public static Result Failed(string error) => new(null, null, error);
    }
}

/// <summary>The flow fields of one agent record, as text, whichever layout they came from.</summary>
internal sealed class FlowFields
{
    public string? Node { get; set; }
    public string? SrcIp { get; set; }
    public string? SrcPort { get; set; }
    public string? DstIp { get; set; }
    public string? DstPort { get; set; }
    public string? Protocol { get; set; }
    public string? Verdict { get; set; }
    public string? Direction { get; set; }
    public string? Tier { get; set; }
    public string? PolicyName { get; set; }
    public string? PolicyNamespace { get; set; }
    public string? Precedence { get; set; }
    public string? SrcPod { get; set; }
    public string? DstPod { get; set; }
}
