using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Merkle;
using PolicyTrail.Ledger.Store;
using PolicyTrail.Ledger.Writing;

namespace PolicyTrail.Ledger.Verification;

/// <summary>The outcome of verifying a log: intact, or the first thing found wrong (with the entry index or checkpoint).</summary>
public sealed record VerificationResult
{
    /// <summary>Nothing was found wrong.</summary>
    public bool Intact => Problem is null;
    /// <summary>Entries read.</summary>
    public long Entries { get; init; }
    /// <summary>Checkpoints read.</summary>
    public int Checkpoints { get; init; }
    /// <summary>The tree size of the latest checkpoint.</summary>
    public long CheckpointedSize { get; init; }
    /// <summary>The root hash recomputed for the whole log.</summary>
    public byte[]? Root { get; init; }
    /// <summary>The log's origin.</summary>
    public string? Origin { get; init; }
    /// <summary>The latest checkpoint's signed note, to keep outside the store (verify --checkpoint checks a store against it later).</summary>
    public string? LatestCheckpoint { get; init; }
    /// <summary>The first problem, in one line; null when intact.</summary>
    public string? Problem { get; init; }
    /// <summary>The first entry index found wrong, when the problem is an entry's.</summary>
    public long? FirstBadIndex { get; init; }
    /// <summary>The sequence number of the checkpoint found wrong, when the problem is a checkpoint's.</summary>
    public long? BadCheckpoint { get; init; }
}

/// <summary>
/// Verifies a stored log without trusting anything the store says about hashes: every entry's canonical bytes are
/// rebuilt from its row and hashed, the tree is rebuilt, every checkpoint's signature and root are checked, and
/// consecutive checkpoints are checked for consistency with RFC 6962 proofs.
/// </summary>
public static class LedgerVerifier
{
    private const long ChunkSize = 1L << LedgerWriter.SubtreeHeight;

    // Chunks whose leaves a verification keeps for the consistency proofs (32 KiB each); beyond, they are read again.
    private const int MaxFoldedChunks = 1024;

    /// <summary>Verifies the store's log against the verifier key; <paramref name="progress"/> gets the entries read so far.</summary>
    public static VerificationResult Verify(ILedgerStore store, NoteVerifier key, Action<long>? progress = null, CancellationToken cancellationToken = default) =>
        Verify(store, key, [], progress, cancellationToken);

    /// <summary>
    /// Verifies the store's log, and also that it still extends each of <paramref name="keptCheckpoints"/> (signed
    /// notes saved earlier, outside the store): this catches a log cut back together with its last checkpoints.
    /// </summary>
    public static VerificationResult Verify(ILedgerStore store, NoteVerifier key, IReadOnlyList<string> keptCheckpoints, Action<long>? progress = null, CancellationToken cancellationToken = default) =>
        Verify(store, key, keptCheckpoints, MaxFoldedChunks, progress, cancellationToken);

    /// <summary>The same, keeping the leaves of at most <paramref name="maxFoldedChunks"/> chunks for the proofs (for tests).</summary>
    internal static VerificationResult Verify(ILedgerStore store, NoteVerifier key, IReadOnlyList<string> keptCheckpoints, int maxFoldedChunks, Action<long>? progress = null, CancellationToken cancellationToken = default)
    {
        // Rows as stored come without a sort and are index order in an untouched store, so an intact log passes in
        // one pass. Anything found wrong is found again over rows in index order (as the store's contract reads them),
        // so the problem named is the first in index order, whatever order the rows were stored in.
        var asStored = Verify(store, key, keptCheckpoints, asStored: true, maxFoldedChunks, progress, cancellationToken);
        return asStored.Intact ? asStored : Verify(store, key, keptCheckpoints, asStored: false, maxFoldedChunks, progress, cancellationToken);
    }

    private static VerificationResult Verify(ILedgerStore store, NoteVerifier key, IReadOnlyList<string> keptCheckpoints, bool asStored, int maxFoldedChunks, Action<long>? progress, CancellationToken cancellationToken)
    {
        var state = store.LoadState();
        if (state is null)
        {
            return new VerificationResult { Problem = $"{store.Description}: the store holds no log" };
        }
        var origin = state.Identity.Origin;
        FragmentTable fragments;
        try
        {
            fragments = new FragmentTable(store.ReadFragments());
        }
        catch (InvalidDataException e)
        {
            return new VerificationResult { Origin = origin, Problem = $"templates: {e.Message}" };
        }

        // Checkpoints first: their sizes say where roots must be compared.
        var checkpoints = store.ReadCheckpoints();
        var opened = new List<(StoredCheckpoint Stored, Checkpoint Checkpoint)>();
        long previousSize = 0;
        for (var i = 0; i < checkpoints.Count; i++)
        {
            var stored = checkpoints[i];
            if (stored.Sequence != i)
            {
                return Fail(origin, checkpoints.Count, $"checkpoint {i} is missing (the next stored one is number {stored.Sequence}): a checkpoint was deleted", checkpoint: i);
            }
            var note = SignedNote.Open(Encoding.UTF8.GetBytes(stored.Note), key);
            if (!note.IsVerified)
            {
                return Fail(origin, checkpoints.Count, $"checkpoint {i} (size {stored.Size}): signature does not verify with key {key.Name}: {note.FailureReason}", checkpoint: i);
            }
            if (!Checkpoint.TryParse(note.Text!, out var checkpoint, out var error))
            {
                return Fail(origin, checkpoints.Count, $"checkpoint {i}: signed text is not a checkpoint: {error}", checkpoint: i);
            }
            if (checkpoint.Origin != origin)
            {
                return Fail(origin, checkpoints.Count, $"checkpoint {i}: origin \"{checkpoint.Origin}\" is not this log's (\"{origin}\")", checkpoint: i);
            }
            if (checkpoint.Size != stored.Size)
            {
                return Fail(origin, checkpoints.Count, $"checkpoint {i}: signed size {checkpoint.Size} differs from the stored size {stored.Size}", checkpoint: i);
            }
            if (checkpoint.Size < previousSize)
            {
                return Fail(origin, checkpoints.Count, $"checkpoint {i}: size {checkpoint.Size} is smaller than the previous checkpoint's {previousSize}", checkpoint: i);
            }
            previousSize = checkpoint.Size;
            opened.Add((stored, checkpoint));
        }

        var kept = new List<Checkpoint>();
        foreach (var (note, i) in keptCheckpoints.Select((n, i) => (n, i)))
        {
            var opened2 = SignedNote.Open(Encoding.UTF8.GetBytes(note), key);
            if (!opened2.IsVerified || !Checkpoint.TryParse(opened2.Text!, out var checkpoint, out _))
            {
                return Fail(origin, checkpoints.Count, $"kept checkpoint {i + 1}: not a checkpoint signed by key {key.Name}: {opened2.FailureReason ?? "unreadable text"}");
            }
            if (checkpoint.Origin != origin)
            {
                return Fail(origin, checkpoints.Count, $"kept checkpoint {i + 1}: it is of log \"{checkpoint.Origin}\", not of this store's \"{origin}\"");
            }
            kept.Add(checkpoint);
        }
        kept.Sort((a, b) => a.Size.CompareTo(b.Size));
        var nextKept = 0;

        // Entries: rebuild, hash, compare with the tag recorded at append, grow the tree, compare roots at checkpoints.
        var tree = new TreeBuilder();
        var chunkRoots = new List<byte[]>();
        var recorded = store.ReadSubtrees(0, long.MaxValue).Where(s => s.Height == LedgerWriter.SubtreeHeight).ToDictionary(s => s.Start, s => s.Hash);
        var nextCheckpoint = 0;
        long expected = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Sizes some checkpoint is compared at: a chunk with one strictly inside it is folded leaf by leaf.
        var sizes = opened.Select(o => o.Checkpoint.Size).Concat(kept.Select(k => k.Size)).Where(s => s % ChunkSize != 0).ToHashSet();
        var foldedLeaves = new Dictionary<long, byte[]>();
        var packed = PackedFragments.Of(fragments);
        foreach (var chunk in Chunks(asStored ? store.ReadEntriesAsStored : null, store.ReadEntries(0, long.MaxValue), packed, stop))
        {
            var start = expected;
            for (var i = 0; i < chunk.Count; i++)
            {
                var row = chunk.Rows[i];
                expected = start + i;
                if (row.Index != expected)
                {
                    var problem = row.Index < expected
                        ? $"entry {row.Index} appears more than once (or out of order): a row was inserted or copied"
                        : $"entry {expected} is missing (the next stored entry is {row.Index}): a row was deleted";
                    return Fail(origin, checkpoints.Count, problem, index: Math.Min(row.Index, expected), entries: expected);
                }
                if (chunk.Errors?[i] is { } rebuildError)
                {
                    return Fail(origin, checkpoints.Count, $"entry {row.Index}: cannot be rebuilt: {rebuildError}", index: row.Index, entries: expected);
                }
                if (BinaryPrimitives.ReadUInt32BigEndian(chunk.Leaf(i)) != row.LeafTag)
                {
                    return Fail(origin, checkpoints.Count, $"entry {row.Index}: its content does not hash to the leaf recorded when it was appended: a field was edited, or the row moved", index: row.Index, entries: expected);
                }
            }
            expected = start;
            // A whole chunk is one step (the workers hashed its subtree already: its root is folded in as its 1,024 leaves
            // would be); any other is a step per leaf.
            var whole = chunk.Count == ChunkSize && !sizes.Any(s => s > start && s < start + ChunkSize);
            // The leaves of a chunk folded leaf by leaf are kept (up to a bound): the consistency proofs below need those.
            var leaves = whole || foldedLeaves.Count >= maxFoldedChunks ? null : foldedLeaves[start] = new byte[chunk.Count * MerkleHash.Size];
            for (var step = 0; step < (whole ? 1 : chunk.Count); step++)
            {
                byte[]? completed;
                if (whole)
                {
                    tree.AppendSubtree(chunk.Root, LedgerWriter.SubtreeHeight);
                    completed = chunk.Root.ToArray();
                    expected += ChunkSize;
                }
                else
                {
                    var leaf = chunk.Leaf(step);
                    if (leaves is not null)
                    {
                        leaf.CopyTo(leaves.AsSpan(step * MerkleHash.Size));
                    }
                    completed = tree.Append(leaf, LedgerWriter.SubtreeHeight);
                    expected++;
                }
                if (completed is { } root)
                {
                    var first = expected - ChunkSize;
                    if (recorded.TryGetValue(first, out var hash) && !hash.AsSpan().SequenceEqual(root))
                    {
                        return Fail(origin, checkpoints.Count, $"entries {first}..{expected - 1}: recorded subtree hash differs from the recomputed one: an entry in that range was changed", index: first, entries: expected);
                    }
                    chunkRoots.Add(root);
                }
                while (nextKept < kept.Count && kept[nextKept].Size == expected)
                {
                    if (!kept[nextKept].RootHash.AsSpan().SequenceEqual(tree.Root()))
                    {
                        return Fail(origin, checkpoints.Count, $"kept checkpoint of size {expected}: its signed root differs from the root of the stored entries 0..{expected - 1}: the log was rewritten since it was saved", index: 0, entries: expected);
                    }
                    nextKept++;
                }
                while (nextCheckpoint < opened.Count && opened[nextCheckpoint].Checkpoint.Size == expected)
                {
                    if (!opened[nextCheckpoint].Checkpoint.RootHash.AsSpan().SequenceEqual(tree.Root()))
                    {
                        var size = opened[nextCheckpoint].Checkpoint.Size;
                        var since = nextCheckpoint == 0 ? 0 : opened[nextCheckpoint - 1].Checkpoint.Size;
                        return Fail(origin, checkpoints.Count, $"checkpoint {nextCheckpoint} (size {size}): signed root differs from the root of the stored entries: an entry in {since}..{size - 1} was changed, removed or reordered", checkpoint: nextCheckpoint, entries: expected);
                    }
                    nextCheckpoint++;
                }
                if ((expected & 0xFFFF) == 0)
                {
                    progress?.Invoke(expected);
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
        }
        progress?.Invoke(expected);
        while (nextCheckpoint < opened.Count && opened[nextCheckpoint].Checkpoint.Size == 0)
        {
            nextCheckpoint++;
        }
        if (nextCheckpoint < opened.Count)
        {
            var missing = opened[nextCheckpoint].Checkpoint.Size;
            return Fail(origin, checkpoints.Count, $"checkpoint {nextCheckpoint} covers {missing} entries but the store holds {expected}: entries {expected}..{missing - 1} were deleted (truncated)", index: expected, checkpoint: nextCheckpoint, entries: expected);
        }
        while (nextKept < kept.Count && kept[nextKept].Size == 0)
        {
            nextKept++;
        }
        if (nextKept < kept.Count)
        {
            return Fail(origin, checkpoints.Count, $"a kept checkpoint covers {kept[nextKept].Size} entries but the store holds {expected}: entries {expected}..{kept[nextKept].Size - 1} were removed, with the checkpoints that covered them", index: expected, entries: expected);
        }
        var covered = opened.Count == 0 ? 0 : opened[^1].Checkpoint.Size;
        if (covered < expected)
        {
            return Fail(origin, checkpoints.Count, $"entries {covered}..{expected - 1} are not covered by any signed checkpoint: the last checkpoint was deleted, an ingest was interrupted before it signed, or entries were added outside PolicyTrail", index: covered, entries: expected);
        }

        if (expected != state.Size)
        {
            return Fail(origin, checkpoints.Count, $"the store says it holds {state.Size} entries but {expected} were read", index: Math.Min(expected, state.Size), entries: expected);
        }
        // Consecutive checkpoints must be consistent: prove it with RFC 6962 consistency proofs over the verified tree.
        var proofs = new ChunkedTree(chunkRoots, (from, to) =>
            foldedLeaves.TryGetValue(from, out var folded) ? folded.Chunk(MerkleHash.Size).ToList() : LeavesOf(store, fragments, from, to));
        for (var i = 1; i < opened.Count; i++)
        {
            var (older, newer) = (opened[i - 1].Checkpoint, opened[i].Checkpoint);
            if (older.Size == 0 || older.Size == newer.Size)
            {
                continue;
            }
            var proof = MerkleProofs.Consistency(proofs, older.Size, newer.Size);
            var check = MerkleProofs.VerifyConsistency(older.Size, newer.Size, older.RootHash, newer.RootHash, proof);
            if (!check.IsValid)
            {
                return Fail(origin, checkpoints.Count, $"checkpoints {i - 1} and {i} are not consistent: {check.FailureReason}", checkpoint: i, entries: expected);
            }
        }

        // Snapshots: each stored snapshot must be the one its inventory entry names.
        foreach (var snapshot in store.ReadSnapshots())
        {
            var content = store.ReadSnapshotContent(snapshot.Sha256);
            if (content is null || Convert.ToHexStringLower(SHA256.HashData(content)) != snapshot.Sha256)
            {
                return Fail(origin, checkpoints.Count, $"cluster snapshot {snapshot.Name} ({snapshot.Sha256[..12]}): stored bytes do not match their digest", index: snapshot.Entry, entries: expected);
            }
            var entry = snapshot.Entry < expected ? store.ReadEntries(snapshot.Entry, snapshot.Entry + 1).FirstOrDefault() : null;
            if (entry is null || !Encoding.UTF8.GetString(EntryTemplates.Rebuild(entry, fragments)).Contains($"\"sha256\":\"{snapshot.Sha256}\"", StringComparison.Ordinal))
            {
                return Fail(origin, checkpoints.Count, $"cluster snapshot {snapshot.Name} ({snapshot.Sha256[..12]}): entry {snapshot.Entry} does not record it", index: snapshot.Entry, entries: expected);
            }
        }

        return new VerificationResult
        {
            LatestCheckpoint = checkpoints.Count == 0 ? null : checkpoints[^1].Note,
            Entries = expected,
            Checkpoints = checkpoints.Count,
            CheckpointedSize = covered,
            Root = tree.Root(),
            Origin = origin,
        };
    }

    // Up to 1,024 consecutive rows as read, with their leaf hashes and, when complete, the root of their subtree.
    private sealed class Chunk
    {
        public readonly EntryRow[] Rows = new EntryRow[ChunkSize];
        public readonly byte[] Leaves = new byte[ChunkSize * MerkleHash.Size];
        public readonly byte[] Root = new byte[MerkleHash.Size];
        public readonly ManualResetEventSlim Done = new();
        public string?[]? Errors;
        public Exception? Failure;
        public int Count;

        // Rows of its own, filled by the store and kept for the next use; a store that makes rows of its own replaces them.
        private readonly EntryRow[] _spare = new EntryRow[ChunkSize];

        // The row the next entry read may be put in.
        public EntryRow Spare() => _spare[Count] ??= new EntryRow();

        // Ready to be filled again (rows from elsewhere of its last use are let go).
        public Chunk Reuse()
        {
            Array.Clear(Rows, 0, Count);
            Count = 0;
            Errors = null;
            Failure = null;
            Done.Reset();
            return this;
        }

        public ReadOnlySpan<byte> Leaf(int i) => Leaves.AsSpan(i * MerkleHash.Size, MerkleHash.Size);
    }

    // Scratch of one hashing thread: half a chunk of interior nodes.
    private sealed class HashScratch
    {
        public readonly byte[] Nodes = new byte[ChunkSize / 2 * MerkleHash.Size];
    }

    // Rows are read on one thread, 1,024 to a chunk as the tree's stored subtrees are; each chunk is rebuilt, hashed and
    // folded to its subtree root by whichever hashing thread is free (chunks are independent), and they come back in
    // order. No thread waits for a batch's slowest chunk: a hashing thread takes the next chunk as soon as it is done.
    // asStored reads the rows in stored order into the chunks' own rows (each chunk keeps its 1,024 and fills them again
    // when it is reused); otherwise the rows are ordered.
    private static IEnumerable<Chunk> Chunks(Func<Func<EntryRow>, IEnumerable<EntryRow>>? asStored, IEnumerable<EntryRow> ordered, IFragmentSource fragments, CancellationTokenSource stop)
    {
        const int InFlight = 16;
        var token = stop.Token;
        using var free = new BlockingCollection<Chunk>(InFlight);
        using var work = new BlockingCollection<Chunk>(InFlight);
        using var inOrder = new BlockingCollection<Chunk>(InFlight);
        for (var i = 0; i < InFlight; i++)
        {
            free.Add(new Chunk());
        }
        var reader = Task.Factory.StartNew(() =>
        {
            try
            {
                var chunk = free.Take(token).Reuse();
                var rows = asStored is null ? ordered : asStored(() => chunk.Spare());
                foreach (var row in rows)
                {
                    chunk.Rows[chunk.Count++] = row;
                    if (chunk.Count < ChunkSize)
                    {
                        continue;
                    }
                    inOrder.Add(chunk, token);
                    work.Add(chunk, token);
                    chunk = free.Take(token).Reuse();
                }
                if (chunk.Count > 0)
                {
                    inOrder.Add(chunk, token);
                    work.Add(chunk, token);
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                work.CompleteAdding();
                inOrder.CompleteAdding();
            }
        }, token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var hashers = Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Task.Factory.StartNew(() =>
        {
            var scratch = new HashScratch();
            try
            {
                foreach (var chunk in work.GetConsumingEnumerable(token))
                {
                    try
                    {
                        Hash(chunk, fragments, scratch);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        chunk.Failure = e;
                    }
                    finally
                    {
                        chunk.Done.Set();
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, token, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        try
        {
            foreach (var chunk in inOrder.GetConsumingEnumerable(token))
            {
                chunk.Done.Wait(token);
                if (chunk.Failure is { } failure)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
                }
                yield return chunk;
                // The caller is done with it once it asks for the next.
                free.Add(chunk, token);
            }
        }
        finally
        {
            stop.Cancel();
            Task.WaitAll(hashers);
            reader.GetAwaiter().GetResult();
        }
    }

    // How many rows ahead the fragments are prefetched: one row's rebuild and hash (~3 µs) covers the wait on memory.
    private const int PrefetchAhead = 1;

    private static void Hash(Chunk chunk, IFragmentSource fragments, HashScratch scratch)
    {
        for (var i = 0; i < chunk.Count; i++)
        {
            if (i + PrefetchAhead < chunk.Count)
            {
                EntryTemplates.Prefetch(chunk.Rows[i + PrefetchAhead], fragments);
            }
            var leaf = chunk.Leaves.AsSpan(i * MerkleHash.Size, MerkleHash.Size);
            try
            {
                MerkleHash.LeafOfPrefixed(EntryTemplates.LeafInput(chunk.Rows[i], fragments), leaf);
            }
            catch (Exception e) when (e is InvalidDataException or KeyNotFoundException)
            {
                leaf.Clear();
                (chunk.Errors ??= new string?[ChunkSize])[i] = e.Message;
            }
        }
        if (chunk.Count == ChunkSize)
        {
            MerkleHash.PerfectRoot(chunk.Leaves, scratch.Nodes, chunk.Root);
        }
    }

    /// <summary>The leaf hashes of the stored entries in [from, to), rebuilt from their rows.</summary>
    public static IReadOnlyList<byte[]> LeavesOf(ILedgerStore store, IFragmentSource fragments, long from, long to)
    {
        var leaves = new List<byte[]>();
        foreach (var row in store.ReadEntries(from, to))
        {
            leaves.Add(MerkleHash.Leaf(EntryTemplates.Rebuild(row, fragments)));
        }
        return leaves;
    }

    private static VerificationResult Fail(string origin, int checkpoints, string problem, long? index = null, long? checkpoint = null, long entries = 0) =>
        new() { Origin = origin, Checkpoints = checkpoints, Problem = problem, FirstBadIndex = index, BadCheckpoint = checkpoint, Entries = entries };
}
