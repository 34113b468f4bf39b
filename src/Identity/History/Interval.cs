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
/// with a running maximum of their ends, so the ones that contain an instant are found by one binary search and a
/// short walk back (O(log n + k), k the overlapping ones).
/// </summary>
internal sealed class AddressIntervals<T>
{
    private readonly Dictionary<UInt128, (int Start, int Count)> _ranges;
    private readonly Interval[] _intervals;
    private readonly long[] _maxEnd;
    private readonly T[] _values;

    public AddressIntervals(List<(UInt128 Key, Interval Interval, T Value)> items)
    {
        items.Sort((a, b) => a.Key != b.Key ? a.Key.CompareTo(b.Key) : a.Interval.PossibleStart.CompareTo(b.Interval.PossibleStart));
        _ranges = new Dictionary<UInt128, (int, int)>(items.Count);
        _intervals = new Interval[items.Count];
        _maxEnd = new long[items.Count];
        _values = new T[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var (key, interval, value) = items[i];
            _intervals[i] = interval;
            _values[i] = value;
            if (i > 0 && items[i - 1].Key == key)
            {
                _maxEnd[i] = Math.Max(_maxEnd[i - 1], interval.PossibleEnd);
                var range = _ranges[key];
                _ranges[key] = (range.Start, range.Count + 1);
            }
            else
            {
                _maxEnd[i] = interval.PossibleEnd;
                _ranges[key] = (i, 1);
            }
        }
    }

    public int Count => _intervals.Length;

    public Interval IntervalAt(int index) => _intervals[index];

    public T ValueAt(int index) => _values[index];

    /// <summary>
    /// Writes the indexes of the intervals of <paramref name="key"/> that possibly contain <paramref name="t"/> into
    /// <paramref name="found"/> (as many as fit) and returns how many there are.
    /// </summary>
    public int Find(UInt128 key, long t, Span<int> found)
    {
        if (!_ranges.TryGetValue(key, out var range))
        {
            return 0;
        }
        // The last interval that starts at or before t.
        int lo = range.Start, hi = range.Start + range.Count - 1, last = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_intervals[mid].PossibleStart <= t)
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
        for (var i = last; i >= range.Start && _maxEnd[i] > t; i--)
        {
            if (_intervals[i].PossibleEnd > t)
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
}
