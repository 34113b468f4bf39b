namespace PolicyTrail.Sources.Formats;

/// <summary>
/// Remembers byte runs that a parser read and checked whole (an endpoint object, from its first field it reads to its
/// closing brace), with the value it built from each, and finds the run that the input at a position repeats byte for
/// byte. Identical bytes in the same place of the grammar parse identically, so a repeat is taken without being read
/// again: one hash of its first <see cref="PrefixLength"/> bytes and one comparison. Holds up to 2^bits runs and
/// starts afresh when full. Not thread-safe.
/// </summary>
public sealed class RepeatCache<T>
{
    /// <summary>Runs are found by this many leading bytes; shorter runs are not kept.</summary>
    public const int PrefixLength = 32;

    // Runs that share a prefix are kept in a short chain, newest first.
    private const int MaxChain = 8;

    private readonly Dictionary<byte[], Run> _byPrefix;
    private readonly Dictionary<byte[], Run>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly int _capacity;
    private readonly int _maxRunBytes;
    private int _count;

    /// <summary>A cache of up to 2^bits runs, each at most maxRunBytes long.</summary>
    public RepeatCache(int bits = 14, int maxRunBytes = 4096)
    {
        _capacity = 1 << bits;
        _maxRunBytes = maxRunBytes;
        _byPrefix = new Dictionary<byte[], Run>(ByteKeyComparer.Instance);
        _lookup = _byPrefix.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>
    /// The remembered run that <paramref name="input"/> starts with, if any: its length and value. Only runs recorded
    /// at the same place of the grammar as <paramref name="input"/>'s may be looked up here.
    /// </summary>
    public bool TryMatch(ReadOnlySpan<byte> input, out int length, out T value)
    {
        if (input.Length >= PrefixLength && _lookup.TryGetValue(input[..PrefixLength], out var run))
        {
            for (; run is not null; run = run.Next)
            {
                if (input.StartsWith(run.Bytes))
                {
                    length = run.Bytes.Length;
                    value = run.Value;
                    return true;
                }
            }
        }
        length = 0;
        value = default!;
        return false;
    }

    /// <summary>Remembers a run read and checked whole, with its value (runs too short or too long are not kept).</summary>
    public void Add(ReadOnlySpan<byte> bytes, T value)
    {
        if (bytes.Length < PrefixLength || bytes.Length > _maxRunBytes)
        {
            return;
        }
        if (_count >= _capacity)
        {
            _byPrefix.Clear();
            _count = 0;
        }
        var prefix = bytes[..PrefixLength];
        _lookup.TryGetValue(prefix, out var head);
        var depth = 0;
        for (var run = head; run is not null; run = run.Next)
        {
            if (run.Bytes.AsSpan().SequenceEqual(bytes))
            {
                return;
            }
            if (++depth == MaxChain - 1)
            {
                run.Next = null;
            }
        }
        _lookup[prefix] = new Run(bytes.ToArray(), value, head);
        _count++;
    }

    private sealed class Run(byte[] bytes, T value, Run? next)
    {
        public readonly byte[] Bytes = bytes;
        public readonly T Value = value;
        public Run? Next = next;
    }
}
