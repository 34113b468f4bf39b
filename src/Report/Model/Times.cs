using PolicyTrail.Core.Flows;

namespace PolicyTrail.Report.Model;

/// <summary>How the report writes instants and intervals: RFC 3339 UTC, invariant.</summary>
public static class Times
{
    /// <summary>RFC 3339 UTC with nanoseconds, as entries write times.</summary>
    public static string Exact(long unixNanos) => new Timestamp(unixNanos, 9).ToString();

    /// <summary>RFC 3339 UTC to the second (to the millisecond when the instant has a fraction), for tables.</summary>
    public static string Short(long unixNanos) => new Timestamp(unixNanos, (byte)(unixNanos % 1_000_000_000 == 0 ? 0 : 3)).ToString();

    /// <summary>A duration in the largest unit that divides it (7d, 6h, 15m, 10s) or in seconds.</summary>
    public static string Duration(long nanos)
    {
        foreach (var (unit, size) in new[] { ("d", 86_400_000_000_000L), ("h", 3_600_000_000_000L), ("m", 60_000_000_000L), ("s", 1_000_000_000L) })
        {
            if (nanos >= size && nanos % size == 0)
            {
                return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{nanos / size}{unit}");
            }
        }
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{nanos / 1e9:0.###}s");
    }
}
