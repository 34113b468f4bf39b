using System.Text.Json;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Hubble;

/// <summary>
/// Cilium Hubble flows as JSON lines: `hubble observe -o json|jsonpb`, Hubble Relay and the Hubble exporter
/// ({"flow"|"lost_events"|"agent_event"|"debug_event"|"node_status": ..., "node_name", "time"}), and the legacy bare
/// Flow object of hubble ≤ v0.10 `-o json`.
/// </summary>
public sealed class HubbleFormat : IFlowFormat
{
    private static readonly string[] WrapperKeys = ["flow", "lost_events", "agent_event", "debug_event", "node_status"];
    private static readonly string[] BareFlowKeys = ["verdict", "IP", "l4", "event_type", "traffic_direction", "drop_reason_desc"];

    /// <inheritdoc />
    public string Name => "hubble";

    /// <inheritdoc />
    public string Description => "Cilium Hubble JSON (hubble observe -o json/jsonpb, Relay, exporter files; legacy bare flows)";

    /// <inheritdoc />
    public int Detect(IReadOnlyList<string> sample)
    {
        var hits = JsonDetection.Score(sample, root =>
        {
            // A Calico Goldmane FlowResult also has a "flow" object, keyed by "key"/"Key": not Hubble.
            if (WrapperKeys.Any(k => root.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.Object
                    && !v.TryGetProperty("key", out _) && !v.TryGetProperty("Key", out _)))
            {
                return 2;
            }
            return root.TryGetProperty("time", out _) && BareFlowKeys.Count(k => root.TryGetProperty(k, out _)) >= 2 ? 1 : 0;
        });
        return hits == 0 ? 0 : Math.Min(95, 60 + hits * 5);
    }

    /// <inheritdoc />
    public ILineParser CreateParser(FormatOptions options) => new HubbleParser();
}
