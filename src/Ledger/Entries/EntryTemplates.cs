using System.Buffers;
using System.Buffers.Text;
using PolicyTrail.Core.Flows;
using PolicyTrail.Ledger.Canonical;

namespace PolicyTrail.Ledger.Entries;

/// <summary>Where rebuilding finds the templates an entry points at.</summary>
public interface IFragmentSource
{
    /// <summary>The template bytes of a fragment; throws <see cref="KeyNotFoundException"/> for an unknown id.</summary>
    ReadOnlySpan<byte> Get(uint id);
}

/// <summary>Turns JSON with placeholders into templates, and templates plus slot values back into canonical entry bytes.</summary>
public static class EntryTemplates
{
    private const int MaxDepth = 4;

    // "\u0001" as RFC 8785 writes it inside a string: the placeholder's first character.
    private static ReadOnlySpan<byte> EscapedMarker => "\"\\u0001"u8;

    /// <summary>
    /// Canonicalizes (RFC 8785) JSON whose slot values are <see cref="EntrySlots.Placeholder"/> strings and replaces
    /// each placeholder string with its three-byte marker.
    /// </summary>
    public static byte[] Compile(ReadOnlySpan<byte> json)
    {
        var canonical = JsonCanonicalizer.Canonicalize(json);
        var output = new ArrayBufferWriter<byte>(canonical.Length);
        ReadOnlySpan<byte> rest = canonical;
        while (true)
        {
            var at = rest.IndexOf(EscapedMarker);
            // A placeholder is exactly "\u0001XY": 10 bytes with its quotes.
            if (at < 0 || rest.Length - at < 10 || rest[at + 9] != (byte)'"')
            {
                if (at < 0)
                {
                    output.Write(rest);
                    return output.WrittenSpan.ToArray();
                }
                output.Write(rest[..(at + 1)]);
                rest = rest[(at + 1)..];
                continue;
            }
            output.Write(rest[..at]);
            output.Write([EntrySlots.Marker, rest[at + 7], rest[at + 8]]);
            rest = rest[(at + 10)..];
        }
    }

    /// <summary>The slot markers a template holds, in order, as (slot, parameter).</summary>
    public static IEnumerable<(char Slot, char Parameter)> Slots(byte[] template)
    {
        for (var i = Array.IndexOf(template, EntrySlots.Marker); i >= 0 && i + 2 < template.Length; i = Array.IndexOf(template, EntrySlots.Marker, i + 3))
        {
            yield return ((char)template[i + 1], (char)template[i + 2]);
        }
    }

    /// <summary>Writes the entry's canonical bytes: its template with every marker replaced by the row's value.</summary>
    public static void Rebuild(EntryRow row, IFragmentSource fragments, IBufferWriter<byte> output) =>
        Write(fragments.Get(row.Template), row, fragments, output, 0);

    /// <summary>The entry's canonical bytes as a new array.</summary>
    public static byte[] Rebuild(EntryRow row, IFragmentSource fragments)
    {
        var output = new ArrayBufferWriter<byte>(1024);
        Rebuild(row, fragments, output);
        return output.WrittenSpan.ToArray();
    }

    private static void Write(ReadOnlySpan<byte> template, EntryRow row, IFragmentSource fragments, IBufferWriter<byte> output, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidDataException("fragments nest deeper than entries do (a fragment refers back to itself?)");
        }
        while (true)
        {
            var at = template.IndexOf(EntrySlots.Marker);
            if (at < 0)
            {
                output.Write(template);
                return;
            }
            output.Write(template[..at]);
            if (template.Length - at < 3)
            {
                throw new InvalidDataException("template ends inside a slot marker");
            }
            var slot = (char)template[at + 1];
            var parameter = template[at + 2];
            template = template[(at + 3)..];
            switch (slot)
            {
                case EntrySlots.Index:
                    WriteNumber(output, row.Index);
                    break;
                case EntrySlots.Time:
                    WriteTime(output, row.Time, parameter);
                    break;
                case EntrySlots.ObservedAt:
                    WriteTime(output, row.ObservedAt, parameter);
                    break;
                case EntrySlots.WindowStart:
                    WriteTime(output, row.WindowStart, parameter);
                    break;
                case EntrySlots.WindowEnd:
                    WriteTime(output, row.WindowEnd, parameter);
                    break;
                case EntrySlots.SrcPort:
                    WriteNumber(output, row.SrcPort);
                    break;
                case EntrySlots.DstPort:
                    WriteNumber(output, row.DstPort);
                    break;
                case EntrySlots.Line:
                    WriteNumber(output, row.Line);
                    break;
                case EntrySlots.Count:
                    WriteNumber(output, row.Count);
                    break;
                case EntrySlots.Packets:
                    WriteNumber(output, row.Packets);
                    break;
                case EntrySlots.Bytes:
                    WriteNumber(output, row.Bytes);
                    break;
                case EntrySlots.Sha256:
                    WriteHex(output, row.Sha256);
                    break;
                case EntrySlots.SrcFragment:
                    WriteFragment(output, row.Src, row, fragments, depth);
                    break;
                case EntrySlots.DstFragment:
                    WriteFragment(output, row.Dst, row, fragments, depth);
                    break;
                case EntrySlots.IngressFragment:
                    WriteFragment(output, row.Ingress, row, fragments, depth);
                    break;
                case EntrySlots.EgressFragment:
                    WriteFragment(output, row.Egress, row, fragments, depth);
                    break;
                case EntrySlots.SourceFragment:
                    WriteFragment(output, row.SourceRef, row, fragments, depth);
                    break;
                case EntrySlots.Body:
                    output.Write(row.Body is { } body ? body : "null"u8);
                    break;
                default:
                    throw new InvalidDataException($"template holds an unknown slot '{slot}'");
            }
        }
    }

    private static void WriteFragment(IBufferWriter<byte> output, uint? id, EntryRow row, IFragmentSource fragments, int depth)
    {
        if (id is not { } fragment)
        {
            output.Write("null"u8);
            return;
        }
        Write(fragments.Get(fragment), row, fragments, output, depth + 1);
    }

    private static void WriteNumber(IBufferWriter<byte> output, long? value)
    {
        if (value is not { } v)
        {
            output.Write("null"u8);
            return;
        }
        var span = output.GetSpan(20);
        Utf8Formatter.TryFormat(v, span, out var written);
        output.Advance(written);
    }

    private static void WriteTime(IBufferWriter<byte> output, long? nanos, byte digitsChar)
    {
        if (nanos is not { } value)
        {
            output.Write("null"u8);
            return;
        }
        var digits = digitsChar is >= (byte)'0' and <= (byte)'9' ? (byte)(digitsChar - '0') : (byte)9;
        var span = output.GetSpan(Timestamp.MaxUtf8Length + 2);
        span[0] = (byte)'"';
        var written = new Timestamp(value, digits).FormatUtf8(span[1..]);
        span[written + 1] = (byte)'"';
        output.Advance(written + 2);
    }

    private static void WriteHex(IBufferWriter<byte> output, byte[]? bytes)
    {
        if (bytes is null)
        {
            output.Write("null"u8);
            return;
        }
        var span = output.GetSpan(bytes.Length * 2 + 2);
        span[0] = (byte)'"';
        Convert.TryToHexStringLower(bytes, span[1..], out var written);
        span[written + 1] = (byte)'"';
        output.Advance(written + 2);
    }
}
