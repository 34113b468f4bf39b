using System.Text.Json;
namespace PolicyTrail.Ledger.Entries;

/// <summary>
/// The values of an entry that change from one entry to the next are kept out of its template, in typed columns, so
/// that templates repeat and the store stays small. A template is the entry's RFC 8785 canonical JSON with each such
/// value replaced by a three-byte marker: 0x01, the slot letter and a parameter (the fraction digits of a time, else
/// '-'). Canonical JSON never holds a raw 0x01 byte (control characters are always escaped), so markers are unambiguous.
/// </summary>
public static class EntrySlots
{
    /// <summary>The byte that starts a marker.</summary>
    public const byte Marker = 0x01;

    /// <summary>
    /// A template's own text parsed as JSON, each slot marker read as a number (markers are not JSON); an empty object
    /// when the text is not JSON (verify reports such a template; it says nothing to a query).
    /// </summary>
    public static JsonDocument ParseTemplate(ReadOnlySpan<byte> template)
    {
        var json = template.ToArray();
        foreach (var i in EntryTemplates.FindMarkers(json))
        {
            if (i + 2 < json.Length)
            {
                json[i] = (byte)' ';
                json[i + 1] = (byte)'0';
                json[i + 2] = (byte)' ';
            }
        }
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return JsonDocument.Parse("{}"u8.ToArray());
        }
    }

    /// <summary>"index": the entry's position in the log.</summary>
    public const char Index = 'i';
    /// <summary>"time": source event time (parameter: fraction digits).</summary>
    public const char Time = 't';
    /// <summary>"observedAt": ingest time (parameter: fraction digits).</summary>
    public const char ObservedAt = 'o';
    /// <summary>Aggregation window start (parameter: fraction digits).</summary>
    public const char WindowStart = 'w';
    /// <summary>Aggregation window end (parameter: fraction digits).</summary>
    public const char WindowEnd = 'W';
    /// <summary>Source port.</summary>
    public const char SrcPort = 'p';
    /// <summary>Destination port.</summary>
    public const char DstPort = 'P';
    /// <summary>Line (or record position) in the source.</summary>
    public const char Line = 'l';
    /// <summary>SHA-256 of the raw record, as 64 lower-case hex digits.</summary>
    public const char Sha256 = 'h';
    /// <summary>Aggregated flow count.</summary>
    public const char Count = 'c';
    /// <summary>Aggregated packets.</summary>
    public const char Packets = 'k';
    /// <summary>Aggregated bytes.</summary>
    public const char Bytes = 'b';
    /// <summary>The source endpoint object (a fragment).</summary>
    public const char SrcFragment = 'S';
    /// <summary>The destination endpoint object (a fragment).</summary>
    public const char DstFragment = 'D';
    /// <summary>The decision's ingress side (a fragment).</summary>
    public const char IngressFragment = 'I';
    /// <summary>The decision's egress side (a fragment).</summary>
    public const char EgressFragment = 'E';
    /// <summary>The "source" reference object (a fragment).</summary>
    public const char SourceFragment = 'R';
    /// <summary>A value of the entry's own, kept whole as canonical JSON: for content no other entry shares (a cluster change).</summary>
    public const char Body = 'B';

    /// <summary>
    /// The JSON string to write where a slot goes before the template is canonicalized: "\u0001" + slot + parameter.
    /// <see cref="EntryTemplates.Compile"/> turns it into the raw marker.
    /// </summary>
    public static string Placeholder(char slot, char parameter = '-')
    {
        if (slot >= 128 || parameter >= 128)
        {
            throw new ArgumentException($"slot '{slot}' and parameter '{parameter}' must be ASCII");
        }
        // Entries are written by the million: each placeholder string is made once.
        return Placeholders[slot * 128 + parameter] ??= string.Create(3, (slot, parameter), static (span, s) =>
        {
            span[0] = '\u0001';
            span[1] = s.slot;
            span[2] = s.parameter;
        });
    }

    private static readonly string?[] Placeholders = new string?[128 * 128];

    /// <summary>The placeholder of a time slot with the given fraction digits (0-9).</summary>
    public static string TimePlaceholder(char slot, byte fractionDigits) => Placeholder(slot, (char)('0' + Math.Min(fractionDigits, (byte)9)));

    /// <summary>
    /// A user string that could be read as a placeholder (U+0001 followed by two characters) is written with U+FFFD in
    /// place of the U+0001, so that data can never pose as a slot; no Kubernetes name or CNI field holds such a string.
    /// </summary>
    public static string? Safe(string? value) =>
        value is { Length: 3 } && value[0] == '\u0001' ? "\uFFFD" + value[1..] : value;
}
