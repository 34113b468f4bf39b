using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Antrea;

/// <summary>
/// The Antrea Flow Aggregator's flowLogger file (flowLogger.enable, recordFormat CSV; default /tmp/antrea-flows.log):
/// one header-less CSV line per aggregated connection record, in every column layout from v1.12 to v2.x, with names
/// or numbers for protocol, rule action and policy type (prettyPrint on or off).
/// </summary>
public sealed class AntreaFlowLoggerFormat : IFlowFormat
{
    /// <inheritdoc />
    public string Name => "antrea-flowlogger";

    /// <inheritdoc />
    public string Description => "Antrea Flow Aggregator flowLogger CSV (connection records with ingress/egress NetworkPolicy per side; v1.12 to v2.x)";

    /// <inheritdoc />
    public int Detect(IReadOnlyList<string> sample)
    {
        int hits = 0, misses = 0;
        foreach (var line in sample)
        {
            if (AntreaFlowLoggerParser.LooksLikeRecord(line))
            {
                hits++;
            }
            else
            {
                misses++;
            }
        }
        // CSV is a loose shape: claim the input only when most of its first lines have every column right.
        return hits == 0 || misses > hits ? 0 : Math.Min(90, 65 + hits * 5);
    }

    /// <inheritdoc />
    public ILineParser CreateParser(FormatOptions options) => new AntreaFlowLoggerParser(options);
}
