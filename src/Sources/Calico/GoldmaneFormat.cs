using System.Text.Json;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Calico;

/// <summary>
/// Calico Open Source (≥ v3.30) flows from Goldmane's flow API as JSON: FlowResult / FlowUpdate / Flow / FlowListResult
/// messages of goldmane/proto/api.proto in protojson (lowerCamelCase or proto names, enums as names or numbers, int64 as
/// strings or numbers), the Goldmane emitter's encoding/json lines, and Whisker's flat flow objects (SSE "data:" lines too).
/// </summary>
internal sealed class GoldmaneFormat : IFlowFormat
{
    /// <inheritdoc />
    public string Name => "calico-goldmane";

    /// <inheritdoc />
    public string Description => "Calico OSS Goldmane/Whisker flows as JSON (flow API FlowResult/Flow/FlowListResult, emitter, Whisker)";

    /// <inheritdoc />
    public int Detect(IReadOnlyList<string> sample)
    {
        var hits = 0;
        foreach (var line in sample)
        {
            var text = GoldmaneParser.WithoutSsePrefix(line.AsSpan().Trim());
            if (text.Length == 0 || text[0] != '{')
            {
                continue;
            }
            try
            {
                using var document = JsonDocument.Parse(text.ToString());
                if (CalicoObject.Of(document.RootElement) is { } root && IsGoldmane(root))
                {
                    hits++;
                }
            }
            catch (JsonException)
            {
                // Not JSON: not this line.
            }
        }
        // Above Hubble's ceiling (95): Hubble's detector also counts any {"flow": {...}} wrapper, which a FlowResult is.
        return hits == 0 ? 0 : Math.Min(99, 80 + hits * 5);
    }

    private static bool IsGoldmane(CalicoObject root)
    {
        if (root.Get("flows") is { ValueKind: JsonValueKind.Array } flows)
        {
            return flows.EnumerateArray().Take(1).Any(f => CalicoObject.Of(f) is { } item && IsGoldmane(item));
        }
        var flow = root.Object("result") ?? root;
        flow = flow.Object("flow") ?? flow;
        if (flow.Object("key") is { } key)
        {
            return key.Has("source_name") || key.Has("dest_name") || key.Has("reporter");
        }
        // Whisker's flat flow: "protocol" (Enterprise says "proto") and no *_name_aggr.
        return flow.Has("protocol") && flow.Has("reporter") && flow.Has("start_time") && !flow.Has("source_name_aggr");
    }

    /// <inheritdoc />
    public ILineParser CreateParser(FormatOptions options) => new GoldmaneParser(options);
}
