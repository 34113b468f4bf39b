using System.Numerics;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Merkle;
using PolicyTrail.Ledger.Store;
using PolicyTrail.Ledger.Writing;

namespace PolicyTrail.Ledger.Verification;

/// <summary>
/// Proves any number of entries of one log against one checkpoint. The tree above the 1,024-entry chunks is built
/// once from the recorded chunk roots (a chunk without one is rehashed, once) and kept; a proof then reads only the
/// chunk that holds its entry, whose every subtree hash is kept while the next proofs fall into the same chunk. Proving
/// entries in index order therefore reads each chunk they touch once: the work is bounded by one pass over the log.
/// </summary>
/// <remarks>
/// The recorded chunk roots are not evidence (docs/VERIFYING.md §8); a wrong one yields a proof that does not verify,
/// so callers that hand proofs on check them (<see cref="InclusionProof.Verify"/>). Not thread-safe.
/// </remarks>
public sealed class InclusionProver : ISubtreeHashes, IDisposable
{
    private const long ChunkSize = 1L << LedgerWriter.SubtreeHeight;

    private readonly ILedgerStore _store;
    private readonly FragmentTable _fragments;
    private readonly Dictionary<long, byte[]> _chunkRoots;
    private readonly Dictionary<(long Start, long End), byte[]> _spans = [];
    private readonly long _completeChunks;
    // Reading ahead past this many entries costs more than a fresh range query; a window is at most this large.
    private const long MaxSkip = 1L << 18;
    private const long MaxWindow = 1L << 16;

    private Chunk? _current;
    private Chunk? _tail;
    private IEnumerator<EntryRow>? _cursor;
    private EntryRow? _pending;
    private long _cursorNext;

    /// <summary>A prover of <paramref name="store"/>'s log (origin <paramref name="origin"/>) against <paramref name="checkpoint"/>.</summary>
    public InclusionProver(ILedgerStore store, StoredCheckpoint checkpoint, string origin)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(checkpoint.Size);
        _store = store;
        Origin = origin;
        TreeSize = checkpoint.Size;
        Checkpoint = checkpoint.Note;
        _fragments = new FragmentTable(store.ReadFragments());
        _completeChunks = TreeSize / ChunkSize;
        _chunkRoots = store.ReadSubtrees(0, _completeChunks * ChunkSize)
            .Where(s => s.Height == LedgerWriter.SubtreeHeight && s.Start % ChunkSize == 0 && s.Hash.Length == MerkleHash.Size)
            .GroupBy(s => s.Start / ChunkSize)
            .ToDictionary(g => g.Key, g => g.First().Hash);
    }

    /// <summary>The log's origin line, as every proof names it.</summary>
    public string Origin { get; }

    /// <summary>The size of the checkpoint's tree: entries 0..TreeSize-1 can be proven.</summary>
    public long TreeSize { get; }

    /// <summary>The checkpoint's signed note text, as every proof carries it.</summary>
    public string Checkpoint { get; }

    /// <summary>How many chunks have been read from the store (each once while proofs come in index order).</summary>
    public long ChunksRead { get; private set; }

    /// <summary>A prover against the store's latest checkpoint.</summary>
    /// <exception cref="InvalidOperationException">The store holds no log, or no checkpoint has been signed yet.</exception>
    public static InclusionProver ForLatestCheckpoint(ILedgerStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        var state = store.LoadState() ?? throw new InvalidOperationException($"{store.Description}: the store holds no log");
        var checkpoint = store.ReadCheckpoints().LastOrDefault(c => c.Size > 0)
            ?? throw new InvalidOperationException($"{store.Description}: no checkpoint has been signed yet");
        return new InclusionProver(store, checkpoint, state.Identity.Origin);
    }

    /// <summary>The proof of entry <paramref name="index"/> (0 ≤ index &lt; <see cref="TreeSize"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The checkpoint does not cover the index.</exception>
    /// <exception cref="InvalidDataException">The store lacks an entry the proof needs.</exception>
    public InclusionProof Prove(long index)
    {
        if (index < 0 || index >= TreeSize)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"entry {index} is not covered by the checkpoint (size {TreeSize})");
        }
        var chunk = Load(index / ChunkSize);
        var offset = (int)(index - chunk.Start);
        var path = MerkleProofs.Inclusion(this, index, TreeSize);
        return new InclusionProof(Origin, index, TreeSize, chunk.Entries[offset], (byte[])chunk.Levels[0][offset].Clone(), path, Checkpoint);
    }

    /// <summary>Ends the store read that proofs in index order share.</summary>
    public void Dispose()
    {
        _cursor?.Dispose();
        _cursor = null;
    }

    /// <inheritdoc />
    public byte[] Hash(long start, long end)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(end, start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(end, TreeSize);
        var n = end - start;
        var chunkNumber = start / ChunkSize;
        if (n == ChunkSize && start % ChunkSize == 0)
        {
            return ChunkRoot(chunkNumber);
        }
        if ((end - 1) / ChunkSize == chunkNumber)
        {
            var chunk = Load(chunkNumber);
            var local = start - chunk.Start;
            if (BitOperations.IsPow2(n) && local % n == 0)
            {
                return chunk.Levels[BitOperations.Log2((ulong)n)][(int)(local / n)];
            }
        }
        else if (_spans.TryGetValue((start, end), out var cached))
        {
            return cached;
        }
        var k = MerkleProofs.LargestPowerOfTwoBelow(n);
        var hash = MerkleHash.Node(Hash(start, start + k), Hash(start + k, end));
        if (n > ChunkSize)
        {
            _spans[(start, end)] = hash;
        }
        return hash;
    }

    private byte[] ChunkRoot(long chunkNumber)
    {
        if (!_chunkRoots.TryGetValue(chunkNumber, out var root))
        {
            // A chunk without a recorded root is read aside, so the chunk the proofs are in stays loaded.
            var chunk = _current?.Number == chunkNumber ? _current : Read(chunkNumber, _store.ReadEntries(chunkNumber * ChunkSize, (chunkNumber + 1) * ChunkSize));
            _chunkRoots[chunkNumber] = root = chunk.Levels[LedgerWriter.SubtreeHeight][0];
        }
        return root;
    }

    private Chunk Load(long chunkNumber)
    {
        if (_current?.Number == chunkNumber)
        {
            return _current;
        }
        if (_tail?.Number == chunkNumber)
        {
            return _tail;
        }
        // The partial last chunk is needed by nearly every proof (its root is a sibling of everything before it): keep it apart.
        if (chunkNumber == _completeChunks)
        {
            return _tail = Read(chunkNumber, _store.ReadEntries(chunkNumber * ChunkSize, TreeSize));
        }
        return _current = Read(chunkNumber, Sequential(chunkNumber * ChunkSize));
    }

    /// <summary>
    /// The rows from <paramref name="start"/> on, through one forward cursor that proofs in index order share: a store
    /// answers one range query faster than many small ones, so chunks are read in growing windows and skipped rows
    /// are not rebuilt. A cursor behind <paramref name="start"/>, or far before it, is replaced.
    /// </summary>
    private IEnumerable<EntryRow> Sequential(long start)
    {
        if (_cursor is null || start < _cursorNext || start - _cursorNext > MaxSkip)
        {
            _cursor?.Dispose();
            _cursor = Windows(start).GetEnumerator();
            _pending = null;
            _cursorNext = start;
        }
        while (true)
        {
            EntryRow row;
            if (_pending is { } pending)
            {
                row = pending;
                _pending = null;
            }
            else if (_cursor.MoveNext())
            {
                row = _cursor.Current;
            }
            else
            {
                yield break;
            }
            if (row.Index < start)
            {
                continue;
            }
            if (row.Index >= start + ChunkSize)
            {
                _pending = row;
                yield break;
            }
            _cursorNext = row.Index + 1;
            yield return row;
        }
    }

    private IEnumerable<EntryRow> Windows(long from)
    {
        var window = ChunkSize;
        for (var start = from; start < TreeSize;)
        {
            var end = Math.Min(TreeSize, start + window);
            foreach (var row in _store.ReadEntries(start, end))
            {
                yield return row;
            }
            start = end;
            window = Math.Min(window * 2, MaxWindow);
        }
    }

    private Chunk Read(long chunkNumber, IEnumerable<EntryRow> rows)
    {
        var start = chunkNumber * ChunkSize;
        var end = Math.Min(start + ChunkSize, TreeSize);
        var entries = new byte[end - start][];
        var leaves = new byte[end - start][];
        var expected = start;
        foreach (var row in rows)
        {
            if (row.Index != expected)
            {
                throw new InvalidDataException($"entry {expected} is {(row.Index > expected ? "missing from" : "repeated in")} the store");
            }
            var bytes = EntryTemplates.Rebuild(row, _fragments);
            entries[expected - start] = bytes;
            leaves[expected - start] = MerkleHash.Leaf(bytes);
            if (++expected == end)
            {
                break;
            }
        }
        if (expected != end)
        {
            throw new InvalidDataException($"entry {expected} is missing from the store");
        }
        ChunksRead++;
        // Every perfect aligned subtree of the chunk, level by level: a proof's in-chunk hashes are look-ups.
        var levels = new List<byte[][]> { leaves };
        for (var below = leaves; below.Length > 1;)
        {
            var level = new byte[below.Length / 2][];
            for (var j = 0; j < level.Length; j++)
            {
                level[j] = MerkleHash.Node(below[2 * j], below[2 * j + 1]);
            }
            levels.Add(level);
            below = level;
        }
        return new Chunk(chunkNumber, start, entries, levels);
    }

    private sealed record Chunk(long Number, long Start, byte[][] Entries, IReadOnlyList<byte[][]> Levels);
}
