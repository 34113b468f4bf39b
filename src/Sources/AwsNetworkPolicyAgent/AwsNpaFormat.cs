using System.Text.Json;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.AwsNetworkPolicyAgent;

/// <summary>
/// The AWS VPC CNI network policy agent's policy events: network-policy-agent.log (zap JSON, every layout from v1.0.0
/// to the ring-buffer reader of v1.3.x) and the "Node: ...;PolicyVerdict: ..." messages it sends to CloudWatch Logs,
/// as exported with their event time.
/// </summary>
public sealed class AwsNpaFormat : IFlowFormat
{
    /// <inheritdoc />
    public string Name => "aws-npa";

    /// <inheritdoc />
    public string Description => "AWS VPC CNI network policy agent flow events (network-policy-agent.log zap JSON, CloudWatch Logs messages)";

    /// <inheritdoc />
    public int Detect(IReadOnlyList<string> sample)
    {
        var strong = 0;
        var weak = 0;
        foreach (var line in sample)
        {
            if (line.Contains(";PolicyVerdict: ", StringComparison.Ordinal) && line.Contains("Node: ", StringComparison.Ordinal)
                && line.Contains(";SIP: ", StringComparison.Ordinal))
            {
                // A CloudWatch message, bare, prefixed by a time, or inside a CloudWatch Logs JSON event.
                strong++;
                continue;
            }
            if (!line.TrimStart().StartsWith('{'))
            {
                continue;
            }
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("msg", out var msg) || msg.ValueKind != JsonValueKind.String
                    || !root.TryGetProperty("level", out _) || !(root.TryGetProperty("ts", out _) || root.TryGetProperty("timestamp", out _)))
                {
                    continue;
                }
                if (msg.GetString()!.StartsWith("Flow Info:", StringComparison.Ordinal))
                {
                    strong++;
                }
                else if (IsAgentLine(root))
                {
                    weak++;
                }
            }
            catch (JsonException)
            {
                // Not JSON: not this line.
            }
        }
        return strong > 0 ? Math.Min(95, 70 + strong * 5) : weak > 0 ? Math.Min(50, 30 + weak * 5) : 0;
    }

    /// <inheritdoc />
    public ILineParser CreateParser(FormatOptions options) => new AwsNpaParser(options);

    /// <summary>A zap line the agent itself wrote: its ebpf-client logger or a caller in one of its packages.</summary>
    private static bool IsAgentLine(JsonElement root)
    {
        if (root.TryGetProperty("logger", out var logger) && logger.ValueKind == JsonValueKind.String && logger.GetString() == "ebpf-client")
        {
            return true;
        }
        if (root.TryGetProperty("caller", out var caller) && caller.ValueKind == JsonValueKind.String)
        {
            var c = caller.GetString()!;
            return c.StartsWith("ebpf/", StringComparison.Ordinal) || c.StartsWith("events/", StringComparison.Ordinal)
                || c.StartsWith("conntrack/", StringComparison.Ordinal) || c.StartsWith("controllers/policyendpoints", StringComparison.Ordinal)
                || c.StartsWith("rpc/", StringComparison.Ordinal);
        }
        return false;
    }
}
