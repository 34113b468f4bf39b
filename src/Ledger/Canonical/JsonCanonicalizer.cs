using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PolicyTrail.Ledger.Canonical;

/// <summary>RFC 8785 JSON Canonicalization Scheme (JCS): the one byte form of a JSON value that every verifier recomputes.</summary>
/// <remarks>
/// Numbers are IEEE-754 doubles, as RFC 8785 requires: an integer beyond ±2^53 is written as the nearest double
/// (exactly what any other JCS implementation would write), so callers that need exact large integers store them as strings.
/// </remarks>
public static class JsonCanonicalizer
{
    // Deep enough for any ledger entry; bounded so hostile input cannot exhaust the stack.
    private const int MaxDepth = 64;

    /// <summary>Parses any JSON text (UTF-8) and returns its canonical form; throws <see cref="JsonCanonicalizationException"/> on input JCS refuses.</summary>
    public static byte[] Canonicalize(ReadOnlySpan<byte> utf8Json)
    {
        var node = Parse(utf8Json);
        var output = new ArrayBufferWriter<byte>(Math.Max(16, utf8Json.Length));
        Write(node, output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Writes the canonical form of <paramref name="node"/> (null is JSON null); throws <see cref="JsonCanonicalizationException"/> for values JCS cannot represent.</summary>
    public static void Write(JsonNode? node, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        WriteNode(node, output, "$", 0);
    }

    internal static JsonNode? Parse(ReadOnlySpan<byte> utf8Json)
    {
        // Utf8JsonReader does not check bytes inside strings it is not asked to decode, so check the whole text first.
        if (!System.Text.Unicode.Utf8.IsValid(utf8Json))
        {
            throw new JsonCanonicalizationException($"input is not valid UTF-8 (first bad byte at offset {FirstInvalidUtf8(utf8Json)})");
        }
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = MaxDepth });
        try
        {
            if (!reader.Read())
            {
                throw new JsonCanonicalizationException("input is empty: no JSON value");
            }
            var node = ReadValue(ref reader, "$");
            if (reader.Read())
            {
                throw new JsonCanonicalizationException($"unexpected data after the JSON value at offset {reader.TokenStartIndex}");
            }
            return node;
        }
        catch (JsonException e)
        {
            throw new JsonCanonicalizationException($"invalid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {e.Message}", e);
        }
    }

    private static JsonNode? ReadValue(ref Utf8JsonReader reader, string path)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var obj = new JsonObject();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var at = reader.TokenStartIndex;
                    var name = ReadString(ref reader, path);
                    if (obj.ContainsKey(name))
                    {
                        // RFC 8785 §3.1 requires I-JSON, which forbids duplicate names: the signer and a verifier could keep different ones.
                        throw new JsonCanonicalizationException($"duplicate member name \"{name}\" in {path} at offset {at}");
                    }
                    reader.Read();
                    obj[name] = ReadValue(ref reader, $"{path}.{name}");
                }
                return obj;
            case JsonTokenType.StartArray:
                var array = new JsonArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    array.Add(ReadValue(ref reader, $"{path}[{array.Count}]"));
                }
                return array;
            case JsonTokenType.String:
                return JsonValue.Create(ReadString(ref reader, path));
            case JsonTokenType.Number:
                if (!reader.TryGetDouble(out var number) || !double.IsFinite(number))
                {
                    throw new JsonCanonicalizationException($"number at {path} (offset {reader.TokenStartIndex}) is outside the IEEE-754 double range");
                }
                return JsonValue.Create(number);
            case JsonTokenType.True:
                return JsonValue.Create(true);
            case JsonTokenType.False:
                return JsonValue.Create(false);
            case JsonTokenType.Null:
                return null;
            default:
                throw new JsonCanonicalizationException($"unexpected token {reader.TokenType} at {path} (offset {reader.TokenStartIndex})");
        }
    }

    private static string ReadString(ref Utf8JsonReader reader, string path)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            // A lone surrogate written as an escape (\ud800) has no UTF-8 form: I-JSON forbids it.
            throw new JsonCanonicalizationException($"string at {path} (offset {reader.TokenStartIndex}) is not valid Unicode: {e.Message}", e);
        }
    }

    private static void WriteNode(JsonNode? node, IBufferWriter<byte> output, string path, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new JsonCanonicalizationException($"nesting deeper than {MaxDepth} at {path}");
        }
        switch (node)
        {
            case null:
                WriteAscii(output, "null");
                break;
            case JsonObject obj:
                WriteObject(obj, output, path, depth);
                break;
            case JsonArray array:
                output.Write("["u8);
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        output.Write(","u8);
                    }
                    WriteNode(array[i], output, $"{path}[{i}]", depth + 1);
                }
                output.Write("]"u8);
                break;
            case JsonValue value:
                WriteValue(value, output, path);
                break;
            default:
                throw new JsonCanonicalizationException($"unsupported node type {node.GetType().Name} at {path}");
        }
    }

    private static void WriteObject(JsonObject obj, IBufferWriter<byte> output, string path, int depth)
    {
        var members = obj.ToArray();
        // RFC 8785 §3.2.3: sort by the UTF-16 code units of the names; string.CompareOrdinal compares exactly those.
        Array.Sort(members, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        output.Write("{"u8);
        for (var i = 0; i < members.Length; i++)
        {
            if (i > 0)
            {
                if (string.Equals(members[i - 1].Key, members[i].Key, StringComparison.Ordinal))
                {
                    throw new JsonCanonicalizationException($"duplicate member name \"{members[i].Key}\" in {path}");
                }
                output.Write(","u8);
            }
            WriteString(members[i].Key, output, path);
            output.Write(":"u8);
            WriteNode(members[i].Value, output, $"{path}.{members[i].Key}", depth + 1);
        }
        output.Write("}"u8);
    }

    private static void WriteValue(JsonValue value, IBufferWriter<byte> output, string path)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                // A JsonValue may wrap a char, Guid, DateTime...: its own JSON text is the string it stands for.
                var text = value.TryGetValue<string>(out var s) ? s : JsonSerializer.Deserialize<string>(value.ToJsonString())!;
                WriteString(text, output, path);
                break;
            case JsonValueKind.Number:
                WriteAscii(output, FormatNumber(NumberOf(value, path), path));
                break;
            case JsonValueKind.True:
                WriteAscii(output, "true");
                break;
            case JsonValueKind.False:
                WriteAscii(output, "false");
                break;
            case JsonValueKind.Null:
                WriteAscii(output, "null");
                break;
            default:
                throw new JsonCanonicalizationException($"value at {path} has no JSON form ({value.GetValueKind()})");
        }
    }

    private static double NumberOf(JsonValue value, string path)
    {
        if (value.TryGetValue<double>(out var d))
        {
            return d;
        }
        // Any other numeric CLR type (int, long, decimal, ...) serializes to a JSON number text that parses as a double.
        var text = value.ToJsonString();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out d))
        {
            return d;
        }
        throw new JsonCanonicalizationException($"number at {path} ({text}) cannot be read as an IEEE-754 double");
    }

    /// <summary>Formats a double as ECMAScript's Number.prototype.toString does (RFC 8785 §3.2.2.3).</summary>
    internal static string FormatNumber(double value, string path = "$") => CanonicalJson.FormatNumber(value, path);

    private static void WriteString(string value, IBufferWriter<byte> output, string path) => CanonicalJson.WriteString(value, output, path);

    private static void WriteAscii(IBufferWriter<byte> output, string ascii)
    {
        var span = output.GetSpan(ascii.Length);
        for (var i = 0; i < ascii.Length; i++)
        {
            span[i] = (byte)ascii[i];
        }
        output.Advance(ascii.Length);
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            var status = Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed);
            if (status != OperationStatus.Done)
            {
                return offset;
            }
            offset += consumed;
        }
        return offset;
    }
}

/// <summary>Thrown when a JSON text or node cannot be canonicalized (invalid JSON or UTF-8, duplicate names, non-finite numbers).</summary>
public sealed class JsonCanonicalizationException : Exception
{
    /// <summary>Creates the exception with a message naming the input position or JSON path.</summary>
    public JsonCanonicalizationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the underlying parser error.</summary>
    public JsonCanonicalizationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
