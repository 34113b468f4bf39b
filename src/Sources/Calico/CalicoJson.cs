using System.Globalization;
using System.Net;
using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;

namespace PolicyTrail.Sources.Calico;

/// <summary>
/// The fields of one JSON object keyed by a spelling-free name (lower-case, underscores dropped), so that protojson's
/// lowerCamelCase ("sourceName"), Go json tags ("source_name") and the Enterprise documents read through one lookup.
/// </summary>
internal sealed class CalicoObject
{
    private readonly Dictionary<string, JsonElement> _fields = new(StringComparer.Ordinal);

    private CalicoObject()
    {
    }

    /// <summary>The object's fields, or null when the element is not an object.</summary>
    public static CalicoObject? Of(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        var o = new CalicoObject();
        foreach (var property in element.EnumerateObject())
        {
            o._fields.TryAdd(Key(property.Name), property.Value);
        }
        return o;
    }

    /// <summary>Whether the field is present (null values included); the key in any spelling ("start_time", "startTime").</summary>
    public bool Has(string key) => _fields.ContainsKey(Key(key));

    /// <summary>The field, when present and not JSON null.</summary>
    public JsonElement? Get(string key) =>
        _fields.TryGetValue(Key(key), out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>A nested object, when present.</summary>
    public CalicoObject? Object(string key) => Get(key) is { } value ? Of(value) : null;

    /// <summary>A string field; null when absent, JSON null, or not a string.</summary>
    public string? String(string key) => Get(key) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    /// <summary>A string field with Calico's "-" (not applicable) and "" read as absent.</summary>
    public string? Name(string key) => String(key) is { Length: > 0 } s && s != "-" ? s : null;

    /// <summary>
    /// A whole number (also when written as a string, as protojson writes int64); null when absent or JSON null.
    /// False when present but not a whole number.
    /// </summary>
    public bool TryLong(string key, out long? value)
    {
        value = null;
        if (Get(key) is not { } element)
        {
            return true;
        }
        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var n))
        {
            value = n;
            return true;
        }
        if (element.ValueKind == JsonValueKind.String
            && long.TryParse(element.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            value = parsed;
            return true;
        }
        return false;
    }

    /// <summary>A non-negative count; null when absent; false with the reason when present but not a count.</summary>
    public bool TryCount(string key, out long? value, out string error)
    {
        error = "";
        if (!TryLong(key, out value) || value < 0)
        {
            error = $"{key} {Get(key)?.GetRawText()} is not a count";
            return false;
        }
        return true;
    }

    /// <summary>The sum of an in/out counter pair (null when both are absent); false when either is not a count.</summary>
    public bool TrySum(string inKey, string outKey, out long? sum, out string error)
    {
        sum = null;
        if (!TryCount(inKey, out var a, out error) || !TryCount(outKey, out var b, out error))
        {
            return false;
        }
        if (a is not null || b is not null)
        {
            sum = checked((a ?? 0) + (b ?? 0));
        }
        return true;
    }

    /// <summary>The strings of an array field (non-strings ignored); null when absent.</summary>
    public List<string>? Strings(string key)
    {
        if (Get(key) is not { ValueKind: JsonValueKind.Array } array)
        {
            return null;
        }
        var list = new List<string>();
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String)
            {
                list.Add(item.GetString()!);
            }
        }
        return list;
    }

    /// <summary>The spelling-free form of a field name.</summary>
    public static string Key(string name)
    {
        Span<char> buffer = stackalloc char[Math.Min(name.Length, 128)];
        var length = 0;
        foreach (var c in name)
        {
            if (c == '_' || length == buffer.Length)
            {
                continue;
            }
            buffer[length++] = char.ToLowerInvariant(c);
        }
        return new string(buffer[..length]);
    }
}

/// <summary>Field readings shared by the Calico formats.</summary>
internal static class CalicoFields
{
    /// <summary>Calico's proto field: a name (tcp, udp, sctp, icmp, icmp6...) or an IANA number, as string or number.</summary>
    public static Protocol Protocol(JsonElement? value)
    {
        if (value is not { } element)
        {
            return Core.Protocol.Unknown;
        }
        string? text = element.ValueKind switch
        {
            JsonValueKind.String => element.GetString(),
            JsonValueKind.Number => element.GetRawText(),
            _ => null,
        };
        return text?.Trim().ToLowerInvariant() switch
        {
            "tcp" or "6" => Core.Protocol.Tcp,
            "udp" or "17" => Core.Protocol.Udp,
            "sctp" or "132" => Core.Protocol.Sctp,
            "icmp" or "icmpv4" or "1" => Core.Protocol.IcmpV4,
            "icmp6" or "icmpv6" or "ipv6-icmp" or "58" => Core.Protocol.IcmpV6,
            _ => Core.Protocol.Unknown,
        };
    }

    /// <summary>"k=v" strings as a label map (a string without '=' becomes a key with an empty value); null when none.</summary>
    public static Dictionary<string, string>? Labels(List<string>? labels)
    {
        if (labels is null || labels.Count == 0)
        {
            return null;
        }
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var label in labels)
        {
            var eq = label.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                map[label] = "";
            }
            else
            {
                map[label[..eq]] = label[(eq + 1)..];
            }
        }
        return map;
    }

    /// <summary>"namespace/name" of a Service, or the name alone; null when the source says none ("-").</summary>
    public static string? Service(string? ns, string? name) =>
        name is null ? null : ns is null ? name : $"{ns}/{name}";

    /// <summary>Unix seconds as a whole-second timestamp.</summary>
    public static Timestamp Seconds(long seconds) => Timestamp.FromSecondsAndNanos(seconds, 0, 0);

    /// <summary>Whether Unix seconds fall in a range a flow log can hold (1970 to 9999).</summary>
    public static bool PlausibleSeconds(long seconds) => seconds is >= 0 and < 253402300800;

    /// <summary>Parses an address; false when present but not an address.</summary>
    public static bool TryAddress(string? text, out IPAddress? address)
    {
        address = null;
        // IPAddress.TryParse also takes "1" or "0x1"; a flow log writes dotted or colon forms only.
        return text is null || ((text.Contains('.', StringComparison.Ordinal) || text.Contains(':', StringComparison.Ordinal)) && IPAddress.TryParse(text, out address));
    }
}
