using System.Text.Json;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Netfilter;

/// <summary>
/// ulogd2's JSON output plugin (output/ulogd_output_JSON.c): one object per NFLOG packet with the keys of the stack's
/// plugins ("oob.prefix", "oob.in", "src_ip", "dest_ip", "ip.protocol", "src_port", ...). Verdict and policy come from
/// the NFLOG prefix through --netfilter-prefix rules, or from "action" when the plugin's boolean_label is on.
/// </summary>
public sealed class UlogdJsonFormat : IFlowFormat
{
    /// <inheritdoc />
    public string Name => "ulogd-json";

    /// <inheritdoc />
    public string Description => "ulogd2 JSON output (NFLOG packets: nftables `log group`, iptables -j NFLOG); verdicts via --netfilter-prefix";

    /// <inheritdoc />
    public int Detect(IReadOnlyList<string> sample)
    {
        var hits = 0;
        foreach (var line in sample)
        {
            if (line is null || !line.TrimStart().StartsWith('{') || !line.Contains("\"oob.", StringComparison.Ordinal) && !line.Contains("\"raw.pktlen\"", StringComparison.Ordinal))
            {
                continue;
            }
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.ValueKind == JsonValueKind.Object
                    && (root.TryGetProperty("oob.prefix", out _) || root.TryGetProperty("oob.family", out _) || root.TryGetProperty("raw.pktlen", out _)))
                {
                    hits++;
                }
            }
            catch (JsonException)
            {
                // Not JSON: not this line.
            }
        }
        return hits == 0 ? 0 : Math.Min(95, 70 + hits * 5);
    }

    /// <inheritdoc />
    public ILineParser CreateParser(FormatOptions options) => new UlogdJsonParser(options);
}
