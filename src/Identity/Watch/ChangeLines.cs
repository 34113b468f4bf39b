using System.Globalization;
using System.Text;
using System.Text.Json;
using PolicyTrail.Core.Flows;
using PolicyTrail.Identity.History;

namespace PolicyTrail.Identity.Watch;

/// <summary>Reads a change's object where it stands in a change line, in the same pass as the line (<see cref="ChangeLines"/>).</summary>
public interface IChangeObjectReader
{
    /// <summary>
    /// Reads the object value <paramref name="reader"/> stands on, of a change of <paramref name="kind"/> (the kind the
    /// line named so far), leaving the reader on its last token; false to leave it untouched (the line reader skips it).
    /// </summary>
    bool Read(string kind, ref Utf8JsonReader reader);
}

/// <summary>One line of a change file: a change, or a gap (an interval in which changes may have been missed).</summary>
public readonly record struct ChangeLine
{
    /// <summary>The change, or null for a gap.</summary>
    public ClusterChange? Change { get; init; }

    /// <summary>A gap's start, Unix ns.</summary>
    public long GapFrom { get; init; }

    /// <summary>A gap's end, Unix ns.</summary>
    public long GapTo { get; init; }

    /// <summary>Why a gap is one.</summary>
    public string? GapReason { get; init; }
}

/// <summary>
/// The change file of <c>policytrail watch --out</c>: one JSON object a line,
/// <c>{"record":"change","time","notBefore"?,"type":"Added|Modified|Deleted","kind","namespace"?,"name","uid"?,"resourceVersion"?,"user"?,"origin","object"?}</c>
/// or <c>{"record":"gap","from","to","reason"}</c>, times as RFC 3339 UTC with nine fractional digits. What
/// <see cref="Write(Utf8JsonWriter, ClusterChange)"/> writes, <see cref="TryRead(ReadOnlySpan{byte}, out ChangeLine, out string?)"/> reads back as it was (the object's text exactly).
/// </summary>
public static class ChangeLines
{
    /// <summary>Writes a change as one JSON object (without the line end).</summary>
    public static void Write(Utf8JsonWriter json, ClusterChange change)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(change);
        json.WriteStartObject();
        json.WriteString("record", "change");
        json.WriteString("time", Rfc3339(change.Time));
        if (change.NotBefore is { } notBefore)
        {
            json.WriteString("notBefore", Rfc3339(notBefore));
        }
        json.WriteString("type", change.Type.ToString());
        json.WriteString("kind", change.Kind);
        if (change.Namespace is not null)
        {
            json.WriteString("namespace", change.Namespace);
        }
        json.WriteString("name", change.Name);
        if (change.Uid is not null)
        {
            json.WriteString("uid", change.Uid);
        }
        if (change.ResourceVersion is not null)
        {
            json.WriteString("resourceVersion", change.ResourceVersion);
        }
        if (change.User is not null)
        {
            json.WriteString("user", change.User);
        }
        json.WriteString("origin", change.Origin);
        if (change.ObjectJson is not null)
        {
            json.WritePropertyName("object");
            json.WriteRawValue(change.ObjectJson);
        }
        json.WriteEndObject();
    }

    /// <summary>Writes a gap as one JSON object (without the line end).</summary>
    public static void WriteGap(Utf8JsonWriter json, long fromUnixNanos, long toUnixNanos, string reason)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteStartObject();
        json.WriteString("record", "gap");
        json.WriteString("from", Rfc3339(fromUnixNanos));
        json.WriteString("to", Rfc3339(toUnixNanos));
        json.WriteString("reason", reason);
        json.WriteEndObject();
    }

    /// <summary>Reads one line (UTF-8, without its line end); false with the reason when it is not a change or a gap.</summary>
    public static bool TryRead(ReadOnlySpan<byte> line, out ChangeLine result, out string? error) =>
        TryRead(line, objectAsText: true, null, out result, out error, out _);

    /// <summary>
    /// Reads one line as <see cref="TryRead(ReadOnlySpan{byte}, out ChangeLine, out string?)"/> does, but leaves a
    /// change's object where it is: <see cref="ClusterChange.ObjectJson"/> is null and <paramref name="objectJson"/> is
    /// the object's place in <paramref name="line"/> (null when the change has none), which saves decoding it.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> line, out ChangeLine result, out string? error, out Range? objectJson) =>
        TryRead(line, objectAsText: false, null, out result, out error, out objectJson);

    /// <summary>
    /// Reads one line as <see cref="TryRead(ReadOnlySpan{byte}, out ChangeLine, out string?, out Range?)"/> does, and
    /// hands a change's object to <paramref name="objects"/> where it stands (when the line named the kind before it), so
    /// that the object is read in the same pass as the line. False also when <paramref name="objects"/> threw: read the
    /// line without it then, for the reason a line is refused is that overload's.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> line, IChangeObjectReader objects, out ChangeLine result, out string? error, out Range? objectJson)
    {
        ArgumentNullException.ThrowIfNull(objects);
        return TryRead(line, objectAsText: false, objects, out result, out error, out objectJson);
    }

    private static bool TryRead(ReadOnlySpan<byte> line, bool objectAsText, IChangeObjectReader? objects, out ChangeLine result, out string? error, out Range? objectJson)
    {
        result = default;
        objectJson = null;
        try
        {
            error = Read(line, objectAsText, objects, out result, out objectJson);
        }
        catch (JsonException e)
        {
            error = $"not JSON: {e.Message}";
        }
        catch (InvalidOperationException e)
        {
            // A string that cannot be decoded (a lone surrogate written as an escape).
            error = $"not JSON: {e.Message}";
        }
        return error is null;
    }

    private static string? Read(ReadOnlySpan<byte> line, bool objectAsText, IChangeObjectReader? objects, out ChangeLine result, out Range? objectRange)
    {
        result = default;
        objectRange = null;
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return "not a JSON object";
        }
        string? record = null, type = null, kind = null, ns = null, name = null, uid = null, rv = null, user = null, origin = null, reason = null, objectJson = null;
        long? time = null, notBefore = null, from = null, to = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.ValueIsEscaped ? FieldOf(Encoding.UTF8.GetBytes(reader.GetString()!)) : FieldOf(reader.ValueSpan);
            var fieldSpan = reader.ValueSpan;
            reader.Read();
            if (field == Field.Object)
            {
                var start = (int)reader.TokenStartIndex;
                if (objects is null || kind is null || !ReadObject(objects, kind, ref reader, out var declined))
                {
                    reader.Skip();
                }
                else if (declined is not null)
                {
                    return declined;
                }
                objectRange = start..(int)reader.BytesConsumed;
                if (objectAsText)
                {
                    objectJson = Encoding.UTF8.GetString(line[objectRange.Value]);
                }
                continue;
            }
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
                continue;
            }
            if (field == Field.Other || reader.TokenType == JsonTokenType.Null)
            {
                continue;
            }
            if (reader.TokenType != JsonTokenType.String)
            {
                return $"\"{Encoding.UTF8.GetString(fieldSpan)}\" is not a string";
            }
            if (field is Field.Time or Field.NotBefore or Field.From or Field.To)
            {
                if (reader.ValueIsEscaped || !Timestamp.TryParseRfc3339(reader.ValueSpan, out var t))
                {
                    return $"\"{Encoding.UTF8.GetString(fieldSpan)}\" is not an RFC 3339 time: {reader.GetString()}";
                }
                _ = field switch
                {
                    Field.Time => time = t.UnixNanos,
                    Field.NotBefore => notBefore = t.UnixNanos,
                    Field.From => from = t.UnixNanos,
                    _ => to = t.UnixNanos,
                };
                continue;
            }
            var value = reader.GetString();
            _ = field switch
            {
                Field.Record => record = value,
                Field.Type => type = value,
                Field.Kind => kind = value,
                Field.Namespace => ns = value,
                Field.Name => name = value,
                Field.Uid => uid = value,
                Field.ResourceVersion => rv = value,
                Field.User => user = value,
                Field.Origin => origin = value,
                _ => reason = value,
            };
        }
        // Whatever follows the object is read (and refused) by the reader: one JSON value a line.
        _ = reader.Read();
        switch (record)
        {
            case "change":
                var changeType = type switch
                {
                    "Added" => ChangeType.Added,
                    "Modified" => ChangeType.Modified,
                    "Deleted" => ChangeType.Deleted,
                    null => (ChangeType?)null,
                    _ => (ChangeType)(-1),
                };
                var missing = time is null ? "time" : changeType is null ? "type" : kind is null ? "kind" : name is null ? "name" : origin is null ? "origin" : null;
                if (missing is not null)
                {
                    return $"change without \"{missing}\"";
                }
                if ((int)changeType!.Value < 0)
                {
                    return $"\"type\" is \"{type}\": expected Added, Modified or Deleted";
                }
                result = new ChangeLine
                {
                    Change = new ClusterChange
                    {
                        Time = time!.Value,
                        NotBefore = notBefore,
                        Type = changeType.Value,
                        Kind = kind!,
                        Namespace = ns,
                        Name = name!,
                        Uid = uid,
                        ResourceVersion = rv,
                        ObjectJson = objectJson,
                        User = user,
                        Origin = origin!,
                    },
                };
                return null;
            case "gap":
                var absent = from is null ? "from" : to is null ? "to" : reason is null ? "reason" : null;
                if (absent is not null)
                {
                    return $"gap without \"{absent}\"";
                }
                result = new ChangeLine { GapFrom = from!.Value, GapTo = to!.Value, GapReason = reason };
                objectRange = null;
                return null;
            case null:
                return "no \"record\" (change or gap)";
            default:
                return $"\"record\" is \"{record}\": expected change or gap";
        }
    }

    // What the object reader throws is not a verdict on the line: the caller reads it again without one.
    private static bool ReadObject(IChangeObjectReader objects, string kind, ref Utf8JsonReader reader, out string? declined)
    {
        declined = null;
        try
        {
            return objects.Read(kind, ref reader);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            declined = $"object not read in place: {e.Message}";
            return true;
        }
    }

    private enum Field
    {
        Other,
        Record,
        Time,
        NotBefore,
        Type,
        Kind,
        Namespace,
        Name,
        Uid,
        ResourceVersion,
        User,
        Origin,
        Object,
        From,
        To,
        Reason,
    }

    private static Field FieldOf(ReadOnlySpan<byte> name) => name switch
    {
        _ when name.SequenceEqual("record"u8) => Field.Record,
        _ when name.SequenceEqual("time"u8) => Field.Time,
        _ when name.SequenceEqual("notBefore"u8) => Field.NotBefore,
        _ when name.SequenceEqual("type"u8) => Field.Type,
        _ when name.SequenceEqual("kind"u8) => Field.Kind,
        _ when name.SequenceEqual("namespace"u8) => Field.Namespace,
        _ when name.SequenceEqual("name"u8) => Field.Name,
        _ when name.SequenceEqual("uid"u8) => Field.Uid,
        _ when name.SequenceEqual("resourceVersion"u8) => Field.ResourceVersion,
        _ when name.SequenceEqual("user"u8) => Field.User,
        _ when name.SequenceEqual("origin"u8) => Field.Origin,
        _ when name.SequenceEqual("object"u8) => Field.Object,
        _ when name.SequenceEqual("from"u8) => Field.From,
        _ when name.SequenceEqual("to"u8) => Field.To,
        _ when name.SequenceEqual("reason"u8) => Field.Reason,
        _ => Field.Other,
    };

    /// <summary>Unix ns as RFC 3339 UTC with all nine fractional digits: exact, and sortable as text.</summary>
    public static string Rfc3339(long unixNanos)
    {
        var seconds = Math.DivRem(unixNanos, 1_000_000_000L, out var nanos);
        if (nanos < 0)
        {
            seconds--;
            nanos += 1_000_000_000L;
        }
        var t = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime;
        return string.Create(CultureInfo.InvariantCulture, $"{t:yyyy-MM-dd'T'HH:mm:ss}.{nanos:D9}Z");
    }
}
