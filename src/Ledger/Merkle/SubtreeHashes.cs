using System.Numerics;

namespace PolicyTrail.Ledger.Merkle;

/// <summary>Hashes of ranges of a log's leaves, the one thing proof generation needs from the log.</summary>
public interface ISubtreeHashes
{
    /// <summary>RFC 6962 MTH of the leaves with indexes in [<paramref name="start"/>, <paramref name="end"/>), end &gt; start.</summary>
    byte[] Hash(long start, long end);
}

/// <summary>Subtree hashes over a leaf-hash accessor, caching every perfect aligned subtree of height ≥ <see cref="MinCachedHeight"/>.</summary>
/// <remarks>
/// Proofs only ever ask for MTH of ranges that split into perfect, aligned subtrees (2^h leaves starting at a multiple of 2^h),
/// so those are what is cached. Cost: the first proof over n leaves reads every leaf once and hashes O(n); each later proof
/// costs O(log n) cache look-ups plus at most O(log n · 2^MinCachedHeight) hashing for the uncached small subtrees.
/// Memory: about 2n / 2^MinCachedHeight hashes (with the default 6, ~1 MB per million leaves). Not thread-safe.
/// </remarks>
internal sealed class CachedSubtreeHashes : ISubtreeHashes
{
    /// <summary>Default smallest cached height: recomputing 64 leaves is cheap, caching them all would cost 32 bytes per leaf.</summary>
    public const int DefaultMinCachedHeight = 6;

    private readonly Func<long, byte[]> _leafAt;
    private readonly Dictionary<(int Height, long Index), byte[]> _cache = [];

    /// <summary>Creates the cache over <paramref name="leafAt"/>, which returns the leaf hash at an index.</summary>
    public CachedSubtreeHashes(Func<long, byte[]> leafAt, int minCachedHeight = DefaultMinCachedHeight)
    {
        ArgumentNullException.ThrowIfNull(leafAt);
        ArgumentOutOfRangeException.ThrowIfNegative(minCachedHeight);
        _leafAt = leafAt;
        MinCachedHeight = minCachedHeight;
    }

    /// <summary>Height of the smallest subtree kept in the cache.</summary>
    public int MinCachedHeight { get; }

    /// <summary>Number of subtree hashes held.</summary>
    public int CachedCount => _cache.Count;

    /// <inheritdoc />
    public byte[] Hash(long start, long end)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(end, start);
        var n = end - start;
        if ((n & (n - 1)) == 0 && start % n == 0)
        {
            return Perfect(BitOperations.Log2((ulong)n), start / n);
        }
        var k = MerkleProofs.LargestPowerOfTwoBelow(n);
        return MerkleHash.Node(Hash(start, start + k), Hash(start + k, end));
    }

    private byte[] Perfect(int height, long index)
    {
        if (height == 0)
        {
            var leaf = _leafAt(index);
            if (leaf is not { Length: MerkleHash.Size })
            {
                throw new InvalidOperationException($"leaf hash {index} is not a {MerkleHash.Size}-byte hash");
            }
            return leaf;
        }
        if (_cache.TryGetValue((height, index), out var cached))
        {
            return cached;
        }
        var hash = MerkleHash.Node(Perfect(height - 1, 2 * index), Perfect(height - 1, 2 * index + 1));
        if (height >= MinCachedHeight)
        {
            _cache[(height, index)] = hash;
        }
        return hash;
    }
}
