using System.Text.Json;
using PolicyTrail.Ledger.Entries;

namespace PolicyTrail.Report.Model;

/// <summary>Reads a template fragment's own text as JSON (slot markers read as numbers), or an entry rebuilt whole.</summary>
internal static class FragmentJson
{
    /// <summary>The fragment's text parsed; an empty object when it is not JSON of any shape (verify reports that).</summary>
    public static JsonDocument Parse(byte[] text) => EntrySlots.ParseTemplate(text);

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
