using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Antrea;

/// <summary>
/// Antrea NetworkPolicy audit log (/var/log/antrea/networkpolicy/np.log on each Node), every layout from v0.11 to
/// v2.x: "yyyy/MM/dd HH:mm:ss.ffffff &lt;OVS table&gt; &lt;Kind:ns/name&gt; ..." in the agent's local time.
/// </summary>
public sealed class AntreaNpFormat : IFlowFormat
{
    /// <inheritdoc />
    public string Name => "antrea-np";

    /// <inheritdoc />
    public string Description => "Antrea NetworkPolicy audit log np.log (antrea-agent, v0.11 to v2.x layouts; local time, see --timezone)";

    /// <inheritdoc />
    public int Detect(IReadOnlyList<string> sample)
    {
        var hits = 0;
        var eve = false;
        foreach (var line in sample)
        {
            if (AntreaNpParser.LooksLikeRecord(line))
            {
                hits++;
            }
            else if (line.Contains("antrea-l7-tap", StringComparison.Ordinal))
            {
                eve = true;
            }
        }
        if (hits > 0)
        {
            return Math.Min(95, 70 + hits * 5);
        }
        // The L7 engine's eve.json sits beside np.log; claimed weakly so that its lines are skipped, not unrecognised.
        return eve ? 30 : 0;
    }

    /// <inheritdoc />
    public ILineParser CreateParser(FormatOptions options) => new AntreaNpParser(options);
}
