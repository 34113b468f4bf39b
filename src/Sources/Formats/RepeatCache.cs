using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace PolicyTrail.Sources.Formats;

/// <summary>
/// Remembers byte runs that a parser read and checked whole (an endpoint object), with the value it built from each,
/// and finds the run that the input at a position repeats byte for byte. Identical bytes in the same place of the
/// grammar parse identically, so a repeat is taken without being read again: one probe and one comparison.
/// </summary>
/// <remarks>
/// Runs are found by a hint the caller knows before it reaches them (Hubble gives an endpoint's address before the
/// endpoint: the run of the pod at that address), or, without one, by their first <see cref="PrefixLength"/> bytes. The
/// hint only says where to look; the comparison of every byte decides. The table is flat (a key, an offset and a length
/// per slot, the runs back to back in one array), so a lookup waits on two cache lines at most, and
/// <see cref="Prefetch"/> lets the caller fetch them while it reads what comes before. Holds up to 2^bits runs and
/// starts afresh when full. Not thread-safe.
/// </remarks>
public sealed unsafe class RepeatCache<T>
{
    /// <summary>Without a hint, runs are found by this many leading bytes, and shorter runs are not kept.</summary>
    public const int PrefixLength = 32;

    // Slots a lookup walks from a key's home slot; runs with one key (an address whose endpoint changed) sit together.
    private const int MaxProbe = 8;

    [StructLayout(LayoutKind.Sequential)]
    private struct Slot
    {
        public ulong Key;   // never 0 in a used slot
        public int Offset;  // into the runs
        public int Length;  // 0: empty
    }

    private readonly Slot[] _slots;
    private readonly Slot* _slotBase;
    private readonly T[] _values;
    private readonly byte[] _runs;
    private readonly byte* _runBase;
    private readonly int _mask;
    private readonly int _capacity;
    private readonly int _maxRunBytes;
    private int _used;
    private int _count;

    /// <summary>A cache of up to 2^bits runs, each at most maxRunBytes long, averaging up to averageRunBytes.</summary>
    public RepeatCache(int bits = 14, int maxRunBytes = 4096, int averageRunBytes = 512)
    {
        _capacity = 1 << bits;
        _maxRunBytes = maxRunBytes;
        // Twice the slots the runs need, so probes stay short.
        _slots = GC.AllocateArray<Slot>(_capacity * 2, pinned: true);
        _slotBase = (Slot*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_slots));
        _mask = _capacity * 2 - 1;
        _values = new T[_capacity * 2];
        _runs = GC.AllocateUninitializedArray<byte>(Math.Max(_capacity * averageRunBytes, maxRunBytes), pinned: true);
        _runBase = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_runs));
    }

    /// <summary>Runs remembered since the cache last started afresh.</summary>
    public int Count => _count;

    /// <summary>A hint from bytes the caller read before the run (an address): never 0.</summary>
    public static ulong HintOf(ReadOnlySpan<byte> bytes) => ByteKeyComparer.Hash64(bytes) | 1;

    /// <summary>
    /// The remembered run that <paramref name="input"/> starts with, if any: its length and value. Only runs recorded
    /// at the same place of the grammar as <paramref name="input"/>'s may be looked up here, with the same hint (0 for
    /// none).
    /// </summary>
    public bool TryMatch(ReadOnlySpan<byte> input, ulong hint, out int length, out T value)
    {
        var key = KeyOf(input, hint);
        if (key != 0)
        {
            var i = Home(key);
            for (var probe = 0; probe < MaxProbe; probe++, i = (i + 1) & _mask)
            {
                ref var slot = ref _slotBase[i];
                if (slot.Length == 0)
                {
                    break;
                }
                if (slot.Key == key && slot.Length <= input.Length
                    && input[..slot.Length].SequenceEqual(new ReadOnlySpan<byte>(_runBase + slot.Offset, slot.Length)))
                {
                    length = slot.Length;
                    value = _values[i];
                    return true;
                }
            }
        }
        length = 0;
        value = default!;
        return false;
    }

    /// <summary>
    /// Asks the CPU for the home slot of <paramref name="hint"/>'s runs and, with <paramref name="run"/> (once the slot
    /// was asked for a little earlier), for the start of its run and its value: a lookup with this hint a little later
    /// then finds them in the cache.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(ulong hint, bool run)
    {
        if (!Sse.IsSupported || hint == 0)
        {
            return;
        }
        var i = Home(KeyOf([], hint));
        var slot = _slotBase + i;
        Sse.Prefetch0(slot);
        if (run && slot->Length != 0)
        {
            Sse.Prefetch0(_runBase + slot->Offset);
            Sse.Prefetch0(_runBase + slot->Offset + 64);
            Sse.Prefetch0(Unsafe.AsPointer(ref _values[i]));
        }
    }

    /// <summary>Remembers a run read and checked whole, with its value (runs too short or too long are not kept).</summary>
    public void Add(ReadOnlySpan<byte> bytes, ulong hint, T value)
    {
        var key = KeyOf(bytes, hint);
        if (key == 0 || bytes.Length > _maxRunBytes)
        {
            return;
        }
        if (_count >= _capacity || _used + bytes.Length > _runs.Length)
        {
            Clear();
        }
        var home = Home(key);
        var target = -1;
        for (int probe = 0, i = home; probe < MaxProbe; probe++, i = (i + 1) & _mask)
        {
            ref var slot = ref _slotBase[i];
            if (slot.Length == 0)
            {
                target = i;
                break;
            }
            if (slot.Key == key && bytes.SequenceEqual(new ReadOnlySpan<byte>(_runBase + slot.Offset, slot.Length)))
            {
                return;
            }
        }
        // Every slot within reach is taken: the home slot's run gives way (its bytes stay until the cache starts afresh).
        target = target < 0 ? home : target;
        bytes.CopyTo(new Span<byte>(_runBase + _used, bytes.Length));
        _slotBase[target] = new Slot { Key = key, Offset = _used, Length = bytes.Length };
        _values[target] = value;
        _used += bytes.Length;
        _count++;
    }

    private void Clear()
    {
        Array.Clear(_slots);
        Array.Clear(_values);
        _used = 0;
        _count = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(ulong key) => unchecked((int)(key >> 32)) & _mask;

    // The key a run is kept under: its hint, or its first bytes; 0 when it has neither (too short to be kept).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong KeyOf(ReadOnlySpan<byte> input, ulong hint) =>
        hint != 0 ? Mix(hint) : input.Length >= PrefixLength ? Mix(ByteKeyComparer.Hash64(input[..PrefixLength]) | 2) : 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong value)
    {
        unchecked
        {
            value = (value ^ (value >> 31)) * 0x9E3779B97F4A7C15;
            return (value ^ (value >> 29)) | 1;
        }
    }
}
