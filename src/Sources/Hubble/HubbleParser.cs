using System.Globalization;
using System.Net;
using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Hubble;

/// <summary>
/// Streams one Hubble JSON line through Utf8JsonReader (no DOM) into a flow or gap record. Field names follow
/// flow.proto v1.19.4 in protojson form (snake_case, with the CamelCase exceptions IP/TCP/UDP/SCTP/ICMPv4/ICMPv6/ID/Type);
/// 64-bit numbers may be strings.
/// </summary>
internal sealed class HubbleParser : ILineParser
{
    private Timestamp? _lastTime;

    public void Parse(LineContext line, RecordSink sink)
    {
        var state = new FlowState();
        string? wrapperNode = null;
        string? wrapperTime = null;
        string? skipped = null;
        LostState? lost = null;
        var sawFlowField = false;
        try
        {
            var reader = new Utf8JsonReader(line.Bytes.Span, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                sink.Reject("not a JSON object");
                return;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("flow"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        sink.Reject("\"flow\" is not an object");
                        return;
                    }
                    ReadFlowObject(ref reader, ref state);
                    sawFlowField = true;
                }
                else if (reader.ValueTextEquals("node_name"u8))
                {
                    reader.Read();
                    wrapperNode = StringOrNull(ref reader);
                    state.Node ??= wrapperNode;
                }
                else if (reader.ValueTextEquals("time"u8))
                {
                    reader.Read();
                    wrapperTime = StringOrNull(ref reader);
                    state.Time ??= wrapperTime;
                }
                else if (reader.ValueTextEquals("lost_events"u8))
                {
                    reader.Read();
                    lost = ReadLost(ref reader);
                }
                else if (reader.ValueTextEquals("agent_event"u8) || reader.ValueTextEquals("debug_event"u8) || reader.ValueTextEquals("node_status"u8))
                {
                    skipped = reader.GetString();
                    reader.Read();
                    reader.Skip();
                }
                else
                {
                    // A legacy bare Flow: its fields are at the top level.
                    sawFlowField |= ReadFlowProperty(ref reader, ref state);
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                sink.Reject("truncated or trailing data after the JSON object");
                return;
            }
        }
        catch (JsonException e)
        {
            sink.Reject($"invalid or truncated JSON at byte {e.BytePositionInLine + 1}");
            return;
        }
        catch (InvalidOperationException e)
        {
            sink.Reject($"unexpected JSON value: {e.Message}");
            return;
        }

        if (lost is not null)
        {
            EmitLost(line, sink, lost.Value, wrapperTime, wrapperNode);
            return;
        }
        if (skipped is not null && !sawFlowField)
        {
            sink.Skip(skipped);
            return;
        }
        if (!sawFlowField)
        {
            sink.Reject("no flow, lost_events, agent_event, debug_event or node_status in the record");
            return;
        }
        Emit(line, sink, ref state);
    }

    private void Emit(LineContext line, RecordSink sink, ref FlowState s)
    {
        if (s.Time is null)
        {
            sink.Reject("flow has no time");
            return;
        }
        if (!Timestamp.TryParseRfc3339(s.Time, out var time))
        {
            sink.Reject($"bad time '{s.Time}'");
            return;
        }
        _lastTime = time;
        IPAddress? srcIp = null, dstIp = null;
        if (s.SourceIp is not null && !IPAddress.TryParse(s.SourceIp, out srcIp))
        {
            sink.Reject($"bad IP.source '{s.SourceIp}'");
            return;
        }
        if (s.DestinationIp is not null && !IPAddress.TryParse(s.DestinationIp, out dstIp))
        {
            sink.Reject($"bad IP.destination '{s.DestinationIp}'");
            return;
        }
        var policies = new List<string>();
        List<PolicyHit>? hits = null;
        if (s.Policies is not null)
        {
            hits = s.Policies;
            foreach (var hit in hits)
            {
                var name = hit.Namespace is null ? hit.Name : $"{hit.Namespace}/{hit.Name}";
                if (!policies.Contains(name))
                {
                    policies.Add(name);
                }
            }
        }
        long? count = s.AggregateCount > 0 ? s.AggregateCount : null;
        sink.Emit(new FlowRecord
        {
            Time = time,
            Source = line.Source(s.Node),
            Src = s.Src.Build(srcIp, s.SourcePort, s.SourceService, s.SourceNames),
            Dst = s.Dst.Build(dstIp, s.DestinationPort, s.DestinationService, s.DestinationNames),
            Protocol = s.Protocol,
            Direction = s.Direction switch
            {
                "INGRESS" => FlowDirection.Ingress,
                "EGRESS" => FlowDirection.Egress,
                _ => FlowDirection.Unknown,
            },
            IsReply = s.IsReply,
            Icmp = s.IcmpType is { } type ? (type, s.IcmpCode ?? 0) : null,
            Reported = new ReportedOutcome
            {
                Verdict = s.Verdict switch
                {
                    "FORWARDED" or "REDIRECTED" => ReportedVerdict.Allowed,
                    "DROPPED" => ReportedVerdict.Denied,
                    "AUDIT" => ReportedVerdict.Audit,
                    "ERROR" => ReportedVerdict.Error,
                    _ => ReportedVerdict.Unknown,
                },
                RawVerdict = s.Verdict,
                Policies = policies,
                DropReason = s.DropReasonDesc ?? (s.DropReason is { } code ? code.ToString(CultureInfo.InvariantCulture) : null),
                Hits = hits,
            },
            Count = count,
        });
    }

    private void EmitLost(LineContext line, RecordSink sink, LostState lost, string? wrapperTime, string? node)
    {
        Timestamp time;
        var reason = $"hubble lost events ({lost.Source ?? "source not given"})";
        if (wrapperTime is not null && Timestamp.TryParseRfc3339(wrapperTime, out var t))
        {
            time = t;
        }
        else if (lost.First is not null && Timestamp.TryParseRfc3339(lost.First, out var first))
        {
            time = first;
        }
        else if (_lastTime is { } previous)
        {
            time = previous;
            reason += "; the record has no time, the preceding record's time is used";
        }
        else
        {
            time = Timestamp.FromDateTimeOffset(File.Exists(line.File) ? File.GetLastWriteTimeUtc(line.File) : DateTime.UtcNow, 0);
            reason += "; the record has no time and nothing precedes it, the input's modification time is used";
        }
        Timestamp? end = lost.Last is not null && Timestamp.TryParseRfc3339(lost.Last, out var last) ? last : null;
        sink.Emit(new GapRecord { Time = time, End = end, Source = line.Source(node), Reason = reason, Lost = lost.Count });
    }

    private static void ReadFlowObject(ref Utf8JsonReader reader, ref FlowState state)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            ReadFlowProperty(ref reader, ref state);
        }
    }

    /// <summary>Reads one Flow property (reader on its name); returns whether it was a Flow field.</summary>
    private static bool ReadFlowProperty(ref Utf8JsonReader r, ref FlowState s)
    {
        if (r.ValueTextEquals("time"u8)) { r.Read(); s.Time = StringOrNull(ref r); }
        else if (r.ValueTextEquals("verdict"u8)) { r.Read(); s.Verdict = StringOrNull(ref r); }
        else if (r.ValueTextEquals("drop_reason_desc"u8)) { r.Read(); s.DropReasonDesc = StringOrNull(ref r); }
        else if (r.ValueTextEquals("drop_reason"u8)) { r.Read(); s.DropReason = Number(ref r); }
        else if (r.ValueTextEquals("traffic_direction"u8)) { r.Read(); s.Direction = StringOrNull(ref r); }
        else if (r.ValueTextEquals("is_reply"u8) || r.ValueTextEquals("reply"u8)) { r.Read(); s.IsReply = r.TokenType is JsonTokenType.True or JsonTokenType.False ? r.GetBoolean() : null; }
        else if (r.ValueTextEquals("node_name"u8)) { r.Read(); s.Node = StringOrNull(ref r); }
        else if (r.ValueTextEquals("IP"u8)) { r.Read(); ReadIp(ref r, ref s); }
        else if (r.ValueTextEquals("l4"u8)) { r.Read(); ReadL4(ref r, ref s); }
        else if (r.ValueTextEquals("source"u8)) { r.Read(); s.Src.Read(ref r); }
        else if (r.ValueTextEquals("destination"u8)) { r.Read(); s.Dst.Read(ref r); }
        else if (r.ValueTextEquals("source_service"u8)) { r.Read(); s.SourceService = ReadService(ref r); }
        else if (r.ValueTextEquals("destination_service"u8)) { r.Read(); s.DestinationService = ReadService(ref r); }
        else if (r.ValueTextEquals("source_names"u8)) { r.Read(); s.SourceNames = ReadStrings(ref r); }
        else if (r.ValueTextEquals("destination_names"u8)) { r.Read(); s.DestinationNames = ReadStrings(ref r); }
        else if (r.ValueTextEquals("ingress_allowed_by"u8)) { r.Read(); ReadPolicies(ref r, ref s, "ingress", "allow"); }
        else if (r.ValueTextEquals("egress_allowed_by"u8)) { r.Read(); ReadPolicies(ref r, ref s, "egress", "allow"); }
        else if (r.ValueTextEquals("ingress_denied_by"u8)) { r.Read(); ReadPolicies(ref r, ref s, "ingress", "deny"); }
        else if (r.ValueTextEquals("egress_denied_by"u8)) { r.Read(); ReadPolicies(ref r, ref s, "egress", "deny"); }
        else if (r.ValueTextEquals("aggregate"u8)) { r.Read(); s.AggregateCount = ReadAggregate(ref r); }
        else
        {
            var known = r.ValueTextEquals("uuid"u8) || r.ValueTextEquals("event_type"u8) || r.ValueTextEquals("Type"u8) || r.ValueTextEquals("ethernet"u8)
                || r.ValueTextEquals("l7"u8) || r.ValueTextEquals("Summary"u8) || r.ValueTextEquals("trace_observation_point"u8)
                || r.ValueTextEquals("policy_match_type"u8) || r.ValueTextEquals("interface"u8) || r.ValueTextEquals("traffic_direction"u8);
            r.Read();
            r.Skip();
            return known;
        }
        return true;
    }

    private static void ReadIp(ref Utf8JsonReader r, ref FlowState s)
    {
        if (r.TokenType != JsonTokenType.StartObject)
        {
            r.Skip();
            return;
        }
        string? xlated = null;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("source"u8)) { r.Read(); s.SourceIp = StringOrNull(ref r); }
            else if (r.ValueTextEquals("destination"u8)) { r.Read(); s.DestinationIp = StringOrNull(ref r); }
            else if (r.ValueTextEquals("source_xlated"u8)) { r.Read(); xlated = StringOrNull(ref r); }
            else { r.Read(); r.Skip(); }
        }
        // source_xlated is the post-SNAT address: the peer saw that one; the pod is IP.source, which we keep.
        _ = xlated;
    }

    private static void ReadL4(ref Utf8JsonReader r, ref FlowState s)
    {
        if (r.TokenType != JsonTokenType.StartObject)
        {
            r.Skip();
            return;
        }
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            Protocol protocol;
            if (r.ValueTextEquals("TCP"u8)) { protocol = Protocol.Tcp; }
            else if (r.ValueTextEquals("UDP"u8)) { protocol = Protocol.Udp; }
            else if (r.ValueTextEquals("SCTP"u8)) { protocol = Protocol.Sctp; }
            else if (r.ValueTextEquals("ICMPv4"u8)) { protocol = Protocol.IcmpV4; }
            else if (r.ValueTextEquals("ICMPv6"u8)) { protocol = Protocol.IcmpV6; }
            else { r.Read(); r.Skip(); continue; }
            s.Protocol = protocol;
            r.Read();
            if (r.TokenType != JsonTokenType.StartObject)
            {
                r.Skip();
                continue;
            }
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                if (r.ValueTextEquals("source_port"u8)) { r.Read(); s.SourcePort = (int?)Number(ref r); }
                else if (r.ValueTextEquals("destination_port"u8)) { r.Read(); s.DestinationPort = (int?)Number(ref r); }
                else if (r.ValueTextEquals("type"u8)) { r.Read(); s.IcmpType = (int?)Number(ref r); }
                else if (r.ValueTextEquals("code"u8)) { r.Read(); s.IcmpCode = (int?)Number(ref r); }
                else { r.Read(); r.Skip(); }
            }
        }
        if (s.Protocol is Protocol.Tcp or Protocol.Udp or Protocol.Sctp)
        {
            // protojson omits zero values: a present L4 section without ports means port 0.
            s.SourcePort ??= 0;
            s.DestinationPort ??= 0;
        }
    }

    private static string? ReadService(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.StartObject)
        {
            r.Skip();
            return null;
        }
        string? name = null, ns = null;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("name"u8)) { r.Read(); name = StringOrNull(ref r); }
            else if (r.ValueTextEquals("namespace"u8)) { r.Read(); ns = StringOrNull(ref r); }
            else { r.Read(); r.Skip(); }
        }
        return name is null ? null : ns is null ? name : $"{ns}/{name}";
    }

    private static void ReadPolicies(ref Utf8JsonReader r, ref FlowState s, string direction, string action)
    {
        if (r.TokenType != JsonTokenType.StartArray)
        {
            r.Skip();
            return;
        }
        while (r.Read() && r.TokenType == JsonTokenType.StartObject)
        {
            string? name = null, ns = null, kind = null, revision = null;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                if (r.ValueTextEquals("name"u8)) { r.Read(); name = StringOrNull(ref r); }
                else if (r.ValueTextEquals("namespace"u8)) { r.Read(); ns = StringOrNull(ref r); }
                else if (r.ValueTextEquals("kind"u8)) { r.Read(); kind = StringOrNull(ref r); }
                else if (r.ValueTextEquals("revision"u8)) { r.Read(); revision = r.TokenType == JsonTokenType.Number ? Encoding(ref r) : StringOrNull(ref r); }
                else { r.Read(); r.Skip(); }
            }
            if (name is not null)
            {
                (s.Policies ??= []).Add(new PolicyHit { Name = name, Namespace = ns, Kind = kind, Revision = revision, Direction = direction, Action = action });
            }
        }
    }

    private static long ReadAggregate(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.StartObject)
        {
            r.Skip();
            return 0;
        }
        long total = 0;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            r.Read();
            total += Number(ref r) ?? 0;
        }
        return total;
    }

    private static LostState ReadLost(ref Utf8JsonReader r)
    {
        var lost = new LostState();
        if (r.TokenType != JsonTokenType.StartObject)
        {
            r.Skip();
            return lost;
        }
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("source"u8)) { r.Read(); lost.Source = StringOrNull(ref r); }
            else if (r.ValueTextEquals("num_events_lost"u8)) { r.Read(); lost.Count = Number(ref r); }
            else if (r.ValueTextEquals("first"u8)) { r.Read(); lost.First = StringOrNull(ref r); }
            else if (r.ValueTextEquals("last"u8)) { r.Read(); lost.Last = StringOrNull(ref r); }
            else { r.Read(); r.Skip(); }
        }
        return lost;
    }

    private static List<string>? ReadStrings(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.StartArray)
        {
            r.Skip();
            return null;
        }
        var list = new List<string>();
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (r.TokenType == JsonTokenType.String)
            {
                list.Add(r.GetString()!);
            }
            else
            {
                r.Skip();
            }
        }
        return list;
    }

    private static string? StringOrNull(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.String)
        {
            return r.GetString();
        }
        r.Skip();
        return null;
    }

    private static string Encoding(ref Utf8JsonReader r) => System.Text.Encoding.UTF8.GetString(r.ValueSpan);

    /// <summary>A number, also when protojson wrote a 64-bit value as a string; null otherwise.</summary>
    private static long? Number(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Number && r.TryGetInt64(out var n))
        {
            return n;
        }
        if (r.TokenType == JsonTokenType.String && long.TryParse(r.ValueSpan, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }
        r.Skip();
        return null;
    }

    private struct LostState
    {
        public string? Source;
        public long? Count;
        public string? First;
        public string? Last;
    }

    private struct FlowState
    {
        public string? Time;
        public string? Verdict;
        public string? DropReasonDesc;
        public long? DropReason;
        public string? Direction;
        public bool? IsReply;
        public string? Node;
        public string? SourceIp;
        public string? DestinationIp;
        public Protocol Protocol;
        public int? SourcePort;
        public int? DestinationPort;
        public int? IcmpType;
        public int? IcmpCode;
        public HubbleEndpoint Src;
        public HubbleEndpoint Dst;
        public string? SourceService;
        public string? DestinationService;
        public List<string>? SourceNames;
        public List<string>? DestinationNames;
        public List<PolicyHit>? Policies;
        public long AggregateCount;
    }
}

/// <summary>A Hubble Endpoint object: identity, namespace, pod, workloads, labels.</summary>
internal struct HubbleEndpoint
{
    private long? _identity;
    private string? _namespace;
    private string? _pod;
    private string? _workload;
    private string? _workloadKind;
    private Dictionary<string, string>? _labels;

    public void Read(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.StartObject)
        {
            r.Skip();
            return;
        }
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("identity"u8))
            {
                r.Read();
                _identity = r.TokenType == JsonTokenType.Number && r.TryGetInt64(out var id) ? id
                    : r.TokenType == JsonTokenType.String && long.TryParse(r.ValueSpan, NumberStyles.Integer, CultureInfo.InvariantCulture, out var sid) ? sid : null;
            }
            else if (r.ValueTextEquals("namespace"u8)) { r.Read(); _namespace = r.TokenType == JsonTokenType.String ? r.GetString() : null; }
            else if (r.ValueTextEquals("pod_name"u8)) { r.Read(); _pod = r.TokenType == JsonTokenType.String ? r.GetString() : null; }
            else if (r.ValueTextEquals("labels"u8))
            {
                r.Read();
                if (r.TokenType != JsonTokenType.StartArray)
                {
                    r.Skip();
                    continue;
                }
                while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                {
                    if (r.TokenType == JsonTokenType.String)
                    {
                        AddLabel(r.GetString()!);
                    }
                    else
                    {
                        r.Skip();
                    }
                }
            }
            else if (r.ValueTextEquals("workloads"u8))
            {
                r.Read();
                if (r.TokenType != JsonTokenType.StartArray)
                {
                    r.Skip();
                    continue;
                }
                while (r.Read() && r.TokenType == JsonTokenType.StartObject)
                {
                    string? name = null, kind = null;
                    while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                    {
                        if (r.ValueTextEquals("name"u8)) { r.Read(); name = r.TokenType == JsonTokenType.String ? r.GetString() : null; }
                        else if (r.ValueTextEquals("kind"u8)) { r.Read(); kind = r.TokenType == JsonTokenType.String ? r.GetString() : null; }
                        else { r.Read(); r.Skip(); }
                    }
                    if (_workload is null && name is not null)
                    {
                        _workload = name;
                        _workloadKind = kind;
                    }
                }
            }
            else
            {
                r.Read();
                r.Skip();
            }
        }
    }

    private void AddLabel(string label)
    {
        // "k8s:app=web" -> app=web; other sources keep their prefix ("reserved:host", "cidr:1.1.1.1/32").
        var text = label.StartsWith("k8s:", StringComparison.Ordinal) ? label[4..] : label;
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        _labels ??= new Dictionary<string, string>(StringComparer.Ordinal);
        if (eq < 0)
        {
            _labels[text] = "";
        }
        else
        {
            _labels[text[..eq]] = text[(eq + 1)..];
        }
    }

    public readonly FlowEndpoint Build(IPAddress? ip, int? port, string? service, List<string>? names) => new()
    {
        IP = ip,
        Port = port,
        Namespace = _namespace,
        Pod = _pod,
        Workload = _workload,
        WorkloadKind = _workloadKind,
        Labels = _labels,
        Identity = _identity,
        Service = service,
        Names = names,
    };
}
