using System.Globalization;
using System.Text.Json;

namespace PolicyTrail.Sources.Formats;

/// <summary>Lenient value readers for JSON-lines formats: a value of the wrong type is skipped and read as null.</summary>
internal static class JsonValues
{
    /// <summary>The string at the reader, or null (the value is skipped) when it is not a string.</summary>
    public static string? StringOrNull(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.String)
        {
            return r.GetString();
        }
        r.Skip();
        return null;
    }

    /// <summary>The strings of an array (non-strings skipped), or null when the value is not an array.</summary>
    public static List<string>? Strings(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.StartArray)
        {
            r.Skip();
            return null;
        }
        var list = new List<string>();
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (r.TokenType == JsonTokenType.String)
            {
                list.Add(r.GetString()!);
            }
            else
            {
                r.Skip();
            }
        }
        return list;
    }

    /// <summary>An integer, also when protojson wrote a 64-bit value as a string; null otherwise.</summary>
    public static long? Int64(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Number && r.TryGetInt64(out var n))
        {
            return n;
        }
        if (r.TokenType == JsonTokenType.String && long.TryParse(r.ValueSpan, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }
        r.Skip();
        return null;
    }
}
