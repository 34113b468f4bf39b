using System.Globalization;
using System.Text.Json;
using PolicyTrail.Identity.History;
using PolicyTrail.Identity.Watch;

namespace PolicyTrail.Cli.Commands.Watch;

/// <summary>
/// Writes each cluster change and each gap as one JSON line, flushed at once (so <c>tail -f</c> shows it live), and
/// counts them for the closing summary.
/// </summary>
internal sealed class JsonLinesChangeWriter(Stream stream) : IClusterChangeSink
{
    private readonly Utf8JsonWriter _json = new(stream);
    private readonly SortedDictionary<string, long> _perKind = new(StringComparer.Ordinal);

    /// <summary>Changes written.</summary>
    public long Changes { get; private set; }

    /// <summary>Gaps written.</summary>
    public long Gaps { get; private set; }

    /// <summary>Changes written per kind, by kind name.</summary>
    public IReadOnlyDictionary<string, long> PerKind => _perKind;

    public void Record(ClusterChange change)
    {
        ChangeLines.Write(_json, change);
        EndLine();
        Changes++;
        _perKind[change.Kind] = _perKind.GetValueOrDefault(change.Kind) + 1;
    }

    public void Gap(long fromUnixNanos, long toUnixNanos, string reason)
    {
        ChangeLines.WriteGap(_json, fromUnixNanos, toUnixNanos, reason);
        EndLine();
        Gaps++;
    }

    /// <summary>"changes 12 (Pod 5, Namespace 3), gaps 1".</summary>
    public string Summary()
    {
        var kinds = _perKind.Count == 0 ? "" : $" ({string.Join(", ", _perKind.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"))})";
        return string.Create(CultureInfo.InvariantCulture, $"{Changes} change{(Changes == 1 ? "" : "s")}{kinds}, {Gaps} gap{(Gaps == 1 ? "" : "s")}");
    }

    private void EndLine()
    {
        _json.Flush();
        _json.Reset();
        stream.WriteByte((byte)'\n');
        stream.Flush();
    }

    /// <summary>Unix ns as RFC 3339 UTC with all nine fractional digits: exact, and sortable as text.</summary>
    internal static string Rfc3339(long unixNanos) => ChangeLines.Rfc3339(unixNanos);
}
