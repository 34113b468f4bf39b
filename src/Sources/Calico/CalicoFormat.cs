using System.Text.Json;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Calico;

/// <summary>
/// Calico Enterprise / Calico Cloud flow logs as JSON lines: Felix's /var/log/calico/flowlogs files, the documents
/// fluentd ships to Elasticsearch, and Elasticsearch search hits wrapping one in "_source".
/// </summary>
internal sealed class CalicoFormat : IFlowFormat
{
    // Keys only Enterprise flow logs carry: Goldmane has neither the *_name_aggr pair nor num_flows.
    private static readonly string[] Distinctive = ["source_name_aggr", "dest_name_aggr", "num_flows"];

    /// <inheritdoc />
    public string Name => "calico";

    /// <inheritdoc />
    public string Description => "Calico Enterprise/Cloud flow logs (Felix flowlogs JSON lines, Elasticsearch documents or hits)";

    /// <inheritdoc />
    public int Detect(IReadOnlyList<string> sample)
    {
        var hits = JsonDetection.Score(sample, root =>
        {
            if (root.TryGetProperty("_source", out var source) && source.ValueKind == JsonValueKind.Object)
            {
                root = source;
            }
            return Distinctive.Any(k => root.TryGetProperty(k, out _)) ? 1 : 0;
        });
        return hits == 0 ? 0 : Math.Min(95, 70 + hits * 5);
    }

    /// <inheritdoc />
    public ILineParser CreateParser(FormatOptions options) => new CalicoParser(options);
}
