using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace PolicyTrail.Sources.Formats;

/// <summary>
/// A small, bounded cache from UTF-8 byte strings to values built from them (strings, addresses, parsed endpoint
/// objects). Flow logs repeat the same names, addresses and endpoint descriptions on line after line; decoding each
/// once saves most of a parser's allocations. Holds up to 2^bits keys and starts afresh when full. Not thread-safe.
/// </summary>
/// <remarks>
/// A dictionary looked up by span rather than a direct-mapped array: with a few thousand pods, a direct-mapped table
/// lost a key to a collision often enough that the misses (each one allocating) cost more than the lookups.
/// </remarks>
public sealed class Utf8Cache<T>
{
    private readonly Dictionary<byte[], T> _entries;
    private readonly Dictionary<byte[], T>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly int _capacity;
    private readonly int _maxKeyBytes;

    /// <summary>A cache of up to 2^bits keys, each up to maxKeyBytes long (longer keys are built every time).</summary>
    public Utf8Cache(int bits = 12, int maxKeyBytes = 1024)
    {
        _capacity = 1 << bits;
        _maxKeyBytes = maxKeyBytes;
        _entries = new Dictionary<byte[], T>(ByteKeyComparer.Instance);
        _lookup = _entries.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>The value remembered for these bytes, if any.</summary>
    public bool TryGet(ReadOnlySpan<byte> key, out T value)
    {
        if (key.Length > _maxKeyBytes)
        {
            value = default!;
            return false;
        }
        return _lookup.TryGetValue(key, out value!);
    }

    /// <summary>Remembers a value for these bytes (a key longer than the limit is not kept).</summary>
    public void Add(ReadOnlySpan<byte> key, T value)
    {
        if (key.Length > _maxKeyBytes)
        {
            return;
        }
        if (_entries.Count >= _capacity)
        {
            _entries.Clear();
        }
        _entries[key.ToArray()] = value;
    }

    /// <summary>The cached value for these bytes, or the one <paramref name="create"/> builds (and remembers).</summary>
    public T Get(ReadOnlySpan<byte> key, Func<ReadOnlySpan<byte>, T> create)
    {
        if (key.Length > _maxKeyBytes)
        {
            return create(key);
        }
        if (_lookup.TryGetValue(key, out var value))
        {
            return value;
        }
        value = create(key);
        if (_entries.Count >= _capacity)
        {
            _entries.Clear();
        }
        _entries[key.ToArray()] = value;
        return value;
    }
}

/// <summary>Ordinal equality of byte strings, by array or by span, with a hash that reads eight bytes at a time.</summary>
internal sealed class ByteKeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static readonly ByteKeyComparer Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] key) => Hash(key);

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();

    private static int Hash(ReadOnlySpan<byte> key)
    {
        var hash = Hash64(key);
        return unchecked((int)(hash ^ (hash >> 32)));
    }

    /// <summary>A 64-bit hash of the bytes, eight at a time.</summary>
    internal static ulong Hash64(ReadOnlySpan<byte> key)
    {
        // Not adversary-proof, and need not be: a collision costs a comparison, and the caches are bounded.
        const ulong Multiplier = 0x9E3779B97F4A7C15;
        unchecked
        {
            var hash = (ulong)key.Length * Multiplier;
            while (key.Length >= 8)
            {
                hash = BitOperations.RotateLeft((hash ^ BinaryPrimitives.ReadUInt64LittleEndian(key)) * Multiplier, 29);
                key = key[8..];
            }
            if (key.Length >= 4)
            {
                hash = BitOperations.RotateLeft((hash ^ BinaryPrimitives.ReadUInt32LittleEndian(key)) * Multiplier, 29);
                key = key[4..];
            }
            foreach (var b in key)
            {
                hash = BitOperations.RotateLeft((hash ^ b) * Multiplier, 29);
            }
            return hash;
        }
    }
}

/// <summary>A <see cref="Utf8Cache{T}"/> of decoded strings.</summary>
public sealed class Utf8StringCache
{
    private static readonly Func<ReadOnlySpan<byte>, string> Decode = bytes => Encoding.UTF8.GetString(bytes);
    private readonly Utf8Cache<string> _cache;

    /// <summary>A cache of up to 2^bits strings.</summary>
    public Utf8StringCache(int bits = 12) => _cache = new(bits, maxKeyBytes: 256);

    /// <summary>The string these UTF-8 bytes spell.</summary>
    public string Get(ReadOnlySpan<byte> utf8) => _cache.Get(utf8, Decode);
}
