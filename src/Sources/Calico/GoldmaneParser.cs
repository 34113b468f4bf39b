using System.Globalization;
using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Calico;

/// <summary>
/// Reads Goldmane flows (goldmane/proto/api.proto: Flow{Key{...}, start_time, end_time, counters}) in any of their JSON
/// spellings into flow records; a FlowListResult line gives one record per flow. Policy hits are structured already.
/// </summary>
internal sealed class GoldmaneParser(FormatOptions options) : ILineParser
{
    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 64 };

    // Enum numbers as the emitter (Go encoding/json of the proto structs) writes them.
    private static readonly string[] Actions = ["ActionUnspecified", "Allow", "Deny", "Pass"];
    private static readonly string[] Reporters = ["ReporterUnspecified", "Src", "Dst"];
    private static readonly string[] EndpointTypes = ["EndpointTypeUnspecified", "WorkloadEndpoint", "HostEndpoint", "NetworkSet", "Network"];

    // 7 and 8 were AdminNetworkPolicy / BaselineAdminNetworkPolicy before v3.32 and the admin / baseline tier
    // ClusterNetworkPolicy after: one resource family either way, told apart by the hit's tier.
    private static readonly string[] PolicyKinds =
    [
        "KindUnspecified", "CalicoNetworkPolicy", "GlobalNetworkPolicy", "StagedNetworkPolicy", "StagedGlobalNetworkPolicy",
        "StagedKubernetesNetworkPolicy", "NetworkPolicy", "ClusterNetworkPolicy", "ClusterNetworkPolicy", "Profile", "EndOfTier",
    ];

    /// <summary>The JSON of a Server-Sent-Events "data:" line (Whisker's stream), or the text unchanged.</summary>
    internal static ReadOnlySpan<char> WithoutSsePrefix(ReadOnlySpan<char> text) =>
        text.StartsWith("data:", StringComparison.Ordinal) ? text[5..].Trim() : text;

    public void Parse(LineContext line, RecordSink sink)
    {
        var bytes = line.Bytes;
        var span = bytes.Span;
        var start = 0;
        while (start < span.Length && span[start] is (byte)' ' or (byte)'\t')
        {
            start++;
        }
        if (span[start..].StartsWith("data:"u8))
        {
            bytes = bytes[(start + 5)..];
        }
        else if (span[start..].StartsWith("event:"u8) || span[start..].StartsWith("id:"u8) || span[start..].StartsWith("retry:"u8)
                 || span[start..].StartsWith(":"u8))
        {
            sink.Skip("sse-field");
            return;
        }
        try
        {
            using var document = JsonDocument.Parse(bytes, JsonOptions);
            if (CalicoObject.Of(document.RootElement) is not { } root)
            {
                sink.Reject("not a JSON object");
                return;
            }
            if (root.Get("flows") is { } list)
            {
                ReadList(line, sink, list);
                return;
            }
            if (!TryRead(line, root, out var record, out var error))
            {
                sink.Reject(error);
                return;
            }
            sink.Emit(record);
        }
        catch (JsonException e)
        {
            sink.Reject($"invalid or truncated JSON at byte {e.BytePositionInLine + 1}");
        }
        catch (OverflowException)
        {
            sink.Reject("packet or byte counters too large to add up");
        }
    }

    private void ReadList(LineContext line, RecordSink sink, JsonElement list)
    {
        if (list.ValueKind != JsonValueKind.Array)
        {
            sink.Reject("\"flows\" is not an array");
            return;
        }
        // All or nothing: a line is one rejection or its records, never half of each.
        var records = new List<FlowRecord>();
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            if (CalicoObject.Of(item) is not { } o)
            {
                sink.Reject($"flows[{index}]: not an object");
                return;
            }
            if (!TryRead(line, o, out var record, out var error))
            {
                sink.Reject($"flows[{index}]: {error}");
                return;
            }
            records.Add(record);
            index++;
        }
        if (records.Count == 0)
        {
            sink.Skip("empty-flow-list");
            return;
        }
        foreach (var record in records)
        {
            sink.Emit(record);
        }
    }

    private bool TryRead(LineContext line, CalicoObject root, out FlowRecord record, out string error)
    {
        record = null!;
        // FlowResult {id, flow} / FlowUpdate {flow} / grpc-gateway stream {result: FlowResult} / bare Flow / Whisker flat.
        var flow = root.Object("result") ?? root;
        flow = flow.Object("flow") ?? flow;
        var key = flow.Object("key");
        if (key is null)
        {
            if (!flow.Has("source_name") && !flow.Has("dest_name") && !flow.Has("action"))
            {
                error = "no Key (Flow), flow (FlowResult) or flows (FlowListResult) in the record";
                return false;
            }
            key = flow;
        }
        if (!TryTime(flow, "start_time", out var startTime, out error))
        {
            return false;
        }
        if (startTime is not { } time)
        {
            error = "no start_time: a Goldmane flow without its window cannot be placed in time";
            return false;
        }
        if (!TryTime(flow, "end_time", out var endTime, out error))
        {
            return false;
        }
        if (endTime is { } end && end.UnixNanos < time.UnixNanos)
        {
            error = "end_time is before start_time";
            return false;
        }
        if (!key.TryLong("dest_port", out var port) || port is < 0 or > 65535)
        {
            error = $"bad dest_port {key.Get("dest_port")?.GetRawText()}";
            return false;
        }
        if (!flow.TryCount("num_connections_started", out var started, out error)
            || !flow.TrySum("packets_in", "packets_out", out var packets, out error)
            || !flow.TrySum("bytes_in", "bytes_out", out var bytes, out error))
        {
            return false;
        }

        var protocol = CalicoFields.Protocol(key.Get("proto") ?? key.Get("protocol"));
        var action = EnumName(key.Get("action"), Actions);
        var policies = key.Object("policies");
        var enforced = Hits(policies?.Get("enforced_policies") ?? policies?.Get("enforced"), false);
        var pending = Hits(policies?.Get("pending_policies") ?? policies?.Get("pending"), true);
        var names = new List<string>();
        foreach (var hit in enforced)
        {
            var name = hit.Namespace is null ? hit.Name : $"{hit.Namespace}/{hit.Name}";
            if (!names.Contains(name))
            {
                names.Add(name);
            }
        }
        record = new FlowRecord
        {
            Time = time,
            Source = line.Source(options.Node),
            Src = Endpoint(key, "source", flow.Get("source_labels"), null, null),
            // protojson leaves a zero port out: absent and 0 both mean "no port" (ICMP, or port-less aggregation).
            Dst = Endpoint(key, "dest", flow.Get("dest_labels"), port is > 0 ? (int)port : null,
                CalicoFields.Service(key.Name("dest_service_namespace"), key.Name("dest_service_name"))),
            Protocol = protocol,
            Direction = EnumName(key.Get("reporter"), Reporters)?.ToLowerInvariant() switch
            {
                "src" => FlowDirection.Egress,
                "dst" => FlowDirection.Ingress,
                _ => FlowDirection.Unknown,
            },
            Reported = new ReportedOutcome
            {
                Verdict = CalicoParser.Verdict(action),
                RawVerdict = action,
                Policies = names,
                Hits = policies is null ? null : [.. enforced, .. pending],
            },
            Count = started,
            Packets = packets,
            Bytes = bytes,
            WindowStart = time,
            WindowEnd = endTime,
        };
        return true;
    }

    private static FlowEndpoint Endpoint(CalicoObject key, string side, JsonElement? labels, int? port, string? service)
    {
        var type = EnumName(key.Get(side + "_type"), EndpointTypes);
        var name = key.Name(side + "_name");
        // Goldmane names a WorkloadEndpoint by its pods' generate-name prefix ("loadgenerator-78cb8f69c8-*"): never a pod.
        return new FlowEndpoint
        {
            Port = port,
            Namespace = key.Name(side + "_namespace"),
            Workload = name,
            WorkloadKind = type switch
            {
                "HostEndpoint" => "HostEndpoint",
                "NetworkSet" => "NetworkSet",
                "Network" => "Network",
                _ => null,
            },
            Labels = CalicoFields.Labels(LabelList(labels)),
            Service = service,
        };
    }

    private static List<string>? LabelList(JsonElement? labels)
    {
        if (labels is not { } element)
        {
            return null;
        }
        if (element.ValueKind == JsonValueKind.Array)
        {
            return element.EnumerateArray().Where(l => l.ValueKind == JsonValueKind.String).Select(l => l.GetString()!).ToList();
        }
        // Whisker joins them into one string.
        return element.ValueKind == JsonValueKind.String
            ? element.GetString()!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList()
            : null;
    }

    private static List<PolicyHit> Hits(JsonElement? list, bool pending)
    {
        var hits = new List<(long Index, PolicyHit Hit)>();
        if (list is not { ValueKind: JsonValueKind.Array } array)
        {
            return [];
        }
        foreach (var item in array.EnumerateArray())
        {
            if (CalicoObject.Of(item) is not { } h)
            {
                continue;
            }
            var kind = EnumName(h.Get("kind"), PolicyKinds);
            var target = h;
            long? rule = h.TryLong("rule_index", out var r) ? r : null;
            if (kind == "EndOfTier")
            {
                // No rule matched: the tier's default action; the trigger is the first policy that selected the endpoint.
                if (h.Object("trigger") is not { } trigger)
                {
                    continue;
                }
                target = trigger;
                kind = EnumName(trigger.Get("kind"), PolicyKinds);
                rule = -1;
            }
            if (target.Name("name") is not { } name)
            {
                continue;
            }
            h.TryLong("policy_index", out var index);
            hits.Add((index ?? 0, new PolicyHit
            {
                Kind = kind,
                Namespace = target.Name("namespace"),
                Name = name,
                Tier = (h.Name("tier") ?? target.Name("tier")) is { } tier && tier != CalicoPolicyString.ProfileTier ? tier : null,
                // protojson leaves rule_index 0 out.
                RuleIndex = rule switch
                {
                    null => 0,
                    -1 => -1,
                    < 0 or > int.MaxValue => null,
                    _ => (int)rule.Value,
                },
                Action = EnumName(h.Get("action"), Actions)?.ToLowerInvariant(),
                Pending = pending,
            }));
        }
        return hits.OrderBy(h => h.Index).Select(h => h.Hit).ToList();
    }

    /// <summary>An enum as protojson (name) or encoding/json (number) writes it; null when absent or unspecified.</summary>
    private static string? EnumName(JsonElement? value, string[] names)
    {
        string? name = value switch
        {
            { ValueKind: JsonValueKind.String } s => s.GetString(),
            { ValueKind: JsonValueKind.Number } n when n.TryGetInt32(out var i) => i >= 0 && i < names.Length ? names[i] : i.ToString(CultureInfo.InvariantCulture),
            _ => null,
        };
        return name is null || name.Length == 0 || name == names[0] ? null : name;
    }

    private static bool TryTime(CalicoObject flow, string key, out Timestamp? time, out string error)
    {
        time = null;
        error = "";
        if (flow.Get(key) is not { } value)
        {
            return true;
        }
        if (flow.TryLong(key, out var seconds) && seconds is { } s)
        {
            if (!CalicoFields.PlausibleSeconds(s))
            {
                error = $"{key} {s} is out of range";
                return false;
            }
            time = CalicoFields.Seconds(s);
            return true;
        }
        // Whisker writes Go time.Time: RFC 3339.
        if (value.ValueKind == JsonValueKind.String && Timestamp.TryParseRfc3339(value.GetString(), out var parsed))
        {
            time = parsed;
            return true;
        }
        error = $"{key} {value.GetRawText()} is neither Unix seconds nor an RFC 3339 time";
        return false;
    }
}
