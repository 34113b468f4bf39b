using System.Text.Json;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Gke;

/// <summary>
/// GKE Dataplane V2 network policy logs: one JSON object per line as anetd writes it on the node
/// (/var/log/network/policy_action*.log), or the same object in the jsonPayload of a Cloud Logging LogEntry
/// (log "policy-action"), one entry per line as log sinks to Cloud Storage and `jq -c '.[]'` write them.
/// </summary>
public sealed class GkeDpv2Format : IFlowFormat
{
    /// <inheritdoc />
    public string Name => "gke-dpv2";

    /// <inheritdoc />
    public string Description => "GKE Dataplane V2 network policy logs (node policy_action.log lines, Cloud Logging policy-action entries)";

    /// <inheritdoc />
    public int Detect(IReadOnlyList<string> sample)
    {
        var hits = JsonDetection.Score(sample, root =>
            (root.TryGetProperty("logName", out var logName) && logName.ValueKind == JsonValueKind.String && GkeDpv2Parser.IsPolicyActionLog(logName.GetString()!))
            || (root.TryGetProperty("jsonPayload", out var payload) && payload.ValueKind == JsonValueKind.Object && LooksLikeRecord(payload))
            || LooksLikeRecord(root)
                ? 2
                : 0);
        return hits == 0 ? 0 : Math.Min(95, 70 + hits * 5);
    }

    /// <summary>
    /// A policy action has a connection object and a lower-case allow/deny disposition; GCP VPC firewall logs share
    /// the "connection" and "disposition" names but write ALLOWED/DENIED, so they are not taken for ours.
    /// </summary>
    private static bool LooksLikeRecord(JsonElement record) =>
        record.TryGetProperty("connection", out var connection) && connection.ValueKind == JsonValueKind.Object
        && connection.TryGetProperty("src_ip", out _)
        && record.TryGetProperty("disposition", out var disposition) && disposition.ValueKind == JsonValueKind.String
        && disposition.GetString() is "allow" or "deny";

    /// <inheritdoc />
    public ILineParser CreateParser(FormatOptions options) => new GkeDpv2Parser(options);
}
