using System.Text.Json;
using PolicyTrail.Ledger.Entries;

namespace PolicyTrail.Report.Model;

/// <summary>Reads a template fragment's own text as JSON (slot markers read as numbers), or an entry rebuilt whole.</summary>
internal static class FragmentJson
{
    /// <summary>The fragment's text parsed; an empty object when it is not JSON of any shape (verify reports that).</summary>
    public static JsonDocument Parse(byte[] text)
    {
        var json = (byte[])text.Clone();
        for (var i = Array.IndexOf(json, EntrySlots.Marker); i >= 0 && i + 2 < json.Length; i = Array.IndexOf(json, EntrySlots.Marker, i + 3))
        {
            json[i] = (byte)' ';
            json[i + 1] = (byte)'0';
            json[i + 2] = (byte)' ';
        }
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return JsonDocument.Parse("{}");
        }
    }

    /// <summary>A string member, or null.</summary>
    public static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    /// <summary>An object member, or default.</summary>
    public static JsonElement Obj(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Object ? p : default;

    /// <summary>An integer member, or null.</summary>
    public static long? Int(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt64(out var v) ? v : null;

    /// <summary>The strings of an array member.</summary>
    public static IEnumerable<string> Strings(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Array
            ? p.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!)
            : [];

    /// <summary>The objects of an array member.</summary>
    public static IEnumerable<JsonElement> Objects(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Array
            ? p.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Object)
            : [];
}
