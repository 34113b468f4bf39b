using System.Text;

namespace PolicyTrail.Sources.Formats;

/// <summary>
/// A small, bounded cache from UTF-8 byte strings to values built from them (strings, addresses, parsed endpoint
/// objects). Flow logs repeat the same names, addresses and endpoint descriptions on line after line; decoding each
/// once saves most of a parser's allocations. Direct-mapped: a collision simply replaces the slot. Not thread-safe.
/// </summary>
public sealed class Utf8Cache<T>
{
    private readonly Entry[] _entries;
    private readonly int _mask;
    private readonly int _maxKeyBytes;

    /// <summary>A cache of 2^bits slots for keys up to maxKeyBytes long (longer keys are built every time).</summary>
    public Utf8Cache(int bits = 12, int maxKeyBytes = 1024)
    {
        _entries = new Entry[1 << bits];
        _mask = (1 << bits) - 1;
        _maxKeyBytes = maxKeyBytes;
    }

    /// <summary>The cached value for these bytes, or the one <paramref name="create"/> builds (and remembers).</summary>
    public T Get(ReadOnlySpan<byte> key, Func<ReadOnlySpan<byte>, T> create)
    {
        if (key.Length > _maxKeyBytes)
        {
            return create(key);
        }
        ref var entry = ref _entries[Hash(key) & _mask];
        if (entry.Key is not null && key.SequenceEqual(entry.Key))
        {
            return entry.Value;
        }
        var value = create(key);
        entry = new Entry(key.ToArray(), value);
        return value;
    }

    private static int Hash(ReadOnlySpan<byte> key)
    {
        var hash = new HashCode();
        hash.AddBytes(key);
        return hash.ToHashCode();
    }

    private readonly record struct Entry(byte[]? Key, T Value);
}

/// <summary>A <see cref="Utf8Cache{T}"/> of decoded strings.</summary>
public sealed class Utf8StringCache
{
    private static readonly Func<ReadOnlySpan<byte>, string> Decode = bytes => Encoding.UTF8.GetString(bytes);
    private readonly Utf8Cache<string> _cache = new(bits: 12, maxKeyBytes: 256);

    /// <summary>The string these UTF-8 bytes spell.</summary>
    public string Get(ReadOnlySpan<byte> utf8) => _cache.Get(utf8, Decode);
}
