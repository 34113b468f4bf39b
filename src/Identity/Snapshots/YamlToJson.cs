using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PolicyTrail.Identity.Snapshots;

/// <summary>
/// Converts YAML documents to JSON nodes with the YAML 1.2 core schema (plain true/false/null/numbers are typed,
/// quoted scalars stay strings), and maps a JSON path back to a YAML line for messages.
/// </summary>
internal static partial class YamlToJson
{
    [GeneratedRegex(@"^[-+]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Float();

    public static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => ConvertMap(map),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(Convert).ToArray()),
        YamlScalarNode scalar => ConvertScalar(scalar),
        _ => null,
    };

    private static JsonObject ConvertMap(YamlMappingNode map)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in map.Children)
        {
            var name = key is YamlScalarNode s ? s.Value ?? "" : key.ToString();
            obj[name] = Convert(value);
        }
        return obj;
    }

    private static JsonNode? ConvertScalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }
        if (Integer().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }
        if (Float().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return JsonValue.Create(d);
        }
        return JsonValue.Create(text);
    }

    /// <summary>The 1-based line of the deepest node a JSON path like "$.spec.ports[0].port" reaches.</summary>
    public static long LineOf(YamlNode root, string? path)
    {
        var node = root;
        if (!string.IsNullOrEmpty(path))
        {
            foreach (var segment in Segments(path))
            {
                YamlNode? next = null;
                if (segment.Index is { } i && node is YamlSequenceNode seq && i < seq.Children.Count)
                {
                    next = seq.Children[i];
                }
                else if (segment.Name is { } name && node is YamlMappingNode map)
                {
                    next = map.Children.FirstOrDefault(p => p.Key is YamlScalarNode k && k.Value == name).Value;
                }
                if (next is null)
                {
                    break;
                }
                node = next;
            }
        }
        return node.Start.Line;
    }

    private static IEnumerable<(string? Name, int? Index)> Segments(string path)
    {
        var i = path.StartsWith('$') ? 1 : 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = i + 1;
                while (end < path.Length && path[end] != '.' && path[end] != '[')
                {
                    end++;
                }
                yield return (path[(i + 1)..end], null);
                i = end;
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i);
                if (end < 0)
                {
                    yield break;
                }
                var inner = path[(i + 1)..end].Trim('\'', '"');
                yield return int.TryParse(inner, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? (null, n) : (inner, null);
                i = end + 1;
            }
            else
            {
                yield break;
            }
        }
    }
}
