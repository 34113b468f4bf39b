using System.Text.Json;

namespace PolicyTrail.Export.Mapping;

/// <summary>Writes members only when they have a value: exported JSON leaves out what the entry does not know.</summary>
internal static class JsonFields
{
    /// <summary>
    /// Records are JSON lines for collectors, never HTML: escape only what JSON requires ("-&gt;" stays readable), and
    /// control characters, so that a record is always one line.
    /// </summary>
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Opt(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    public static void Opt(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }

    public static void Opt(Utf8JsonWriter w, string name, bool? value)
    {
        if (value is { } v)
        {
            w.WriteBoolean(name, v);
        }
    }

    /// <summary>Unix nanoseconds as whole milliseconds (OCSF timestamp_t, CEF rt).</summary>
    public static long Millis(long nanos) => nanos >= 0 ? nanos / 1_000_000 : -((-nanos + 999_999) / 1_000_000);

    /// <summary>RFC 3339 UTC with the given number of fractional digits (0-9), from Unix nanoseconds.</summary>
    public static string Rfc3339(long nanos, int digits)
    {
        var seconds = Math.DivRem(nanos, 1_000_000_000, out var fraction);
        if (fraction < 0)
        {
            seconds--;
            fraction += 1_000_000_000;
        }
        var whole = DateTimeOffset.FromUnixTimeSeconds(seconds).ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        if (digits <= 0)
        {
            return whole + "Z";
        }
        var frac = fraction.ToString("D9", System.Globalization.CultureInfo.InvariantCulture)[..Math.Min(digits, 9)];
        return $"{whole}.{frac}Z";
    }

    /// <summary>IANA protocol number and ECS/OCSF lower-case name of a flow's protocol.</summary>
    public static (int? Number, string? Name) Protocol(string? protocol) => protocol switch
    {
        "TCP" => (6, "tcp"),
        "UDP" => (17, "udp"),
        "SCTP" => (132, "sctp"),
        "ICMPv4" => (1, "icmp"),
        "ICMPv6" => (58, "ipv6-icmp"),
        _ => (null, null),
    };
}
