using PolicyTrail.Ledger.Merkle;
using PolicyTrail.Ledger.Writing;

namespace PolicyTrail.Ledger.Verification;

/// <summary>
/// Subtree hashes of a log from the roots of its complete 1,024-entry chunks plus, for the ranges inside a chunk, the
/// leaves read on demand: proofs need O(log n) of them, so proving never rehashes the whole log.
/// </summary>
public sealed class ChunkedTree(IReadOnlyList<byte[]> chunkRoots, Func<long, long, IReadOnlyList<byte[]>> leavesOf) : ISubtreeHashes
{
    private const long ChunkSize = 1L << LedgerWriter.SubtreeHeight;
    private readonly Dictionary<(long Start, long End), byte[]> _cache = [];
    private (long Chunk, IReadOnlyList<byte[]> Leaves)? _lastChunk;

    /// <inheritdoc />
    public byte[] Hash(long start, long end)
    {
        if (end - start == 1)
        {
            return Leaf(start);
        }
        if (start % ChunkSize == 0 && end - start == ChunkSize && start / ChunkSize < chunkRoots.Count)
        {
            return chunkRoots[(int)(start / ChunkSize)];
        }
        if (_cache.TryGetValue((start, end), out var cached))
        {
            return cached;
        }
        var split = 1L << (63 - (int)long.LeadingZeroCount(end - start - 1));
        var hash = MerkleHash.Node(Hash(start, start + split), Hash(start + split, end));
        if (end - start >= ChunkSize)
        {
            _cache[(start, end)] = hash;
        }
        return hash;
    }

    private byte[] Leaf(long index)
    {
        var chunk = index / ChunkSize;
        if (_lastChunk is not { } last || last.Chunk != chunk)
        {
            last = (chunk, leavesOf(chunk * ChunkSize, (chunk + 1) * ChunkSize));
            _lastChunk = last;
        }
        var offset = (int)(index - chunk * ChunkSize);
        return offset < last.Leaves.Count ? last.Leaves[offset] : throw new InvalidDataException($"entry {index} is missing");
    }
}
