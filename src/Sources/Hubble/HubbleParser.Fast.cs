using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Hubble;

/// <summary>
/// The fast path: one pass over the UTF-8 bytes of a flow line of the usual shape (the GetFlowsResponse wrapper, or the
/// legacy bare Flow), reading the fields the parser uses into the same state the Utf8JsonReader path fills, and
/// skipping the rest with JSON's full grammar for strings, numbers, literals and nesting. Whatever it does not handle
/// exactly as that path does (an escape anywhere, a value of an unexpected type, a duplicate key it reads, a number it
/// would have to convert, an address or time that does not parse, a lost/agent/debug/node event, truncation, trailing
/// data, nesting deeper than 32) makes it decline, and the line is read again from the start on the Utf8JsonReader
/// path, so rejections keep their reasons and byte positions.
/// </summary>
/// <remarks>
/// Assumes the line is valid UTF-8 (the source stage checks every line before any parser sees it): strings are decoded
/// with replacement, as the slow path's cached strings are.
/// </remarks>
internal sealed partial class HubbleParser
{
    private const int MaxFastDepth = 32;

    // A string's scan stops at its closing quote, an escape, or a control character (invalid inside a JSON string).
    private static readonly SearchValues<byte> StringStops = SearchValues.Create(StringStopBytes());

    /// <summary>1 for the bytes that end a string's scan (as <see cref="StringStops"/>), for the scalar loop over short strings.</summary>
    private static ReadOnlySpan<byte> StopTable =>
    [
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    /// <summary>
    /// Where the first stop byte is in <paramref name="text"/> from <paramref name="start"/> (-1: none): a scalar loop
    /// for the first 16 bytes (most keys and values are shorter, and a vector search costs more to set up), then
    /// the vectorized search.
    /// </summary>
    private static int IndexOfStop(ReadOnlySpan<byte> text, int start)
    {
        unchecked
        {
            var table = StopTable;
            var end = Math.Min(text.Length, start + 16);
            for (var i = start; i < end; i++)
            {
                if (table[text[i]] != 0)
                {
                    return i;
                }
            }
            if (end == text.Length)
            {
                return -1;
            }
            var found = text[end..].IndexOfAny(StringStops);
            return found < 0 ? -1 : end + found;
        }
    }

    private static byte[] StringStopBytes()
    {
        var stops = new byte[0x22];
        for (var i = 0; i < 0x20; i++)
        {
            stops[i] = (byte)i;
        }
        stops[0x20] = (byte)'"';
        stops[0x21] = (byte)'\\';
        return stops;
    }

    /// <summary>Endpoints the fast path found in its cache (for tests).</summary>
    internal long EndpointHits { get; private set; }

    /// <summary>Of those, endpoints taken as repeats of bytes read before (without reading them to their end).</summary>
    internal long RepeatHits { get; private set; }

    /// <summary>The fast scan alone, without building a record (for the benchmark's breakdown of the stage).</summary>
    internal bool ScanOnly(ReadOnlySpan<byte> line)
    {
        var s = new FlowState();
        return TryScanFlow(line, ref s);
    }

    /// <summary>The fast path's grammar alone: the whole line skipped as one value (for the benchmark's breakdown).</summary>
    internal static bool SkipOnly(ReadOnlySpan<byte> line)
    {
        var c = new Cursor(line);
        return c.Skip(0) && c.AtEnd();
    }

    /// <summary>Reads a flow line into <paramref name="s"/>, or declines (false) and leaves the line to the slow path.</summary>
    private bool TryScanFlow(ReadOnlySpan<byte> line, ref FlowState s)
    {
        try
        {
            return ScanFlowLine(line, ref s);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Nothing here is expected to throw; if something does, the slow path decides what the line is.
            return false;
        }
    }

    private bool ScanFlowLine(ReadOnlySpan<byte> line, ref FlowState s)
    {
        var c = new Cursor(line);
        if (!c.BeginObject(out var more))
        {
            return false;
        }
        var sawFlowField = false;
        ulong seenFields = 0;
        var seenWrapper = 0;
        while (more)
        {
            if (!c.Key(out var key))
            {
                return false;
            }
            if (key.SequenceEqual("flow"u8))
            {
                if (!Once(ref seenWrapper, 1) || !c.BeginObject(out var inner))
                {
                    return false;
                }
                while (inner)
                {
                    if (!c.Key(out var name) || !ScanFlowProperty(ref c, name, ref s, ref seenFields, line, out _) || !c.EndMember((byte)'}', out inner))
                    {
                        return false;
                    }
                }
                sawFlowField = true;
            }
            else if (key.SequenceEqual("node_name"u8))
            {
                if (!Once(ref seenWrapper, 2) || !c.String(out var node))
                {
                    return false;
                }
                s.Node ??= _strings.Get(node);
            }
            else if (key.SequenceEqual("time"u8))
            {
                if (!Once(ref seenWrapper, 4) || !c.String(out var text))
                {
                    return false;
                }
                if (!s.HasTime)
                {
                    if (!Timestamp.TryParseRfc3339(text, out var time))
                    {
                        return false;
                    }
                    s.ParsedTime = time;
                    s.Time = null;
                    s.HasTime = true;
                }
            }
            else if (key.SequenceEqual("lost_events"u8) || key.SequenceEqual("agent_event"u8) || key.SequenceEqual("debug_event"u8) || key.SequenceEqual("node_status"u8))
            {
                return false;
            }
            else
            {
                // A legacy bare Flow: its fields are at the top level.
                if (!ScanFlowProperty(ref c, key, ref s, ref seenFields, line, out var isFlowField))
                {
                    return false;
                }
                sawFlowField |= isFlowField;
            }
            if (!c.EndMember((byte)'}', out more))
            {
                return false;
            }
        }
        return c.AtEnd() && sawFlowField;
    }

    /// <summary>
    /// The words Hubble writes again and again (verdicts, directions, drop reasons, workload kinds) as constants; anything
    /// else through the string cache. A comparison with a constant costs less than a hashed lookup.
    /// </summary>
    private string Word(ReadOnlySpan<byte> text) => text.Length switch
    {
        6 when text.SequenceEqual("EGRESS"u8) => "EGRESS",
        7 when text.SequenceEqual("INGRESS"u8) => "INGRESS",
        7 when text.SequenceEqual("DROPPED"u8) => "DROPPED",
        9 when text.SequenceEqual("FORWARDED"u8) => "FORWARDED",
        10 when text.SequenceEqual("Deployment"u8) => "Deployment",
        11 when text.SequenceEqual("StatefulSet"u8) => "StatefulSet",
        13 when text.SequenceEqual("POLICY_DENIED"u8) => "POLICY_DENIED",
        _ => _strings.Get(text),
    };

    private static bool Once(ref int seen, int bit)
    {
        if ((seen & bit) != 0)
        {
            return false;
        }
        seen |= bit;
        return true;
    }

    /// <summary>One Flow property (cursor after its colon), as <see cref="ReadFlowProperty"/> reads it; false to decline.</summary>
    private bool ScanFlowProperty(ref Cursor c, ReadOnlySpan<byte> name, ref FlowState s, ref ulong seen, ReadOnlySpan<byte> line, out bool isFlowField)
    {
        var field = Identify(name);
        isFlowField = field != FlowField.Other;
        if (field is FlowField.Other or FlowField.KnownOther)
        {
            return c.Skip(0);
        }
        // Hubble writes the deprecated "reply" beside "is_reply": each may appear once (the later one wins, as on the slow path).
        var bit = field == FlowField.IsReply && name.Length == 5 ? 1UL << 63 : 1UL << (int)field;
        if ((seen & bit) != 0)
        {
            return false;
        }
        seen |= bit;
        ReadOnlySpan<byte> text;
        switch (field)
        {
            case FlowField.Time:
                if (!c.String(out text) || !Timestamp.TryParseRfc3339(text, out var time))
                {
                    return false;
                }
                s.ParsedTime = time;
                s.Time = null;
                s.HasTime = true;
                return true;
            case FlowField.Verdict:
                if (!c.String(out text))
                {
                    return false;
                }
                s.Verdict = Word(text);
                return true;
            case FlowField.DropReasonDesc:
                if (!c.String(out text))
                {
                    return false;
                }
                s.DropReasonDesc = Word(text);
                return true;
            case FlowField.DropReason:
                if (!c.Int64(out var reason))
                {
                    return false;
                }
                s.DropReason = reason;
                return true;
            case FlowField.TrafficDirection:
                if (!c.String(out text))
                {
                    return false;
                }
                s.Direction = Word(text);
                return true;
            case FlowField.IsReply:
                if (!c.Boolean(out var reply))
                {
                    return false;
                }
                s.IsReply = reply;
                return true;
            case FlowField.NodeName:
                if (!c.String(out text))
                {
                    return false;
                }
                s.Node = _strings.Get(text);
                return true;
            case FlowField.IP: return ScanIp(ref c, ref s);
            case FlowField.L4:
                // The endpoints' slots were asked for with the addresses; now their runs.
                _endpointRepeats.Prefetch(s.SourceHint, run: true);
                _endpointRepeats.Prefetch(s.DestinationHint, run: true);
                return ScanL4(ref c, ref s);
            case FlowField.Source: return ScanEndpoint(ref c, line, s.SourceHint, out s.Src);
            case FlowField.Destination: return ScanEndpoint(ref c, line, s.DestinationHint, out s.Dst);
            case FlowField.SourceService: return ScanService(ref c, out s.SourceService);
            case FlowField.DestinationService: return ScanService(ref c, out s.DestinationService);
            case FlowField.SourceNames: return ScanStrings(ref c, out s.SourceNames);
            case FlowField.DestinationNames: return ScanStrings(ref c, out s.DestinationNames);
            case FlowField.IngressAllowedBy: return ScanPolicies(ref c, ref s, "ingress", "allow");
            case FlowField.EgressAllowedBy: return ScanPolicies(ref c, ref s, "egress", "allow");
            case FlowField.IngressDeniedBy: return ScanPolicies(ref c, ref s, "ingress", "deny");
            case FlowField.EgressDeniedBy: return ScanPolicies(ref c, ref s, "egress", "deny");
            case FlowField.Aggregate: return ScanAggregate(ref c, out s.AggregateCount);
            default: return false;
        }
    }

    private bool ScanIp(ref Cursor c, ref FlowState s)
    {
        if (!c.BeginObject(out var more))
        {
            return false;
        }
        var seen = 0;
        while (more)
        {
            if (!c.Key(out var key))
            {
                return false;
            }
            if (key.SequenceEqual("source"u8))
            {
                if (!Once(ref seen, 1) || !ScanAddress(ref c, out s.SourceIp, out s.SourceHint))
                {
                    return false;
                }
            }
            else if (key.SequenceEqual("destination"u8))
            {
                if (!Once(ref seen, 2) || !ScanAddress(ref c, out s.DestinationIp, out s.DestinationHint))
                {
                    return false;
                }
            }
            else if (!c.Skip(1))
            {
                return false;
            }
            if (!c.EndMember((byte)'}', out more))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// An address as <see cref="CachedAddress"/> reads it, and the hint under which the endpoint repeat cache keeps the
    /// pod at that address (its slot is prefetched now, as the endpoint comes later in the line); an address that does
    /// not parse declines (the slow path rejects it).
    /// </summary>
    private bool ScanAddress(ref Cursor c, out System.Net.IPAddress? address, out ulong hint)
    {
        address = null;
        hint = 0;
        if (!c.String(out var text))
        {
            return false;
        }
        hint = RepeatCache<HubbleEndpoint>.HintOf(text);
        _endpointRepeats.Prefetch(hint, run: false);
        if (!TryParseDottedQuad(text, out address))
        {
            address = _addresses.Get(text, ParseAddress);
        }
        return address is not null;
    }

    private static bool ScanL4(ref Cursor c, ref FlowState s)
    {
        if (!c.BeginObject(out var more))
        {
            return false;
        }
        var protocols = 0;
        while (more)
        {
            if (!c.Key(out var key))
            {
                return false;
            }
            Protocol? protocol = key.SequenceEqual("TCP"u8) ? Protocol.Tcp
                : key.SequenceEqual("UDP"u8) ? Protocol.Udp
                : key.SequenceEqual("SCTP"u8) ? Protocol.Sctp
                : key.SequenceEqual("ICMPv4"u8) ? Protocol.IcmpV4
                : key.SequenceEqual("ICMPv6"u8) ? Protocol.IcmpV6
                : null;
            if (protocol is null)
            {
                if (!c.Skip(1))
                {
                    return false;
                }
            }
            else
            {
                // Two protocol sections would mix their ports: left to the slow path.
                if (++protocols > 1 || !c.BeginObject(out var inner))
                {
                    return false;
                }
                s.Protocol = protocol.Value;
                var seen = 0;
                while (inner)
                {
                    if (!c.Key(out var name))
                    {
                        return false;
                    }
                    var bit = name.SequenceEqual("source_port"u8) ? 1 : name.SequenceEqual("destination_port"u8) ? 2
                        : name.SequenceEqual("type"u8) ? 4 : name.SequenceEqual("code"u8) ? 8 : 0;
                    if (bit == 0)
                    {
                        if (!c.Skip(2))
                        {
                            return false;
                        }
                    }
                    else
                    {
                        // The slow path's int conversion is checked: out of range, it fails there, with its own reason.
                        if (!Once(ref seen, bit) || !c.Int64(out var value) || value is < int.MinValue or > int.MaxValue)
                        {
                            return false;
                        }
                        var number = (int)value;
                        switch (bit)
                        {
                            case 1: s.SourcePort = number; break;
                            case 2: s.DestinationPort = number; break;
                            case 4: s.IcmpType = number; break;
                            default: s.IcmpCode = number; break;
                        }
                    }
                    if (!c.EndMember((byte)'}', out inner))
                    {
                        return false;
                    }
                }
            }
            if (!c.EndMember((byte)'}', out more))
            {
                return false;
            }
        }
        if (s.Protocol is Protocol.Tcp or Protocol.Udp or Protocol.Sctp)
        {
            s.SourcePort ??= 0;
            s.DestinationPort ??= 0;
        }
        return true;
    }

    /// <summary>
    /// An endpoint object, through a cache of the endpoints read before: the same pods recur line after line, and the
    /// same bytes read the same way, so a repeat costs one probe and one comparison (its grammar checked by being the
    /// bytes of one that was checked) instead of a lookup per name and label set. An endpoint is kept by its bytes from
    /// the first member it reads on (identity, namespace, labels, pod_name, workloads): members before that one are
    /// ignored ones (Hubble writes the endpoint's "ID" first, which differs from node to node), so they are left out.
    /// The repeat cache is keyed by the address the line gave for this endpoint (<paramref name="hint"/>), read before
    /// the endpoint, so its slot is fetched while the parser reads on; a second cache by those bytes alone builds the
    /// same pod at another address once. A new endpoint is read from its bytes and remembered; one the fast path
    /// declines is not.
    /// </summary>
    private bool ScanEndpoint(ref Cursor c, ReadOnlySpan<byte> line, ulong hint, out HubbleEndpoint endpoint)
    {
        endpoint = default;
        var start = c.Position;
        if (!c.BeginObject(out var more))
        {
            return false;
        }
        var keyStart = -1;
        while (more)
        {
            var memberStart = c.Position;
            if (!c.Key(out var name))
            {
                return false;
            }
            if (keyStart < 0 && IsEndpointField(name))
            {
                keyStart = memberStart;
                // The rest of the object byte for byte as one read before: taken as it is.
                if (_endpointRepeats.TryMatch(line[keyStart..], hint, out var length, out endpoint))
                {
                    c.SkipTo(keyStart + length);
                    EndpointHits++;
                    RepeatHits++;
                    return true;
                }
            }
            // Depth 2, as ScanEndpointFields skips the members it does not read.
            if (!c.Skip(2) || !c.EndMember((byte)'}', out more))
            {
                return false;
            }
        }
        var key = line[(keyStart < 0 ? start : keyStart)..c.Position];
        if (_endpoints.TryGet(key, out endpoint))
        {
            EndpointHits++;
            if (keyStart >= 0)
            {
                _endpointRepeats.Add(key, hint, endpoint);
            }
            return true;
        }
        var bytes = line[start..c.Position];
        var fresh = new Cursor(bytes);
        if (!ScanEndpointFields(ref fresh, bytes, out endpoint) || !fresh.AtEnd())
        {
            endpoint = default;
            return false;
        }
        _endpoints.Add(key, endpoint);
        if (keyStart >= 0)
        {
            _endpointRepeats.Add(key, hint, endpoint);
        }
        return true;
    }

    /// <summary>The Endpoint members <see cref="ScanEndpointFields"/> reads.</summary>
    private static bool IsEndpointField(ReadOnlySpan<byte> name) => name.Length switch
    {
        6 => name.SequenceEqual("labels"u8),
        8 => name.SequenceEqual("identity"u8) || name.SequenceEqual("pod_name"u8),
        9 => name.SequenceEqual("namespace"u8) || name.SequenceEqual("workloads"u8),
        _ => false,
    };

    private bool ScanEndpointFields(ref Cursor c, ReadOnlySpan<byte> line, out HubbleEndpoint endpoint)
    {
        endpoint = default;
        if (!c.BeginObject(out var more))
        {
            return false;
        }
        long? identity = null;
        string? ns = null, pod = null, workload = null, workloadKind = null;
        IReadOnlyDictionary<string, string>? labels = null;
        var seen = 0;
        while (more)
        {
            if (!c.Key(out var key))
            {
                return false;
            }
            ReadOnlySpan<byte> text;
            switch (key.Length)
            {
                case 8 when key.SequenceEqual("identity"u8):
                    if (!Once(ref seen, 1) || !c.Int64(out var id))
                    {
                        return false;
                    }
                    identity = id;
                    break;
                case 9 when key.SequenceEqual("namespace"u8):
                    if (!Once(ref seen, 2) || !c.String(out text))
                    {
                        return false;
                    }
                    ns = _strings.Get(text);
                    break;
                case 8 when key.SequenceEqual("pod_name"u8):
                    if (!Once(ref seen, 4) || !c.String(out text))
                    {
                        return false;
                    }
                    pod = Encoding.UTF8.GetString(text);
                    break;
                case 6 when key.SequenceEqual("labels"u8):
                    if (!Once(ref seen, 8) || !c.Peek((byte)'['))
                    {
                        return false;
                    }
                    var start = c.Position;
                    if (!c.Skip(2))
                    {
                        return false;
                    }
                    var set = _labels.Get(line[start..c.Position], HubbleEndpoint.ParseLabels);
                    labels = set.Count == 0 ? null : set;
                    break;
                case 9 when key.SequenceEqual("workloads"u8):
                    if (!Once(ref seen, 16) || !ScanWorkloads(ref c, out workload, out workloadKind))
                    {
                        return false;
                    }
                    break;
                default:
                    if (!c.Skip(2))
                    {
                        return false;
                    }
                    break;
            }
            if (!c.EndMember((byte)'}', out more))
            {
                return false;
            }
        }
        endpoint = new HubbleEndpoint(identity, ns, pod, workload, workloadKind, labels);
        return true;
    }

    private bool ScanWorkloads(ref Cursor c, out string? workload, out string? kind)
    {
        workload = null;
        kind = null;
        if (!c.BeginArray(out var more))
        {
            return false;
        }
        while (more)
        {
            if (!c.BeginObject(out var inner))
            {
                return false;
            }
            string? name = null, itsKind = null;
            var seen = 0;
            while (inner)
            {
                if (!c.Key(out var key))
                {
                    return false;
                }
                ReadOnlySpan<byte> text;
                if (key.SequenceEqual("name"u8))
                {
                    if (!Once(ref seen, 1) || !c.String(out text))
                    {
                        return false;
                    }
                    name = _strings.Get(text);
                }
                else if (key.SequenceEqual("kind"u8))
                {
                    if (!Once(ref seen, 2) || !c.String(out text))
                    {
                        return false;
                    }
                    itsKind = Word(text);
                }
                else if (!c.Skip(4))
                {
                    return false;
                }
                if (!c.EndMember((byte)'}', out inner))
                {
                    return false;
                }
            }
            if (workload is null && name is not null)
            {
                workload = name;
                kind = itsKind;
            }
            if (!c.EndMember((byte)']', out more))
            {
                return false;
            }
        }
        return true;
    }

    private static bool ScanService(ref Cursor c, out string? service)
    {
        service = null;
        if (!c.BeginObject(out var more))
        {
            return false;
        }
        string? name = null, ns = null;
        var seen = 0;
        while (more)
        {
            if (!c.Key(out var key))
            {
                return false;
            }
            ReadOnlySpan<byte> text;
            if (key.SequenceEqual("name"u8))
            {
                if (!Once(ref seen, 1) || !c.String(out text))
                {
                    return false;
                }
                name = Encoding.UTF8.GetString(text);
            }
            else if (key.SequenceEqual("namespace"u8))
            {
                if (!Once(ref seen, 2) || !c.String(out text))
                {
                    return false;
                }
                ns = Encoding.UTF8.GetString(text);
            }
            else if (!c.Skip(2))
            {
                return false;
            }
            if (!c.EndMember((byte)'}', out more))
            {
                return false;
            }
        }
        service = name is null ? null : ns is null ? name : $"{ns}/{name}";
        return true;
    }

    private static bool ScanStrings(ref Cursor c, out List<string>? list)
    {
        list = null;
        if (!c.BeginArray(out var more))
        {
            return false;
        }
        var items = new List<string>();
        while (more)
        {
            if (!c.String(out var text))
            {
                return false;
            }
            items.Add(Encoding.UTF8.GetString(text));
            if (!c.EndMember((byte)']', out more))
            {
                return false;
            }
        }
        list = items;
        return true;
    }

    private static bool ScanPolicies(ref Cursor c, ref FlowState s, string direction, string action)
    {
        if (!c.BeginArray(out var more))
        {
            return false;
        }
        while (more)
        {
            if (!c.BeginObject(out var inner))
            {
                return false;
            }
            string? name = null, ns = null, kind = null, revision = null;
            var seen = 0;
            while (inner)
            {
                if (!c.Key(out var key))
                {
                    return false;
                }
                ReadOnlySpan<byte> text;
                if (key.SequenceEqual("name"u8))
                {
                    if (!Once(ref seen, 1) || !c.String(out text))
                    {
                        return false;
                    }
                    name = Encoding.UTF8.GetString(text);
                }
                else if (key.SequenceEqual("namespace"u8))
                {
                    if (!Once(ref seen, 2) || !c.String(out text))
                    {
                        return false;
                    }
                    ns = Encoding.UTF8.GetString(text);
                }
                else if (key.SequenceEqual("kind"u8))
                {
                    if (!Once(ref seen, 4) || !c.String(out text))
                    {
                        return false;
                    }
                    kind = Encoding.UTF8.GetString(text);
                }
                else if (key.SequenceEqual("revision"u8))
                {
                    // A number is kept as written, as the slow path keeps it.
                    if (!Once(ref seen, 8) || !(c.String(out text) || c.Number(out text, out _)))
                    {
                        return false;
                    }
                    revision = Encoding.UTF8.GetString(text);
                }
                else if (!c.Skip(4))
                {
                    return false;
                }
                if (!c.EndMember((byte)'}', out inner))
                {
                    return false;
                }
            }
            if (name is not null)
            {
                (s.Policies ??= []).Add(new PolicyHit { Name = name, Namespace = ns, Kind = kind, Revision = revision, Direction = direction, Action = action });
            }
            if (!c.EndMember((byte)']', out more))
            {
                return false;
            }
        }
        return true;
    }

    private static bool ScanAggregate(ref Cursor c, out long total)
    {
        total = 0;
        if (!c.BeginObject(out var more))
        {
            return false;
        }
        while (more)
        {
            if (!c.Key(out _) || !c.Int64(out var value))
            {
                return false;
            }
            var sum = unchecked(total + value);
            if (((total ^ sum) & (value ^ sum)) < 0)
            {
                // The slow path's checked sum overflows there.
                return false;
            }
            total = sum;
            if (!c.EndMember((byte)'}', out more))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// A position in a line and the JSON grammar the fast path accepts (its arithmetic is on positions within one span,
    /// which cannot overflow, and is unchecked: checked arithmetic kept the JIT from removing bounds checks); every method returns false where the input is
    /// anything else (the caller then declines). Strings with escapes are not accepted.
    /// </summary>
    private ref struct Cursor(ReadOnlySpan<byte> text)
    {
        private readonly ReadOnlySpan<byte> _text = text;
        private int _at;

        public readonly int Position => _at;

        /// <summary>Moves on to a later position, past bytes known to be valid here (a repeat of ones read before).</summary>
        public void SkipTo(int position) => _at = position;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void SkipWhitespace()
        {
            unchecked
            {
                // Compact Hubble output has none: one comparison, and the loop only when there is some.
                if ((uint)_at < (uint)_text.Length && _text[_at] > (byte)' ')
                {
                    return;
                }
                var text = _text;
                var at = _at;
                while ((uint)at < (uint)text.Length && text[at] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
                {
                    at++;
                }
                _at = at;
            }
        }

        /// <summary>Whether the next value starts with this byte (not consumed).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Peek(byte expected)
        {
            SkipWhitespace();
            return (uint)_at < (uint)_text.Length && _text[_at] == expected;
        }

        /// <summary>Only whitespace is left.</summary>
        public bool AtEnd()
        {
            SkipWhitespace();
            return _at == _text.Length;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool BeginObject(out bool more) => Begin((byte)'{', (byte)'}', out more);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool BeginArray(out bool more) => Begin((byte)'[', (byte)']', out more);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private bool Begin(byte open, byte close, out bool more)
        {
            unchecked
            {
                more = false;
                if (!Peek(open))
                {
                    return false;
                }
                _at++;
                SkipWhitespace();
                if ((uint)_at < (uint)_text.Length && _text[_at] == close)
                {
                    _at++;
                    return true;
                }
                more = true;
                return true;
            }
        }

        /// <summary>After a member or element: a comma (more follow) or the closing byte (done).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool EndMember(byte close, out bool more)
        {
            unchecked
            {
                SkipWhitespace();
                more = false;
                if ((uint)_at >= (uint)_text.Length)
                {
                    return false;
                }
                var b = _text[_at++];
                if (b == (byte)',')
                {
                    more = true;
                    return true;
                }
                return b == close;
            }
        }

        /// <summary>A property name and its colon.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Key(out ReadOnlySpan<byte> name)
        {
            unchecked
            {
                if (!String(out name))
                {
                    return false;
                }
                SkipWhitespace();
                if ((uint)_at >= (uint)_text.Length || _text[_at] != (byte)':')
                {
                    return false;
                }
                _at++;
                return true;
            }
        }

        /// <summary>A string without escapes or control characters; its bytes between the quotes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool String(out ReadOnlySpan<byte> value)
        {
            unchecked
            {
                value = default;
                if (!Peek((byte)'"'))
                {
                    return false;
                }
                var start = _at + 1;
                var end = IndexOfStop(_text, start);
                if (end < 0 || _text[end] != (byte)'"')
                {
                    return false;
                }
                value = _text[start..end];
                _at = end + 1;
                return true;
            }
        }

        /// <summary>
        /// A string whose value is not needed: escapes are checked (\" \\ \/ \b \f \n \r \t and \u with four hex
        /// digits) but not decoded; a \u escape of a surrogate declines, as its pairing is not checked here.
        /// </summary>
        private bool SkipString()
        {
            unchecked
            {
                var at = _at + 1;
                while (true)
                {
                    at = IndexOfStop(_text, at);
                    if (at < 0)
                    {
                        return false;
                    }
                    if (_text[at] == (byte)'"')
                    {
                        _at = at + 1;
                        return true;
                    }
                    if (_text[at] != (byte)'\\' || at + 1 >= _text.Length)
                    {
                        return false;
                    }
                    switch (_text[at + 1])
                    {
                        case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                            at += 2;
                            break;
                        case (byte)'u':
                            if (at + 6 > _text.Length || !Utf8Parser.TryParse(_text.Slice(at + 2, 4), out ushort code, out var consumed, 'x') || consumed != 4
                                || code is >= 0xD800 and <= 0xDFFF)
                            {
                                return false;
                            }
                            at += 6;
                            break;
                        default:
                            return false;
                    }
                }
            }
        }

        /// <summary>A number in JSON's grammar; its text, and whether it is an integer (no fraction or exponent).</summary>
        public bool Number(out ReadOnlySpan<byte> value, out bool integer)
        {
            unchecked
            {
                value = default;
                integer = true;
                SkipWhitespace();
                var text = _text;
                var at = _at;
                if (at < text.Length && text[at] == (byte)'-')
                {
                    at++;
                }
                if (at >= text.Length || !char.IsAsciiDigit((char)text[at]))
                {
                    return false;
                }
                if (text[at] == (byte)'0')
                {
                    at++;
                }
                else
                {
                    while (at < text.Length && char.IsAsciiDigit((char)text[at]))
                    {
                        at++;
                    }
                }
                if (at < text.Length && text[at] == (byte)'.')
                {
                    integer = false;
                    at++;
                    var digits = at;
                    while (at < text.Length && char.IsAsciiDigit((char)text[at]))
                    {
                        at++;
                    }
                    if (at == digits)
                    {
                        return false;
                    }
                }
                if (at < text.Length && text[at] is (byte)'e' or (byte)'E')
                {
                    integer = false;
                    at++;
                    if (at < text.Length && text[at] is (byte)'+' or (byte)'-')
                    {
                        at++;
                    }
                    var digits = at;
                    while (at < text.Length && char.IsAsciiDigit((char)text[at]))
                    {
                        at++;
                    }
                    if (at == digits)
                    {
                        return false;
                    }
                }
                value = text[_at..at];
                _at = at;
                return true;
            }
        }

        /// <summary>An integer number that fits a long (what Utf8JsonReader.TryGetInt64 accepts).</summary>
        public bool Int64(out long value)
        {
            value = 0;
            return Number(out var text, out var integer) && integer
                && Utf8Parser.TryParse(text, out value, out var consumed) && consumed == text.Length;
        }

        public bool Boolean(out bool value)
        {
            value = false;
            SkipWhitespace();
            var rest = _text[_at..];
            if (rest.StartsWith("true"u8))
            {
                _at += 4;
                value = true;
                return true;
            }
            if (rest.StartsWith("false"u8))
            {
                _at += 5;
                return true;
            }
            return false;
        }

        /// <summary>Skips one value of any kind, checking its grammar; nesting deeper than the fast path's limit declines.</summary>
        public bool Skip(int depth)
        {
            unchecked
            {
                SkipWhitespace();
                if ((uint)_at >= (uint)_text.Length || depth > MaxFastDepth)
                {
                    return false;
                }
                bool more;
                switch (_text[_at])
                {
                    case (byte)'"':
                        return SkipString();
                    case (byte)'{':
                        if (!BeginObject(out more))
                        {
                            return false;
                        }
                        while (more)
                        {
                            if (!Key(out _) || !Skip(depth + 1) || !EndMember((byte)'}', out more))
                            {
                                return false;
                            }
                        }
                        return true;
                    case (byte)'[':
                        if (!BeginArray(out more))
                        {
                            return false;
                        }
                        while (more)
                        {
                            if (!Skip(depth + 1) || !EndMember((byte)']', out more))
                            {
                                return false;
                            }
                        }
                        return true;
                    case (byte)'t':
                        return Word("true"u8);
                    case (byte)'f':
                        return Word("false"u8);
                    case (byte)'n':
                        return Word("null"u8);
                    default:
                        return Number(out _, out _);
                }
            }
        }

        private bool Word(ReadOnlySpan<byte> word)
        {
            unchecked
            {
                if (!_text[_at..].StartsWith(word))
                {
                    return false;
                }
                _at += word.Length;
                return true;
            }
        }
    }
}
