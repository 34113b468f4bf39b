using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Netfilter;

/// <summary>
/// Kernel netfilter LOG lines (iptables -j LOG, nftables `log`), as dmesg (--time-format iso, -T), BSD syslog, RFC 3339
/// and RFC 5424 syslog, journalctl short-iso and journalctl -o json write them. Verdict and policy come only from the
/// log prefix through --netfilter-prefix rules.
/// </summary>
public sealed class NetfilterFormat : IFlowFormat
{
    /// <summary>Checks one --netfilter-prefix entry (PREFIX=verdict[:policy] or a preset); null when valid, else why not.</summary>
    public static string? ValidatePrefixRule(string entry) => PrefixRules.Validate(entry);

    /// <inheritdoc />
    public string Name => "netfilter";

    /// <inheritdoc />
    public string Description => "Kernel netfilter LOG lines (iptables/nftables log; dmesg, syslog, journald); verdicts via --netfilter-prefix";

    /// <inheritdoc />
    public int Detect(IReadOnlyList<string> sample)
    {
        var hits = 0;
        foreach (var line in sample)
        {
            if (line is null)
            {
                continue;
            }
            var json = line.TrimStart().StartsWith('{');
            if (json && !(line.Contains("\"MESSAGE\"", StringComparison.Ordinal) && line.Contains("__REALTIME_TIMESTAMP", StringComparison.Ordinal)))
            {
                continue;
            }
            if (line.Contains(" SRC=", StringComparison.Ordinal) && line.Contains(" DST=", StringComparison.Ordinal) && NetfilterParser.FindLogCore(line) is not null)
            {
                hits++;
            }
        }
        return hits == 0 ? 0 : Math.Min(95, 60 + hits * 10);
    }

    /// <inheritdoc />
    public ILineParser CreateParser(FormatOptions options) => new NetfilterParser(options);
}
