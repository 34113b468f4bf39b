namespace PolicyTrail.Identity.History;

/// <summary>
/// When something held (an address, a version): certainly in [<see cref="CertainStart"/>, <see cref="CertainEnd"/>),
/// possibly in [<see cref="PossibleStart"/>, <see cref="PossibleEnd"/>). The two differ where a change was observed
/// only within a window (NotBefore, Time]: before it the old state certainly held, at its end the new one.
/// </summary>
internal readonly record struct Interval(long PossibleStart, long CertainStart, long CertainEnd, long PossibleEnd)
{
    public static Interval Open(long start, long? startNotBefore) =>
        new(startNotBefore is { } nb && nb < start ? nb + 1 : start, start, long.MaxValue, long.MaxValue);

    public bool Possibly(long t) => PossibleStart <= t && t < PossibleEnd;

    public bool Certainly(long t) => CertainStart <= t && t < CertainEnd;

    public bool IsOpen => PossibleEnd == long.MaxValue;

    /// <summary>Ends the interval at a change observed at <paramref name="time"/>, exactly or within (notBefore, time].</summary>
    public Interval Close(long time, long? notBefore)
    {
        var possibleEnd = Math.Max(time, PossibleStart);
        var certainEnd = notBefore is { } nb && nb < time ? nb + 1 : time;
        certainEnd = Math.Min(Math.Max(certainEnd, CertainStart), possibleEnd);
        return this with { CertainEnd = certainEnd, PossibleEnd = possibleEnd };
    }
}

/// <summary>
/// Intervals keyed by address, built once and then read by many threads: per address, the intervals sorted by start
/// with a running maximum of their ends, so the ones that contain an instant are found by one hash probe, one binary
/// search and a short walk back (O(log n + k), k the overlapping ones). Laid out for few cache misses: an
/// open-addressing table of (address, first, count) and one array of (interval, running end, value) entries.
/// </summary>
internal sealed class AddressIntervals<T>
{
    private readonly Slot[] _slots;
    private readonly int _shift;
    private readonly Entry[] _entries;

    public AddressIntervals(List<(UInt128 Key, Interval Interval, T Value)> items)
    {
        items.Sort((a, b) => a.Key != b.Key ? a.Key.CompareTo(b.Key) : a.Interval.PossibleStart.CompareTo(b.Interval.PossibleStart));
        _entries = new Entry[items.Count];
        var keys = 0;
        for (var i = 0; i < items.Count; i++)
        {
            var (key, interval, value) = items[i];
            var sameKey = i > 0 && items[i - 1].Key == key;
            _entries[i] = new Entry(interval, sameKey ? Math.Max(_entries[i - 1].MaxEnd, interval.PossibleEnd) : interval.PossibleEnd, value);
            keys += sameKey ? 0 : 1;
        }
        // At most half full, so probes stay short.
        var bits = Math.Max(4, 64 - (int)ulong.LeadingZeroCount((ulong)Math.Max(1, keys * 2 - 1)));
        _shift = 64 - bits;
        _slots = new Slot[1 << bits];
        for (var i = 0; i < items.Count;)
        {
            var key = items[i].Key;
            var first = i;
            while (i < items.Count && items[i].Key == key)
            {
                i++;
            }
            var s = Home(key);
            while (_slots[s].Count != 0)
            {
                s = (s + 1) & (_slots.Length - 1);
            }
            _slots[s] = new Slot(key, first, i - first);
        }
    }

    public int Count => _entries.Length;

    public Interval IntervalAt(int index) => _entries[index].Interval;

    public T ValueAt(int index) => _entries[index].Value;

    /// <summary>
    /// Writes the indexes of the intervals of <paramref name="key"/> that possibly contain <paramref name="t"/> into
    /// <paramref name="found"/> (as many as fit) and returns how many there are.
    /// </summary>
    public int Find(UInt128 key, long t, Span<int> found)
    {
        var slots = _slots;
        var s = Home(key);
        while (true)
        {
            ref readonly var slot = ref slots[s];
            if (slot.Count == 0)
            {
                return 0;
            }
            if (slot.Key == key)
            {
                return Find(slot.First, slot.Count, t, found);
            }
            s = (s + 1) & (slots.Length - 1);
        }
    }

    private int Find(int start, int length, long t, Span<int> found)
    {
        var entries = _entries;
        // The last interval that starts at or before t.
        int lo = start, hi = start + length - 1, last = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (entries[mid].Interval.PossibleStart <= t)
            {
                last = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        var count = 0;
        for (var i = last; i >= start && entries[i].MaxEnd > t; i--)
        {
            if (entries[i].Interval.PossibleEnd > t)
            {
                if (count < found.Length)
                {
                    found[count] = i;
                }
                count++;
            }
        }
        return count;
    }

    // Fibonacci hashing of both halves; wrapping multiplication is the point, hence unchecked.
    private int Home(UInt128 key) =>
        unchecked((int)((((ulong)key ^ (ulong)(key >> 64)) * 0x9E3779B97F4A7C15UL) >> _shift));

    private readonly record struct Slot(UInt128 Key, int First, int Count);

    private readonly record struct Entry(Interval Interval, long MaxEnd, T Value);
}
