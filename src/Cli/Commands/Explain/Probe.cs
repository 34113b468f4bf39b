using System.Globalization;
using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;

namespace PolicyTrail.Cli.Commands.Explain;

/// <summary>One connection to decide: from, to, port (number or name) and protocol.</summary>
internal sealed record Probe(string From, string To, PortRef Port, Protocol Protocol);

/// <summary>
/// Reads probe lines: {"from": "x/a" | "10.1.2.3" | {"ip": ...} | {"namespace", "pod"}, "to": ..., "port": 80 | "http",
/// "protocol": "TCP"}. A line that is not a probe gives an error naming the problem.
/// </summary>
internal static class ProbeReader
{
    public static bool TryParse(ReadOnlySpan<byte> line, out Probe? probe, out string error)
    {
        probe = null;
        error = "";
        try
        {
            var reader = new Utf8JsonReader(line);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "expected a JSON object";
                return false;
            }
            if (!TryEndpoint(root, "from", out var from, out error) || !TryEndpoint(root, "to", out var to, out error))
            {
                return false;
            }
            if (!root.TryGetProperty("port", out var portElement))
            {
                error = "missing \"port\"";
                return false;
            }
            PortRef port;
            switch (portElement.ValueKind)
            {
                case JsonValueKind.Number when portElement.TryGetInt32(out var number):
                    port = PortRef.FromNumber(number);
                    break;
                case JsonValueKind.String when portElement.GetString() is { Length: > 0 } text:
                    port = PortRef.Parse(text);
                    break;
                default:
                    error = "\"port\" must be a number or a port name";
                    return false;
            }
            var protocol = Protocol.Tcp;
            if (root.TryGetProperty("protocol", out var protocolElement) && protocolElement.ValueKind != JsonValueKind.Null)
            {
                if (protocolElement.ValueKind != JsonValueKind.String || !ProtocolNames.TryParse(protocolElement.GetString(), out protocol))
                {
                    error = $"\"protocol\" must be TCP, UDP or SCTP, not {protocolElement.GetRawText()}";
                    return false;
                }
            }
            probe = new Probe(from!, to!, port, protocol);
            return true;
        }
        catch (JsonException e)
        {
            error = $"invalid JSON at byte {(e.BytePositionInLine ?? 0) + 1}";
            return false;
        }
    }

    private static bool TryEndpoint(JsonElement root, string name, out string? value, out string error)
    {
        value = null;
        error = "";
        if (!root.TryGetProperty(name, out var element))
        {
            error = $"missing \"{name}\"";
            return false;
        }
        switch (element.ValueKind)
        {
            case JsonValueKind.String when element.GetString() is { Length: > 0 } text:
                value = text;
                return true;
            case JsonValueKind.Object when element.TryGetProperty("ip", out var ip) && ip.ValueKind == JsonValueKind.String:
                value = ip.GetString();
                return true;
            case JsonValueKind.Object when element.TryGetProperty("namespace", out var ns) && element.TryGetProperty("pod", out var pod)
                                           && ns.ValueKind == JsonValueKind.String && pod.ValueKind == JsonValueKind.String:
                value = string.Create(CultureInfo.InvariantCulture, $"{ns.GetString()}/{pod.GetString()}");
                return true;
            default:
                error = $"\"{name}\" must be \"namespace/pod\", an IP address, {{\"ip\": ...}} or {{\"namespace\": ..., \"pod\": ...}}";
                return false;
        }
    }
}
