using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using PolicyTrail.Core.Flows;
using PolicyTrail.Ledger.Canonical;

namespace PolicyTrail.Ledger.Entries;

/// <summary>Where rebuilding finds the templates an entry points at.</summary>
public interface IFragmentSource
{
    /// <summary>The template bytes of a fragment; throws <see cref="KeyNotFoundException"/> for an unknown id.</summary>
    ReadOnlySpan<byte> Get(uint id);

    /// <summary>
    /// The template bytes of a fragment and where its slot markers start (<see cref="EntryTemplates.FindMarkers"/>, found
    /// once when the fragment is added, so that rebuilding does not search for them); throws like <see cref="Get(uint)"/>.
    /// </summary>
    ReadOnlySpan<byte> Get(uint id, out ReadOnlySpan<int> markers);

    /// <summary>Asks the CPU to start loading a fragment's bytes, for a rebuild soon after; does nothing by default.</summary>
    void Prefetch(uint id)
    {
    }

    /// <summary>
    /// Asks the CPU for what <see cref="Prefetch"/> will read to find a fragment's bytes, a step before it, where
    /// finding them takes a load of its own; does nothing by default.
    /// </summary>
    void PrefetchSlot(uint id)
    {
    }
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
    public static IEnumerable<(char Slot, char Parameter)> Slots(byte[] template) =>
        FindMarkers(template).Where(at => at + 2 < template.Length).Select(at => ((char)template[at + 1], (char)template[at + 2]));

    /// <summary>Where a template's slot markers start, in order (each marker is three bytes; scanning resumes after it).</summary>
    public static int[] FindMarkers(ReadOnlySpan<byte> template)
    {
        var markers = new List<int>();
        for (var at = template.IndexOf(EntrySlots.Marker); at >= 0;)
        {
            markers.Add(at);
            if (template.Length - at <= 3)
            {
                break;
            }
            var next = template[(at + 3)..].IndexOf(EntrySlots.Marker);
            at = next < 0 ? -1 : at + 3 + next;
        }
        return [.. markers];
    }

    /// <summary>Writes the entry's canonical bytes: its template with every marker replaced by the row's value.</summary>
    public static void Rebuild(EntryRow row, IFragmentSource fragments, IBufferWriter<byte> output) =>
        output.Write(Build(row, fragments, prefix: false));

    /// <summary>The entry's canonical bytes as a new array.</summary>
    public static byte[] Rebuild(EntryRow row, IFragmentSource fragments) => Build(row, fragments, prefix: false).ToArray();

    /// <summary>
    /// What the entry's Merkle leaf hashes: 0x00 and then its canonical bytes. The span is this thread's scratch, good
    /// until the thread rebuilds again.
    /// </summary>
    public static ReadOnlySpan<byte> LeafInput(EntryRow row, IFragmentSource fragments) => Build(row, fragments, prefix: true);

    /// <summary>
    /// Starts loading the fragments a row's rebuild reads: a caller that rebuilds many rows calls it a row or two ahead,
    /// so that the fragments' first reads do not each wait on memory.
    /// </summary>
    /// <remarks>Root templates and source references are few and stay in the CPU's caches: only the endpoint and decision
    /// fragments, thousands of them read at random, are asked for.</remarks>
    public static void Prefetch(EntryRow row, IFragmentSource fragments) => Prefetch(row, fragments, slots: false);

    /// <summary>Asks the CPU for the row object itself (its fields name the fragments), a step before the rest.</summary>
    public static unsafe void PrefetchRow(EntryRow row)
    {
        if (Sse.IsSupported)
        {
            // The row's first field; were the object moved meanwhile, the prefetch only costs a cache line.
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.As<StrongBox<byte>>(row).Value));
        }
    }

    /// <summary>The step before <see cref="Prefetch(EntryRow, IFragmentSource)"/>: <see cref="IFragmentSource.PrefetchSlot"/> of the same fragments.</summary>
    public static void PrefetchSlots(EntryRow row, IFragmentSource fragments) => Prefetch(row, fragments, slots: true);

    private static void Prefetch(EntryRow row, IFragmentSource fragments, bool slots)
    {
        foreach (var id in (Span<uint?>)[row.Src, row.Dst, row.Ingress, row.Egress])
        {
            if (id is not { } fragment)
            {
                continue;
            }
            if (slots)
            {
                fragments.PrefetchSlot(fragment);
            }
            else
            {
                fragments.Prefetch(fragment);
            }
        }
    }

    [ThreadStatic]
    private static byte[]? t_scratch;

    private static ReadOnlySpan<byte> Build(EntryRow row, IFragmentSource fragments, bool prefix)
    {
        var output = new Output(t_scratch ?? new byte[4096]);
        if (prefix)
        {
            output.Take(1)[0] = 0;
            output.Advance(1);
        }
        try
        {
            Write(row.Template, row, fragments, ref output, 0);
        }
        finally
        {
            // A rare huge entry (a cluster change's body) does not keep its buffer for the thread's life.
            t_scratch = output.Bytes.Length <= 1 << 20 ? output.Bytes : null;
        }
        return output.Bytes.AsSpan(0, output.Length);
    }

    // The bytes written so far into a growable array; not an IBufferWriter, so that each write is a plain call.
    private ref struct Output(byte[] bytes)
    {
        public byte[] Bytes = bytes;
        public int Length;

        public Span<byte> Take(int size)
        {
            if (Bytes.Length - Length < size)
            {
                Array.Resize(ref Bytes, Math.Max(Bytes.Length * 2, Length + size));
            }
            return Bytes.AsSpan(Length);
        }

        public void Advance(int count) => Length += count;

        public void Write(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(Take(bytes.Length));
            Length += bytes.Length;
        }
    }

    private static void Write(uint id, EntryRow row, IFragmentSource fragments, ref Output output, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidDataException("fragments nest deeper than entries do (a fragment refers back to itself?)");
        }
        var template = fragments.Get(id, out var markers);
        var from = 0;
        foreach (var at in markers)
        {
            output.Write(template[from..at]);
            if (template.Length - at < 3)
            {
                throw new InvalidDataException("template ends inside a slot marker");
            }
            var slot = (char)template[at + 1];
            var parameter = template[at + 2];
            from = at + 3;
            switch (slot)
            {
                case EntrySlots.Index:
                    WriteNumber(ref output, row.Index);
                    break;
                case EntrySlots.Time:
                    WriteTime(ref output, row.Time, parameter);
                    break;
                case EntrySlots.ObservedAt:
                    WriteTime(ref output, row.ObservedAt, parameter);
                    break;
                case EntrySlots.WindowStart:
                    WriteTime(ref output, row.WindowStart, parameter);
                    break;
                case EntrySlots.WindowEnd:
                    WriteTime(ref output, row.WindowEnd, parameter);
                    break;
                case EntrySlots.SrcPort:
                    WriteNumber(ref output, row.SrcPort);
                    break;
                case EntrySlots.DstPort:
                    WriteNumber(ref output, row.DstPort);
                    break;
                case EntrySlots.Line:
                    WriteNumber(ref output, row.Line);
                    break;
                case EntrySlots.Count:
                    WriteNumber(ref output, row.Count);
                    break;
                case EntrySlots.Packets:
                    WriteNumber(ref output, row.Packets);
                    break;
                case EntrySlots.Bytes:
                    WriteNumber(ref output, row.Bytes);
                    break;
                case EntrySlots.Sha256:
                    WriteHex(ref output, row.Sha256);
                    break;
                case EntrySlots.SrcFragment:
                    WriteFragment(ref output, row.Src, row, fragments, depth);
                    break;
                case EntrySlots.DstFragment:
                    WriteFragment(ref output, row.Dst, row, fragments, depth);
                    break;
                case EntrySlots.IngressFragment:
                    WriteFragment(ref output, row.Ingress, row, fragments, depth);
                    break;
                case EntrySlots.EgressFragment:
                    WriteFragment(ref output, row.Egress, row, fragments, depth);
                    break;
                case EntrySlots.SourceFragment:
                    WriteFragment(ref output, row.SourceRef, row, fragments, depth);
                    break;
                case EntrySlots.Body:
                    output.Write(row.Body is { } body ? body : "null"u8);
                    break;
                default:
                    throw new InvalidDataException($"template holds an unknown slot '{slot}'");
            }
        }
        output.Write(template[from..]);
    }

    private static void WriteFragment(ref Output output, uint? id, EntryRow row, IFragmentSource fragments, int depth)
    {
        if (id is not { } fragment)
        {
            output.Write("null"u8);
            return;
        }
        Write(fragment, row, fragments, ref output, depth + 1);
    }

    private static void WriteNumber(ref Output output, long? value)
    {
        if (value is not { } v)
        {
            output.Write("null"u8);
            return;
        }
        Utf8Formatter.TryFormat(v, output.Take(20), out var written);
        output.Advance(written);
    }

    private static void WriteTime(ref Output output, long? nanos, byte digitsChar)
    {
        if (nanos is not { } value)
        {
            output.Write("null"u8);
            return;
        }
        var digits = digitsChar is >= (byte)'0' and <= (byte)'9' ? (byte)(digitsChar - '0') : (byte)9;
        var span = output.Take(Timestamp.MaxUtf8Length + 2);
        span[0] = (byte)'"';
        var written = new Timestamp(value, digits).FormatUtf8(span[1..]);
        span[written + 1] = (byte)'"';
        output.Advance(written + 2);
    }

    private static void WriteHex(ref Output output, byte[]? bytes)
    {
        if (bytes is null)
        {
            output.Write("null"u8);
            return;
        }
        var span = output.Take(bytes.Length * 2 + 2);
        span[0] = (byte)'"';
        Convert.TryToHexStringLower(bytes, span[1..], out var written);
        span[written + 1] = (byte)'"';
        output.Advance(written + 2);
    }
}
