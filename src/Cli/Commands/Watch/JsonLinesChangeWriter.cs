using System.Globalization;
using System.Text.Json;
using PolicyTrail.Identity.History;

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
        _json.WriteStartObject();
        _json.WriteString("record", "change");
        _json.WriteString("time", Rfc3339(change.Time));
        if (change.NotBefore is { } notBefore)
        {
            _json.WriteString("notBefore", Rfc3339(notBefore));
        }
        _json.WriteString("type", change.Type.ToString());
        _json.WriteString("kind", change.Kind);
        if (change.Namespace is not null)
        {
            _json.WriteString("namespace", change.Namespace);
        }
        _json.WriteString("name", change.Name);
        if (change.Uid is not null)
        {
            _json.WriteString("uid", change.Uid);
        }
        if (change.ResourceVersion is not null)
        {
            _json.WriteString("resourceVersion", change.ResourceVersion);
        }
        _json.WriteString("origin", change.Origin);
        if (change.ObjectJson is not null)
        {
            _json.WritePropertyName("object");
            _json.WriteRawValue(change.ObjectJson);
        }
        _json.WriteEndObject();
        EndLine();
        Changes++;
        _perKind[change.Kind] = _perKind.GetValueOrDefault(change.Kind) + 1;
    }

    public void Gap(long fromUnixNanos, long toUnixNanos, string reason)
    {
        _json.WriteStartObject();
        _json.WriteString("record", "gap");
        _json.WriteString("from", Rfc3339(fromUnixNanos));
        _json.WriteString("to", Rfc3339(toUnixNanos));
        _json.WriteString("reason", reason);
        _json.WriteEndObject();
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
    internal static string Rfc3339(long unixNanos)
    {
        var seconds = Math.DivRem(unixNanos, 1_000_000_000L, out var nanos);
        if (nanos < 0)
        {
            seconds--;
            nanos += 1_000_000_000L;
        }
        var t = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime;
        return string.Create(CultureInfo.InvariantCulture, $"{t:yyyy-MM-dd'T'HH:mm:ss}.{nanos:D9}Z");
    }
}
