using System.Net;
using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Calico;

/// <summary>
/// Reads one Calico Enterprise flow-log document (a window × aggregation-key counter row) into a flow record. Field names
/// follow tigera/docs "flow log data types"; the policy-hit strings go through <see cref="CalicoPolicyString"/>.
/// </summary>
internal sealed class CalicoParser(FormatOptions options) : ILineParser
{
    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 64 };

    public void Parse(LineContext line, RecordSink sink)
    {
        try
        {
            using var document = JsonDocument.Parse(line.Bytes, JsonOptions);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                sink.Reject("not a JSON object");
                return;
            }
            if (root.TryGetProperty("_source", out var source))
            {
                // An Elasticsearch search hit: the flow log is its _source document.
                if (source.ValueKind != JsonValueKind.Object)
                {
                    sink.Reject("Elasticsearch hit whose _source is not an object");
                    return;
                }
                root = source;
            }
            Read(line, sink, CalicoObject.Of(root)!);
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

    private void Read(LineContext line, RecordSink sink, CalicoObject o)
    {
        if (!o.Has("start_time") && !o.Has("action") && !o.Has("reporter") && !o.Has("source_name_aggr") && !o.Has("dest_name_aggr"))
        {
            sink.Reject("not a Calico flow log: no start_time, action, reporter or *_name_aggr");
            return;
        }
        if (!o.TryLong("start_time", out var start) || (start is { } s0 && !CalicoFields.PlausibleSeconds(s0)))
        {
            sink.Reject($"start_time {o.Get("start_time")?.GetRawText()} is not Unix seconds");
            return;
        }
        if (start is null)
        {
            // The window start is the only time a flow log has (@timestamp is when it was indexed): no guessing.
            sink.Reject("no start_time: a flow log without its window cannot be placed in time");
            return;
        }
        if (!o.TryLong("end_time", out var end) || (end is { } e0 && (!CalicoFields.PlausibleSeconds(e0) || e0 < start)))
        {
            sink.Reject($"end_time {o.Get("end_time")?.GetRawText()} is not Unix seconds at or after start_time");
            return;
        }

        var protocol = CalicoFields.Protocol(o.Get("proto"));
        if (!TryEndpoint(o, "source", protocol, out var src, out var error) || !TryEndpoint(o, "dest", protocol, out var dst, out error))
        {
            sink.Reject(error);
            return;
        }
        if (!o.TryCount("num_flows", out var count, out error) || !o.TrySum("packets_in", "packets_out", out var packets, out error)
            || !o.TrySum("bytes_in", "bytes_out", out var bytes, out error))
        {
            sink.Reject(error);
            return;
        }

        var action = o.String("action");
        var node = o.Name("host") ?? options.Node;
        sink.Emit(new FlowRecord
        {
            Time = CalicoFields.Seconds(start.Value),
            Source = line.Source(node),
            Src = src,
            Dst = dst,
            Protocol = protocol,
            Direction = Direction(o.String("reporter")),
            Reported = Outcome(o.Object("policies"), action),
            Count = count,
            Packets = packets,
            Bytes = bytes,
            WindowStart = CalicoFields.Seconds(start.Value),
            WindowEnd = end is { } e ? CalicoFields.Seconds(e) : null,
        });
    }

    /// <summary>The reporter is the endpoint that logged the flow: src logs its egress, dst its ingress; fwd (host forwarding) neither.</summary>
    internal static FlowDirection Direction(string? reporter)
    {
        if (reporter is null)
        {
            return FlowDirection.Unknown;
        }
        var parts = reporter.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var src = parts.Contains("src", StringComparer.OrdinalIgnoreCase);
        var dst = parts.Contains("dst", StringComparer.OrdinalIgnoreCase);
        return src == dst ? FlowDirection.Unknown : src ? FlowDirection.Egress : FlowDirection.Ingress;
    }

    internal static ReportedVerdict Verdict(string? action) => action?.ToLowerInvariant() switch
    {
        "allow" or "allowed" => ReportedVerdict.Allowed,
        "deny" or "denied" => ReportedVerdict.Denied,
        _ => ReportedVerdict.Unknown,
    };

    private static ReportedOutcome Outcome(CalicoObject? policies, string? action)
    {
        var outcome = new ReportedOutcome { Verdict = Verdict(action), RawVerdict = action };
        if (policies is null)
        {
            return outcome;
        }
        var enforced = policies.Strings("enforced_policies");
        var pending = policies.Strings("pending_policies");
        var all = policies.Strings("all_policies");
        var transit = policies.Strings("transit_policies");
        // all_policies predates the enforced/pending split and is their union when both exist: read it only alone.
        var applied = enforced ?? (pending is null ? all : null) ?? [];
        var fromAll = enforced is null && pending is null && all is not null;

        var names = new List<string>();
        foreach (var raw in applied.Concat(transit ?? []))
        {
            if (!names.Contains(raw))
            {
                names.Add(raw);
            }
        }
        if (applied.Count == 0 && transit is null && pending is null)
        {
            return outcome with { Policies = names };
        }
        var hits = new List<PolicyHit>();
        hits.AddRange(Hits(applied, fromAll ? null : false));
        hits.AddRange(Hits(transit, false));
        hits.AddRange(Hits(pending, true));
        return outcome with { Policies = names, Hits = hits };
    }

    /// <summary>One list's hits in traversal order (the list itself is unordered); unreadable strings stay only in Policies.</summary>
    private static IEnumerable<PolicyHit> Hits(List<string>? strings, bool? pending)
    {
        if (strings is null)
        {
            return [];
        }
        var parsed = new List<CalicoPolicyString.Parsed>();
        foreach (var raw in strings)
        {
            if (CalicoPolicyString.TryParse(raw, pending, out var hit, out _))
            {
                parsed.Add(hit);
            }
        }
        return parsed.OrderBy(p => p.PolicyIndex).Select(p => pending is null && p.Hit.Kind!.StartsWith("Staged", StringComparison.Ordinal)
            // In all_policies a staged policy is by its kind never enforced.
            ? p.Hit with { Pending = true }
            : p.Hit);
    }

    private static bool TryEndpoint(CalicoObject o, string side, Protocol protocol, out FlowEndpoint endpoint, out string error)
    {
        endpoint = FlowEndpoint.Empty;
        error = "";
        var ipText = o.String(side + "_ip");
        if (!CalicoFields.TryAddress(ipText, out IPAddress? ip))
        {
            error = $"bad {side}_ip '{ipText}'";
            return false;
        }
        if (!o.TryLong(side + "_port", out var port) || port is < 0 or > 65535)
        {
            error = $"bad {side}_port {o.Get(side + "_port")?.GetRawText()}";
            return false;
        }
        if (port == 0 && !protocol.HasPorts())
        {
            // ICMP (and unknown protocols) log port 0 for "no port".
            port = null;
        }
        var type = o.Name(side + "_type");
        var name = o.Name(side + "_name");
        var aggregated = o.Name(side + "_name_aggr");
        string? pod = null, workload = null, kind = null;
        switch (type)
        {
            case "hep":
                workload = name ?? aggregated;
                kind = "HostEndpoint";
                break;
            case "ns":
                workload = aggregated ?? name;
                kind = "NetworkSet";
                break;
            case "net":
                workload = aggregated ?? name;
                kind = "Network";
                break;
            default:
                // A pod, or an untyped doc example: the full name is a pod; the aggregated prefix ("nginx-86c57db685-*")
                // is the pod's generate-name family, never a pod.
                pod = name;
                workload = aggregated;
                break;
        }
        var labels = o.Object(side + "_labels")?.Strings("labels") ?? o.Strings(side + "_labels");
        endpoint = new FlowEndpoint
        {
            IP = ip,
            Port = (int?)port,
            Namespace = o.Name(side + "_namespace"),
            Pod = pod,
            Workload = workload,
            WorkloadKind = kind,
            Labels = CalicoFields.Labels(labels),
            Service = side == "dest" ? CalicoFields.Service(o.Name("dest_service_namespace"), o.Name("dest_service_name")) : null,
            Names = side == "dest" ? o.Strings("dest_domains") is { Count: > 0 } domains ? domains : null : null,
        };
        return true;
    }
}
