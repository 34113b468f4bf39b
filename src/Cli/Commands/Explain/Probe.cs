using System.Text;
using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;

namespace PolicyTrail.Cli.Commands.Explain;

/// <summary>One connection to decide: from, to, port (number or name) and protocol.</summary>
internal sealed record Probe(string From, string To, PortRef Port, Protocol Protocol);

/// <summary>
/// Reads probe lines: {"from": "x/a" | "10.1.2.3" | {"ip": ...} | {"namespace", "pod"}, "to": ..., "port": 80 | "http",
/// "protocol": "TCP"}. Unknown fields are ignored. A line that is not a probe gives an error naming the problem.
/// </summary>
internal static class ProbeReader
{
    public static bool TryParse(ReadOnlySpan<byte> line, out Probe? probe, out string error)
    {
        probe = null;
        error = "";
        string? from = null, to = null;
        PortRef? port = null;
        var protocol = Protocol.Tcp;
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "expected a JSON object";
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("from"u8))
                {
                    reader.Read();
                    if (!TryEndpoint(ref reader, "from", out from, out error))
                    {
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("to"u8))
                {
                    reader.Read();
                    if (!TryEndpoint(ref reader, "to", out to, out error))
                    {
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("port"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var number))
                    {
                        port = PortRef.FromNumber(number);
                    }
                    else if (reader.TokenType == JsonTokenType.String && reader.GetString() is { Length: > 0 } text)
                    {
                        port = PortRef.Parse(text);
                    }
                    else
                    {
                        error = "\"port\" must be a number or a port name";
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("protocol"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Null)
                    {
                        continue;
                    }
                    if (reader.TokenType != JsonTokenType.String || !ProtocolNames.TryParse(reader.GetString(), out protocol))
                    {
                        error = $"\"protocol\" must be TCP, UDP or SCTP, not {Raw(ref reader)}";
                        return false;
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject)
            {
                error = "expected a JSON object";
                return false;
            }
            if (reader.Read())
            {
                error = "more than one JSON value on the line";
                return false;
            }
        }
        catch (JsonException e)
        {
            error = $"invalid JSON at byte {(e.BytePositionInLine ?? 0) + 1}";
            return false;
        }
        if (from is null || to is null || port is null)
        {
            error = $"missing \"{(from is null ? "from" : to is null ? "to" : "port")}\"";
            return false;
        }
        probe = new Probe(from, to, port.Value, protocol);
        return true;
    }

    private static bool TryEndpoint(ref Utf8JsonReader reader, string name, out string? value, out string error)
    {
        value = null;
        error = "";
        if (reader.TokenType == JsonTokenType.String && reader.GetString() is { Length: > 0 } text)
        {
            value = text;
            return true;
        }
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            string? ip = null, ns = null, pod = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var key = reader.GetString();
                reader.Read();
                var v = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                reader.Skip();
                switch (key)
                {
                    case "ip": ip = v; break;
                    case "namespace": ns = v; break;
                    case "pod": pod = v; break;
                }
            }
            value = ip ?? (ns is not null && pod is not null ? $"{ns}/{pod}" : null);
            if (value is not null)
            {
                return true;
            }
        }
        error = $"\"{name}\" must be \"namespace/pod\", an IP address, {{\"ip\": ...}} or {{\"namespace\": ..., \"pod\": ...}}";
        return false;
    }

    private static string Raw(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.String ? $"\"{reader.GetString()}\"" : Encoding.UTF8.GetString(reader.ValueSpan);
}
