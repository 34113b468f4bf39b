using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace PolicyTrail.Ledger.Entries;

/// <summary>
/// A fixed set of fragments laid out for rebuilding many entries: each fragment's marker offsets and text lie together in
/// one pinned array, so that a fragment is one run of memory (one prefetch brings it in) instead of four objects.
/// Rebuilding 10M entries reads fragments at random from a few megabytes; waiting on memory was most of its cost.
/// </summary>
public sealed unsafe class PackedFragments : IFragmentSource
{
    // Where each fragment's record starts (4-byte aligned); the record: marker count, text length, the markers, the text.
    private readonly int[] _starts;
    // Fragments are a few hundred bytes: the first 512 of each are asked for (in a measured sweep of 64..512 bytes and
    // 1..16 rows ahead, whole fragments one row ahead did best).
    private const int PrefetchBytes = 512;
    private readonly byte[] _data;
    // The pinned array's first byte: it never moves.
    private readonly byte* _base;

    private PackedFragments(FragmentTable table, int length)
    {
        _starts = new int[table.Count];
        _data = GC.AllocateArray<byte>(length, pinned: true);
        _base = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_data));
        var at = 0;
        for (var id = 0; id < table.Count; id++)
        {
            var text = table.Get((uint)id, out var markers);
            _starts[id] = at;
            var record = _data.AsSpan(at);
            MemoryMarshal.Write(record, markers.Length);
            MemoryMarshal.Write(record[4..], text.Length);
            markers.CopyTo(MemoryMarshal.Cast<byte, int>(record[8..]));
            text.CopyTo(record[(8 + markers.Length * 4)..]);
            at += RecordSize(text.Length, markers.Length);
        }
    }

    /// <summary>The table's fragments packed; the table itself when they would not fit in one array.</summary>
    public static IFragmentSource Of(FragmentTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        long length = 0;
        for (var id = 0; id < table.Count; id++)
        {
            var text = table.Get((uint)id, out var markers);
            length += RecordSize(text.Length, markers.Length);
        }
        return length <= Array.MaxLength ? new PackedFragments(table, (int)length) : table;
    }

    private static int RecordSize(int text, int markers) => (8 + markers * 4 + text + 3) & ~3;

    /// <inheritdoc />
    public ReadOnlySpan<byte> Get(uint id) => Get(id, out _);

    /// <inheritdoc />
    public ReadOnlySpan<byte> Get(uint id, out ReadOnlySpan<int> markers)
    {
        if (id >= (uint)_starts.Length)
        {
            throw new KeyNotFoundException($"fragment {id} does not exist (the store has {_starts.Length})");
        }
        var record = _data.AsSpan(_starts[id]);
        var count = MemoryMarshal.Read<int>(record);
        var length = MemoryMarshal.Read<int>(record[4..]);
        markers = MemoryMarshal.Cast<byte, int>(record.Slice(8, count * 4));
        return record.Slice(8 + count * 4, length);
    }

    /// <inheritdoc />
    public void Prefetch(uint id)
    {
        if (!Sse.IsSupported || id >= (uint)_starts.Length)
        {
            return;
        }
        var start = _starts[id];
        var end = Math.Min(id + 1 < (uint)_starts.Length ? _starts[id + 1] : _data.Length, start + PrefetchBytes);
        for (var at = start; at < end; at += 64)
        {
            Sse.Prefetch0(_base + at);
        }
    }
}
