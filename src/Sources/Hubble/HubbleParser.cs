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
internal sealed partial class HubbleParser : ILineParser
{
    private static readonly Func<ReadOnlySpan<byte>, IPAddress?> ParseAddress = bytes => IPAddress.TryParse(bytes, out var ip) ? ip : null;

    // Sized for a few thousand pods (names, addresses, label sets); each cache starts afresh when full.
    private readonly Utf8StringCache _strings = new(bits: 14);
    private readonly Utf8Cache<Dictionary<string, string>> _labels = new(bits: 13, maxKeyBytes: 8192);
    private readonly Utf8Cache<IPAddress?> _addresses = new(bits: 14, maxKeyBytes: 64);
    private readonly Utf8Cache<HubbleEndpoint> _endpoints = new(bits: 14, maxKeyBytes: 4096);
    // The same endpoints, found by the bytes that follow without reading them to their end first.
    private readonly RepeatCache<HubbleEndpoint> _endpointRepeats = new(bits: 14, maxRunBytes: 4096);
    private readonly bool _fastPath;
    private Timestamp? _lastTime;

    /// <summary>A parser for one input; <paramref name="fastPath"/> false reads every line through Utf8JsonReader (for tests).</summary>
    public HubbleParser(bool fastPath = true) => _fastPath = fastPath;

    /// <summary>Lines the fast path read (the rest went through Utf8JsonReader); for tests and benchmarks.</summary>
    public long FastLines { get; private set; }

    public void Parse(LineContext line, RecordSink sink)
    {
        if (_fastPath)
        {
            var fast = new FlowState();
            if (TryScanFlow(line.Bytes.Span, ref fast))
            {
                FastLines++;
                Emit(line, sink, ref fast);
                return;
            }
        }
        var state = new FlowState();
        string? wrapperNode = null;
        var wrapperTime = new LazyText(null);
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
                    ReadFlowObject(ref reader, ref state, line.Bytes.Span);
                    sawFlowField = true;
                }
                else if (reader.ValueTextEquals("node_name"u8))
                {
                    reader.Read();
                    wrapperNode = CachedString(ref reader);
                    state.Node ??= wrapperNode;
                }
                else if (reader.ValueTextEquals("time"u8))
                {
                    reader.Read();
                    // Decoded only when it is used (a lost-events record, or a flow without its own time).
                    wrapperTime = reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped
                        ? new LazyText((int)reader.TokenStartIndex + 1, reader.ValueSpan.Length)
                        : new LazyText(JsonValues.StringOrNull(ref reader));
                    if (!state.HasTime && !wrapperTime.IsNull)
                    {
                        if (wrapperTime.Text is null && Timestamp.TryParseRfc3339(wrapperTime.Bytes(line.Bytes.Span), out var time))
                        {
                            state.ParsedTime = time;
                            state.Time = null;
                        }
                        else
                        {
                            state.ParsedTime = null;
                            state.Time = wrapperTime.Get(line.Bytes.Span);
                        }
                        state.HasTime = true;
                    }
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
                    sawFlowField |= ReadFlowProperty(ref reader, ref state, line.Bytes.Span);
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
            EmitLost(line, sink, lost.Value, wrapperTime.Get(line.Bytes.Span), wrapperNode);
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
        Timestamp time;
        if (s.ParsedTime is { } parsed)
        {
            time = parsed;
        }
        else if (s.Time is null)
        {
            sink.Reject("flow has no time");
            return;
        }
        else if (!Timestamp.TryParseRfc3339(s.Time, out time))
        {
            sink.Reject($"bad time '{s.Time}'");
            return;
        }
        _lastTime = time;
        if (s.BadSourceIp is not null)
        {
            sink.Reject($"bad IP.source '{s.BadSourceIp}'");
            return;
        }
        if (s.BadDestinationIp is not null)
        {
            sink.Reject($"bad IP.destination '{s.BadDestinationIp}'");
            return;
        }
        var srcIp = s.SourceIp;
        var dstIp = s.DestinationIp;
        IReadOnlyList<string> policies = [];
        List<PolicyHit>? hits = null;
        if (s.Policies is not null)
        {
            hits = s.Policies;
            var names = new List<string>(hits.Count);
            policies = names;
            foreach (var hit in hits)
            {
                var name = hit.Namespace is null ? hit.Name : $"{hit.Namespace}/{hit.Name}";
                if (!names.Contains(name))
                {
                    names.Add(name);
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

    private void ReadFlowObject(ref Utf8JsonReader reader, ref FlowState state, ReadOnlySpan<byte> line)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            ReadFlowProperty(ref reader, ref state, line);
        }
    }

    /// <summary>A string value through the cache (names, verdicts and nodes repeat on every line).</summary>
    private string? CachedString(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.String)
        {
            r.Skip();
            return null;
        }
        return r.ValueIsEscaped ? r.GetString() : _strings.Get(r.ValueSpan);
    }

    /// <summary>An endpoint object; its names and its label set go through caches (the same pods recur line after line).</summary>
    private void ReadEndpoint(ref Utf8JsonReader r, ReadOnlySpan<byte> line, out HubbleEndpoint endpoint)
    {
        endpoint = default;
        if (r.TokenType != JsonTokenType.StartObject)
        {
            r.Skip();
            return;
        }
        endpoint.Read(ref r, line, _strings, _labels);
    }

    private (IPAddress? Address, string? Bad) CachedAddress(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.String)
        {
            r.Skip();
            return (null, null);
        }
        if (!r.ValueIsEscaped && TryParseDottedQuad(r.ValueSpan, out var quad))
        {
            return (quad, null);
        }
        var ip = r.ValueIsEscaped ? (IPAddress.TryParse(r.GetString(), out var parsed) ? parsed : null) : _addresses.Get(r.ValueSpan, ParseAddress);
        return ip is null ? (null, r.GetString()) : (ip, null);
    }

    /// <summary>
    /// The canonical IPv4 form ("10.1.17.4": four decimal parts of 1-3 digits, no leading zeros), which
    /// IPAddress.TryParse reads the same way. Building the address is cheaper than finding it in a cache of thousands
    /// (a lookup there mostly misses the CPU caches). Anything else: false, and the caller parses as before.
    /// </summary>
    private static bool TryParseDottedQuad(ReadOnlySpan<byte> text, out IPAddress? address)
    {
        address = null;
        if (text.Length is < 7 or > 15)
        {
            return false;
        }
        Span<byte> parts = stackalloc byte[4];
        var i = 0;
        for (var part = 0; part < 4; part++)
        {
            if (part > 0)
            {
                if (i >= text.Length || text[i] != (byte)'.')
                {
                    return false;
                }
                i++;
            }
            var start = i;
            var value = 0;
            while (i < text.Length && i - start < 3 && char.IsAsciiDigit((char)text[i]))
            {
                value = value * 10 + (text[i] - '0');
                i++;
            }
            if (i == start || value > 255 || (text[start] == (byte)'0' && i - start > 1))
            {
                return false;
            }
            parts[part] = (byte)value;
        }
        if (i != text.Length)
        {
            return false;
        }
        address = new IPAddress(parts);
        return true;
    }

    private enum FlowField
    {
        Other = 0, Time, Verdict, DropReasonDesc, DropReason, TrafficDirection, IsReply, NodeName, IP, L4, Source, Destination,
        SourceService, DestinationService, SourceNames, DestinationNames, IngressAllowedBy, EgressAllowedBy, IngressDeniedBy,
        EgressDeniedBy, Aggregate, KnownOther,
    }

    /// <summary>Names a Flow property with one length switch and at most a few byte comparisons (this runs ~25 times a line).</summary>
    private static FlowField Identify(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 => name.SequenceEqual("IP"u8) ? FlowField.IP : name.SequenceEqual("l4"u8) || name.SequenceEqual("l7"u8) ? (name[1] == (byte)'4' ? FlowField.L4 : FlowField.KnownOther) : FlowField.Other,
        4 => name.SequenceEqual("time"u8) ? FlowField.Time : name.SequenceEqual("uuid"u8) || name.SequenceEqual("Type"u8) ? FlowField.KnownOther : FlowField.Other,
        5 => name.SequenceEqual("reply"u8) ? FlowField.IsReply : FlowField.Other,
        6 => name.SequenceEqual("source"u8) ? FlowField.Source : FlowField.Other,
        7 => name.SequenceEqual("verdict"u8) ? FlowField.Verdict : name.SequenceEqual("Summary"u8) ? FlowField.KnownOther : FlowField.Other,
        8 => name.SequenceEqual("is_reply"u8) ? FlowField.IsReply : name.SequenceEqual("ethernet"u8) ? FlowField.KnownOther : FlowField.Other,
        9 => name.SequenceEqual("node_name"u8) ? FlowField.NodeName : name.SequenceEqual("aggregate"u8) ? FlowField.Aggregate : name.SequenceEqual("interface"u8) ? FlowField.KnownOther : FlowField.Other,
        10 => name.SequenceEqual("event_type"u8) ? FlowField.KnownOther : FlowField.Other,
        11 => name.SequenceEqual("destination"u8) ? FlowField.Destination : name.SequenceEqual("drop_reason"u8) ? FlowField.DropReason : FlowField.Other,
        12 => name.SequenceEqual("source_names"u8) ? FlowField.SourceNames : FlowField.Other,
        14 => name.SequenceEqual("source_service"u8) ? FlowField.SourceService : FlowField.Other,
        16 => name.SequenceEqual("drop_reason_desc"u8) ? FlowField.DropReasonDesc : name.SequenceEqual("egress_denied_by"u8) ? FlowField.EgressDeniedBy : FlowField.Other,
        17 => name.SequenceEqual("traffic_direction"u8) ? FlowField.TrafficDirection
            : name.SequenceEqual("destination_names"u8) ? FlowField.DestinationNames
            : name.SequenceEqual("egress_allowed_by"u8) ? FlowField.EgressAllowedBy
            : name.SequenceEqual("ingress_denied_by"u8) ? FlowField.IngressDeniedBy
            : name.SequenceEqual("policy_match_type"u8) ? FlowField.KnownOther : FlowField.Other,
        18 => name.SequenceEqual("ingress_allowed_by"u8) ? FlowField.IngressAllowedBy : FlowField.Other,
        19 => name.SequenceEqual("destination_service"u8) ? FlowField.DestinationService : FlowField.Other,
        23 => name.SequenceEqual("trace_observation_point"u8) ? FlowField.KnownOther : FlowField.Other,
        _ => FlowField.Other,
    };

    /// <summary>Reads one Flow property (reader on its name); returns whether it was a Flow field.</summary>
    private bool ReadFlowProperty(ref Utf8JsonReader r, ref FlowState s, ReadOnlySpan<byte> line)
    {
        var field = r.ValueIsEscaped ? Identify(System.Text.Encoding.UTF8.GetBytes(r.GetString()!)) : Identify(r.ValueSpan);
        r.Read();
        switch (field)
        {
            case FlowField.Time: ReadTime(ref r, ref s); break;
            case FlowField.Verdict: s.Verdict = CachedString(ref r); break;
            case FlowField.DropReasonDesc: s.DropReasonDesc = CachedString(ref r); break;
            case FlowField.DropReason: s.DropReason = JsonValues.Int64(ref r); break;
            case FlowField.TrafficDirection: s.Direction = CachedString(ref r); break;
            case FlowField.IsReply: s.IsReply = r.TokenType is JsonTokenType.True or JsonTokenType.False ? r.GetBoolean() : null; break;
            case FlowField.NodeName: s.Node = CachedString(ref r); break;
            case FlowField.IP: ReadIp(ref r, ref s); break;
            case FlowField.L4: ReadL4(ref r, ref s); break;
            case FlowField.Source: ReadEndpoint(ref r, line, out s.Src); break;
            case FlowField.Destination: ReadEndpoint(ref r, line, out s.Dst); break;
            case FlowField.SourceService: s.SourceService = ReadService(ref r); break;
            case FlowField.DestinationService: s.DestinationService = ReadService(ref r); break;
            case FlowField.SourceNames: s.SourceNames = JsonValues.Strings(ref r); break;
            case FlowField.DestinationNames: s.DestinationNames = JsonValues.Strings(ref r); break;
            case FlowField.IngressAllowedBy: ReadPolicies(ref r, ref s, "ingress", "allow"); break;
            case FlowField.EgressAllowedBy: ReadPolicies(ref r, ref s, "egress", "allow"); break;
            case FlowField.IngressDeniedBy: ReadPolicies(ref r, ref s, "ingress", "deny"); break;
            case FlowField.EgressDeniedBy: ReadPolicies(ref r, ref s, "egress", "deny"); break;
            case FlowField.Aggregate: s.AggregateCount = ReadAggregate(ref r); break;
            default:
                r.Skip();
                return field == FlowField.KnownOther;
        }
        return true;
    }

    private void ReadTime(ref Utf8JsonReader r, ref FlowState s)
    {
        if (r.TokenType != JsonTokenType.String)
        {
            r.Skip();
            return;
        }
        if (!r.ValueIsEscaped && Timestamp.TryParseRfc3339(r.ValueSpan, out var time))
        {
            s.ParsedTime = time;
            s.Time = null;
        }
        else
        {
            s.ParsedTime = null;
            s.Time = r.GetString();
        }
        s.HasTime = true;
    }

    private void ReadIp(ref Utf8JsonReader r, ref FlowState s)
    {
        if (r.TokenType != JsonTokenType.StartObject)
        {
            r.Skip();
            return;
        }
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            // source_xlated (post-SNAT) is what the peer saw; the pod is IP.source, which is what we keep.
            if (r.ValueTextEquals("source"u8)) { r.Read(); (s.SourceIp, s.BadSourceIp) = CachedAddress(ref r); }
            else if (r.ValueTextEquals("destination"u8)) { r.Read(); (s.DestinationIp, s.BadDestinationIp) = CachedAddress(ref r); }
            else { r.Read(); r.Skip(); }
        }
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
                if (r.ValueTextEquals("source_port"u8)) { r.Read(); s.SourcePort = (int?)JsonValues.Int64(ref r); }
                else if (r.ValueTextEquals("destination_port"u8)) { r.Read(); s.DestinationPort = (int?)JsonValues.Int64(ref r); }
                else if (r.ValueTextEquals("type"u8)) { r.Read(); s.IcmpType = (int?)JsonValues.Int64(ref r); }
                else if (r.ValueTextEquals("code"u8)) { r.Read(); s.IcmpCode = (int?)JsonValues.Int64(ref r); }
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
            if (r.ValueTextEquals("name"u8)) { r.Read(); name = JsonValues.StringOrNull(ref r); }
            else if (r.ValueTextEquals("namespace"u8)) { r.Read(); ns = JsonValues.StringOrNull(ref r); }
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
                if (r.ValueTextEquals("name"u8)) { r.Read(); name = JsonValues.StringOrNull(ref r); }
                else if (r.ValueTextEquals("namespace"u8)) { r.Read(); ns = JsonValues.StringOrNull(ref r); }
                else if (r.ValueTextEquals("kind"u8)) { r.Read(); kind = JsonValues.StringOrNull(ref r); }
                else if (r.ValueTextEquals("revision"u8)) { r.Read(); revision = r.TokenType == JsonTokenType.Number ? RawNumber(ref r) : JsonValues.StringOrNull(ref r); }
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
            total += JsonValues.Int64(ref r) ?? 0;
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
            if (r.ValueTextEquals("source"u8)) { r.Read(); lost.Source = JsonValues.StringOrNull(ref r); }
            else if (r.ValueTextEquals("num_events_lost"u8)) { r.Read(); lost.Count = JsonValues.Int64(ref r); }
            else if (r.ValueTextEquals("first"u8)) { r.Read(); lost.First = JsonValues.StringOrNull(ref r); }
            else if (r.ValueTextEquals("last"u8)) { r.Read(); lost.Last = JsonValues.StringOrNull(ref r); }
            else { r.Read(); r.Skip(); }
        }
        return lost;
    }



    private static string RawNumber(ref Utf8JsonReader r) => System.Text.Encoding.UTF8.GetString(r.ValueSpan);


    /// <summary>A string value kept as its place in the line until someone needs the string; IsNull when absent or not a string.</summary>
    private readonly struct LazyText
    {
        private readonly int _start;
        private readonly int _length;

        public LazyText(int start, int length) => (_start, _length, Text) = (start, length, null);

        public LazyText(string? text) => (_start, _length, Text) = (0, text is null ? -1 : 0, text);

        /// <summary>The decoded string when it was escaped (or never in the line); null when it is still only a range.</summary>
        public string? Text { get; }

        public bool IsNull => _length < 0;

        public ReadOnlySpan<byte> Bytes(ReadOnlySpan<byte> line) => line.Slice(_start, _length);

        public string? Get(ReadOnlySpan<byte> line) => Text ?? (IsNull ? null : System.Text.Encoding.UTF8.GetString(Bytes(line)));
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
        public bool HasTime;
        public Timestamp? ParsedTime;
        public string? Time;
        public string? Verdict;
        public string? DropReasonDesc;
        public long? DropReason;
        public string? Direction;
        public bool? IsReply;
        public string? Node;
        public IPAddress? SourceIp;
        public IPAddress? DestinationIp;
        // Where the endpoint repeat cache keeps the pods at those addresses (0: not known).
        public ulong SourceHint;
        public ulong DestinationHint;
        public string? BadSourceIp;
        public string? BadDestinationIp;
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

/// <summary>A Hubble Endpoint object as read: identity, namespace, pod, workloads, labels (all default when absent).</summary>
internal struct HubbleEndpoint
{
    private long? _identity;
    private string? _namespace;
    private string? _pod;
    private string? _workload;
    private string? _workloadKind;
    private IReadOnlyDictionary<string, string>? _labels;

    /// <summary>An endpoint as the fast path read it.</summary>
    public HubbleEndpoint(long? identity, string? ns, string? pod, string? workload, string? workloadKind, IReadOnlyDictionary<string, string>? labels) =>
        (_identity, _namespace, _pod, _workload, _workloadKind, _labels) = (identity, ns, pod, workload, workloadKind, labels);

    /// <summary>A label set from the raw bytes of a "labels" array (the key of the label-set cache).</summary>
    public static readonly Func<ReadOnlySpan<byte>, Dictionary<string, string>> ParseLabels = bytes =>
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(bytes);
        reader.Read();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                AddLabel(labels, reader.GetString()!);
            }
            else
            {
                reader.Skip();
            }
        }
        return labels;
    };

    public void Read(ref Utf8JsonReader r, ReadOnlySpan<byte> line, Utf8StringCache strings, Utf8Cache<Dictionary<string, string>> labelSets)
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
            else if (r.ValueTextEquals("namespace"u8)) { r.Read(); _namespace = Text(ref r, strings); }
            else if (r.ValueTextEquals("pod_name"u8))
            {
                // Not through the cache: with thousands of pods a lookup mostly misses the CPU caches, and decoding
                // a short name afresh costs less.
                r.Read();
                _pod = JsonValues.StringOrNull(ref r);
            }
            else if (r.ValueTextEquals("labels"u8))
            {
                r.Read();
                if (r.TokenType != JsonTokenType.StartArray)
                {
                    r.Skip();
                    continue;
                }
                var start = (int)r.TokenStartIndex;
                r.Skip();
                var set = labelSets.Get(line[start..(int)r.BytesConsumed], ParseLabels);
                _labels = set.Count == 0 ? null : set;
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
                        if (r.ValueTextEquals("name"u8)) { r.Read(); name = Text(ref r, strings); }
                        else if (r.ValueTextEquals("kind"u8)) { r.Read(); kind = Text(ref r, strings); }
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

    private static string? Text(ref Utf8JsonReader r, Utf8StringCache strings)
    {
        if (r.TokenType != JsonTokenType.String)
        {
            r.Skip();
            return null;
        }
        return r.ValueIsEscaped ? r.GetString() : strings.Get(r.ValueSpan);
    }

    private static void AddLabel(Dictionary<string, string> labels, string label)
    {
        // "k8s:app=web" -> app=web; other sources keep their prefix ("reserved:host", "cidr:1.1.1.1/32").
        var text = label.StartsWith("k8s:", StringComparison.Ordinal) ? label[4..] : label;
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq < 0)
        {
            labels[text] = "";
        }
        else
        {
            labels[text[..eq]] = text[(eq + 1)..];
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
