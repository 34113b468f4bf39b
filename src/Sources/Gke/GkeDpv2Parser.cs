using System.Net;
using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Gke;

/// <summary>
/// Reads one GKE Dataplane V2 policy action, bare (node log) or inside a Cloud Logging LogEntry, into a flow record.
/// Key order differs between anetd versions, so records are read by name; unknown keys are ignored so that new
/// fields do not cost records, but a known field of the wrong type rejects the line.
/// </summary>
internal sealed class GkeDpv2Parser(FormatOptions options) : ILineParser
{
    private const string PolicyActionLogId = "policy-action";
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>Whether a LogEntry logName ("projects/P/logs/policy-action") names the policy action log.</summary>
    public static bool IsPolicyActionLog(string logName)
    {
        var at = logName.LastIndexOf("/logs/", StringComparison.Ordinal);
        var id = at < 0 ? logName : logName[(at + "/logs/".Length)..];
        // Log ids are URL-encoded in logName; "policy-action" has nothing to encode, but be exact about what we compare.
        return string.Equals(Uri.UnescapeDataString(id), PolicyActionLogId, StringComparison.Ordinal);
    }

    public void Parse(LineContext line, RecordSink sink)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line.Bytes, DocumentOptions);
        }
        catch (JsonException e)
        {
            sink.Reject($"invalid or truncated JSON at byte {e.BytePositionInLine + 1}");
            return;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                sink.Reject("a JSON array, not one record per line (for `gcloud logging read --format=json` output use `jq -c '.[]'`)");
                return;
            }
            if (root.ValueKind != JsonValueKind.Object)
            {
                sink.Reject("not a JSON object");
                return;
            }
            if (IsLogEntry(root))
            {
                ReadLogEntry(line, root, sink);
            }
            else
            {
                Read(line, root, "", entryTime: null, entryNode: null, sink);
            }
        }
    }

    /// <summary>A LogEntry is told by its own fields; a bare policy action has none of them.</summary>
    private static bool IsLogEntry(JsonElement root) =>
        root.TryGetProperty("jsonPayload", out _) || root.TryGetProperty("logName", out _) || root.TryGetProperty("textPayload", out _)
        || root.TryGetProperty("protoPayload", out _) || root.TryGetProperty("insertId", out _);

    private void ReadLogEntry(LineContext line, JsonElement entry, RecordSink sink)
    {
        var fields = new Fields();
        var logName = fields.String(entry, "logName", "");
        if (logName is not null && !IsPolicyActionLog(logName))
        {
            // Sinks and `gcloud logging read` mix logs unless filtered; other logs are not ours and not broken.
            sink.Skip("other Cloud Logging log");
            return;
        }
        string? node = null;
        if (entry.TryGetProperty("resource", out var resource) && resource.ValueKind == JsonValueKind.Object
            && resource.TryGetProperty("labels", out var labels) && labels.ValueKind == JsonValueKind.Object)
        {
            node = fields.String(labels, "node_name", "resource.labels.");
        }
        var time = fields.String(entry, "timestamp", "");
        if (fields.Error is not null)
        {
            sink.Reject(fields.Error);
            return;
        }
        if (!entry.TryGetProperty("jsonPayload", out var payload) || payload.ValueKind != JsonValueKind.Object)
        {
            sink.Reject("Cloud Logging entry without a jsonPayload object (policy actions are structured; textPayload is not read)");
            return;
        }
        Read(line, payload, "jsonPayload.", time, node, sink);
    }

    /// <summary>Reads one policy action object; entryTime and entryNode come from an enclosing LogEntry.</summary>
    private void Read(LineContext line, JsonElement record, string prefix, string? entryTime, string? entryNode, RecordSink sink)
    {
        var f = new Fields();
        if (!record.TryGetProperty("connection", out var connection) || connection.ValueKind != JsonValueKind.Object)
        {
            sink.Reject($"no {prefix}connection object");
            return;
        }
        var at = prefix + "connection.";
        var srcIp = f.Address(connection, "src_ip", at);
        var dstIp = f.Address(connection, "dest_ip", at);
        var srcPort = f.Port(connection, "src_port", at);
        var dstPort = f.Port(connection, "dest_port", at);
        var protocolWord = f.String(connection, "protocol", at);
        var directionWord = f.String(connection, "direction", at);
        var disposition = f.String(record, "disposition", prefix);
        var count = f.Integer(record, "count", prefix);
        var timeText = f.String(record, "timestamp", prefix) ?? entryTime;
        var node = f.String(record, "node_name", prefix) ?? entryNode ?? options.Node;
        var src = f.Endpoint(record, "src", prefix, srcIp, srcPort);
        var dst = f.Endpoint(record, "dest", prefix, dstIp, dstPort);
        var policies = f.Policies(record, prefix, disposition, directionWord);
        if (f.Error is not null)
        {
            sink.Reject(f.Error);
            return;
        }
        if (srcIp is null || dstIp is null)
        {
            sink.Reject($"{at}{(srcIp is null ? "src_ip" : "dest_ip")} is missing");
            return;
        }
        if (disposition is null)
        {
            sink.Reject($"{prefix}disposition is missing");
            return;
        }
        if (timeText is null)
        {
            sink.Reject($"{prefix}timestamp is missing");
            return;
        }
        if (!Timestamp.TryParseRfc3339(timeText, out var time))
        {
            sink.Reject($"bad {prefix}timestamp '{timeText}'");
            return;
        }
        Protocol protocol;
        switch (protocolWord?.ToLowerInvariant())
        {
            case null: protocol = Protocol.Unknown; break;
            case "tcp": protocol = Protocol.Tcp; break;
            case "udp": protocol = Protocol.Udp; break;
            case "sctp": protocol = Protocol.Sctp; break;
            // The logger writes the L4 name without the IP family; the address tells which ICMP it was.
            case "icmp": protocol = srcIp.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? Protocol.IcmpV6 : Protocol.IcmpV4; break;
            case "icmpv4": protocol = Protocol.IcmpV4; break;
            case "icmpv6" or "ipv6-icmp": protocol = Protocol.IcmpV6; break;
            default:
                sink.Reject($"unknown {at}protocol '{protocolWord}'");
                return;
        }
        FlowDirection direction;
        switch (directionWord)
        {
            case null: direction = FlowDirection.Unknown; break;
            case "ingress": direction = FlowDirection.Ingress; break;
            case "egress": direction = FlowDirection.Egress; break;
            default:
                sink.Reject($"unknown {at}direction '{directionWord}'");
                return;
        }
        if (count is < 1)
        {
            sink.Reject($"bad {prefix}count {count}: a record stands for at least one connection");
            return;
        }
        sink.Emit(new FlowRecord
        {
            Time = time,
            Source = line.Source(node),
            Src = src!,
            Dst = dst!,
            Protocol = protocol,
            Direction = direction,
            Reported = new ReportedOutcome
            {
                Verdict = disposition switch
                {
                    "allow" => ReportedVerdict.Allowed,
                    "deny" => ReportedVerdict.Denied,
                    _ => ReportedVerdict.Unknown,
                },
                RawVerdict = disposition,
                Policies = policies is null ? [] : policies.Select(Display).Distinct(StringComparer.Ordinal).ToList(),
                Hits = policies,
            },
            Count = count,
        });
    }

    /// <summary>The Hubble spelling, namespace/name (or the bare name of a cluster-wide policy), so names match across formats.</summary>
    private static string Display(PolicyHit hit) => hit.Namespace is null ? hit.Name : $"{hit.Namespace}/{hit.Name}";

    /// <summary>Typed reads of JSON fields that remember the first problem instead of throwing.</summary>
    private sealed class Fields
    {
        public string? Error { get; private set; }

        private void Fail(string error) => Error ??= error;

        public string? String(JsonElement obj, string name, string at)
        {
            if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }
            if (value.ValueKind != JsonValueKind.String)
            {
                Fail($"{at}{name} is not a string");
                return null;
            }
            return value.GetString();
        }

        public long? Integer(JsonElement obj, string name, string at)
        {
            if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
            {
                Fail($"{at}{name} is not an integer");
                return null;
            }
            return number;
        }

        public int? Port(JsonElement obj, string name, string at)
        {
            var number = Integer(obj, name, at);
            if (number is < 0 or > 65535)
            {
                Fail($"{at}{name} {number} is not a port");
                return null;
            }
            return (int?)number;
        }

        public IPAddress? Address(JsonElement obj, string name, string at)
        {
            var text = String(obj, name, at);
            if (text is null)
            {
                return null;
            }
            if (!IPAddress.TryParse(text, out var address))
            {
                Fail($"bad {at}{name} '{text}'");
                return null;
            }
            return address;
        }

        public FlowEndpoint? Endpoint(JsonElement record, string name, string prefix, IPAddress? ip, int? port)
        {
            var at = $"{prefix}{name}.";
            if (!record.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null)
            {
                return new FlowEndpoint { IP = ip, Port = port };
            }
            if (e.ValueKind != JsonValueKind.Object)
            {
                Fail($"{prefix}{name} is not an object");
                return null;
            }
            var podNamespace = String(e, "pod_namespace", at);
            var ns = String(e, "namespace", at);
            var kind = String(e, "workload_kind", at);
            // "instance" repeats the peer's address for peers that are not pods; the connection already has it.
            _ = String(e, "instance", at);
            return new FlowEndpoint
            {
                IP = ip,
                Port = port,
                Namespace = podNamespace ?? ns,
                Pod = String(e, "pod_name", at),
                Workload = String(e, "workload_name", at),
                WorkloadKind = kind,
                // Peers that are nodes name the node (workload_kind "Node"); pods do not name theirs.
                Node = String(e, "node_name", at),
            };
        }

        public List<PolicyHit>? Policies(JsonElement record, string prefix, string? disposition, string? direction)
        {
            if (!record.TryGetProperty("policies", out var array) || array.ValueKind == JsonValueKind.Null)
            {
                return null;
            }
            if (array.ValueKind != JsonValueKind.Array)
            {
                Fail($"{prefix}policies is not an array");
                return null;
            }
            var hits = new List<PolicyHit>();
            var index = 0;
            foreach (var item in array.EnumerateArray())
            {
                var at = $"{prefix}policies[{index++}].";
                if (item.ValueKind != JsonValueKind.Object)
                {
                    Fail($"{prefix}policies[{index - 1}] is not an object");
                    return null;
                }
                var name = String(item, "name", at);
                if (name is null)
                {
                    Fail($"{at}name is missing");
                    return null;
                }
                hits.Add(new PolicyHit
                {
                    Name = name,
                    Namespace = String(item, "namespace", at) is { Length: > 0 } ns ? ns : null,
                    Kind = String(item, "kind", at),
                    Action = disposition,
                    Direction = direction,
                });
            }
            return hits;
        }
    }
}
