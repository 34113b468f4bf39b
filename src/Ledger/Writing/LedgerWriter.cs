using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Merkle;
using PolicyTrail.Ledger.Store;

namespace PolicyTrail.Ledger.Writing;

/// <summary>When the writer signs checkpoints, besides at the end of every run.</summary>
public sealed record CheckpointPolicy
{
    /// <summary>Sign when this many entries were appended since the last checkpoint (0: never by count).</summary>
    public long EveryEntries { get; init; } = 1_000_000;

    /// <summary>Sign at a commit when this long has passed since the last checkpoint (zero: never by time).</summary>
    public TimeSpan Every { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Appends entries to a store's log: rebuilds each entry's canonical bytes from its row (exactly as verify will),
/// hashes the leaf, grows the Merkle tree, records complete 1,024-entry subtrees, signs checkpoints, and commits each
/// batch with the source positions it reached. One writer per log at a time.
/// </summary>
public sealed class LedgerWriter
{
    /// <summary>Height of the subtrees whose hashes are recorded: 2^10 = 1,024 entries.</summary>
    public const int SubtreeHeight = 10;
    private const long SubtreeSize = 1L << SubtreeHeight;

    private readonly ILedgerStore _store;
    private readonly NoteSigner _signer;
    private readonly CheckpointPolicy _policy;
    private readonly TreeBuilder _tree;
    private readonly List<EntryRow> _rows = [];
    private readonly Dictionary<string, SourcePosition> _positions = new(StringComparer.Ordinal);
    private readonly List<StoredSnapshot> _snapshots = [];
    private readonly Dictionary<string, SourcePosition> _sources;
    private readonly Stopwatch _sinceCheckpoint = Stopwatch.StartNew();
    private Task? _writing;
    private EntryRow[]? _writingRows;
    private Task? _hashing;
    private Task? _olderWriting;
    private EntryRow[]? _olderRows;
    private long _size;
    private long _checkpointSize;
    private long _checkpointSequence;

    private LedgerWriter(ILedgerStore store, NoteSigner signer, CheckpointPolicy policy, LedgerState state)
    {
        _store = store;
        _signer = signer;
        _policy = policy;
        Identity = state.Identity;
        _tree = new TreeBuilder(state.Size, state.Frontier);
        _size = state.Size;
        CommittedSize = state.Size;
        Fragments = new FragmentTable(store.ReadFragments());
        if (Fragments.Count != state.FragmentCount)
        {
            throw new InvalidDataException($"{store.Description}: holds {Fragments.Count} templates where its state says {state.FragmentCount}");
        }
        _sources = new Dictionary<string, SourcePosition>(state.Sources, StringComparer.Ordinal);
        var checkpoints = store.ReadCheckpoints();
        _checkpointSize = checkpoints.Count == 0 ? 0 : checkpoints[^1].Size;
        _checkpointSequence = checkpoints.Count == 0 ? 0 : checkpoints[^1].Sequence + 1;
        // The last entries must be there and hash to what the frontier was built from (a cheap check before appending).
        var tailStart = Math.Max(0, state.Size - 16);
        var tail = store.ReadEntries(tailStart, state.Size).ToArray();
        if (tail.Length != state.Size - tailStart || tail.Any(row => Tag(row) != row.LeafTag))
        {
            throw new InvalidDataException($"{store.Description}: entries {tailStart}..{state.Size - 1} are missing or changed; run 'policytrail verify'");
        }
    }

    /// <summary>Opens the store's log for appending, creating it (with <paramref name="origin"/>) when the store is empty.</summary>
    public static LedgerWriter Open(ILedgerStore store, NoteSigner signer, string origin, CheckpointPolicy? policy = null)
    {
        var state = store.LoadState();
        if (state is null)
        {
            var identity = new LogIdentity(origin, DateTimeOffset.UtcNow);
            store.Initialize(identity);
            state = new LedgerState(identity, 0, [], 0, new Dictionary<string, SourcePosition>());
        }
        return new LedgerWriter(store, signer, policy ?? new CheckpointPolicy(), state);
    }

    /// <summary>The log's origin and creation time.</summary>
    public LogIdentity Identity { get; }

    /// <summary>Templates, shared with whoever builds the rows.</summary>
    public FragmentTable Fragments { get; }

    /// <summary>Entries appended, committed or not.</summary>
    public long Size => _size;

    /// <summary>Entries committed (durable in the store).</summary>
    public long CommittedSize { get; private set; }

    /// <summary>Checkpoints written by this writer.</summary>
    public int CheckpointsWritten { get; private set; }

    /// <summary>
    /// Told the rows of each batch once it is durable, on the thread that waited for it, when the store does not keep
    /// them (<see cref="ILedgerStore.CopiesAppendedRows"/>): whoever built them may fill them again.
    /// </summary>
    public Action<EntryRow[]>? OnRowsWritten { get; set; }

    /// <summary>
    /// Whether a commit's leaves may be hashed while the commit before is still being written (the default). Off, each
    /// commit first waits for the one before, so one batch fewer is held: for large rows whose producer, not the
    /// writer, is the bound (replaying watch events).
    /// </summary>
    public bool OverlapCommits { get; set; } = true;

    /// <summary>Entries not yet committed.</summary>
    public int Pending => _rows.Count;

    /// <summary>The last committed position of a source, if it was read before.</summary>
    public SourcePosition? Position(string key) =>
        _positions.TryGetValue(key, out var p) ? p : _sources.GetValueOrDefault(key);

    /// <summary>
    /// Appends an entry: its Index is set here; its leaf hash, LeafTag and place in the tree are computed when it is
    /// committed. It is durable after the next <see cref="Commit"/> has finished.
    /// </summary>
    public long Append(EntryRow row)
    {
        row.Index = _size++;
        _rows.Add(row);
        return row.Index;
    }

    /// <summary>Records how far a source has been read; written with the next commit.</summary>
    public void SetPosition(SourcePosition position) => _positions[position.Key] = position;

    /// <summary>Records a cluster snapshot; written with the next commit.</summary>
    public void AddSnapshot(StoredSnapshot snapshot) => _snapshots.Add(snapshot);

    /// <summary>Whether a checkpoint is due by the policy (entries or time since the last); call after the last commit finished.</summary>
    public bool CheckpointDue =>
        _size > _checkpointSize
        && ((_policy.EveryEntries > 0 && _size - _checkpointSize >= _policy.EveryEntries)
            || (_policy.Every > TimeSpan.Zero && _sinceCheckpoint.Elapsed >= _policy.Every));

    /// <summary>
    /// Writes everything appended since the last commit, with the source positions and snapshots, in one atomic
    /// append: the entries' leaves are hashed, the tree grown, complete subtrees recorded, and a checkpoint signed when
    /// one is due or <paramref name="checkpoint"/> asks (and the log grew). With <paramref name="wait"/> false all of
    /// that happens in the background while the caller goes on: the next batch's leaves are hashed while this one is
    /// written, and the commit after that waits for this one (so at most two are in flight, batches are written in
    /// order, and a failure surfaces there). A batch is durable only once it has finished:
    /// <see cref="CommittedSize"/> says how far that is.
    /// </summary>
    public void Commit(bool checkpoint = false, bool wait = true)
    {
        if (OverlapCommits)
        {
            WaitForOlder();
        }
        else
        {
            WaitForStore();
        }
        var sign = (checkpoint || CheckpointDue) && _size > _checkpointSize;
        if (_rows.Count == 0 && _positions.Count == 0 && _snapshots.Count == 0 && !sign)
        {
            if (wait)
            {
                WaitForStore();
            }
            return;
        }
        var rows = _rows.ToArray();
        var fragments = Fragments.TakePending();
        var positions = _positions.Values.ToArray();
        var snapshots = _snapshots.ToArray();
        foreach (var (key, position) in _positions)
        {
            _sources[key] = position;
        }
        _rows.Clear();
        _positions.Clear();
        _snapshots.Clear();
        if (sign)
        {
            // Counted now, so that the next CheckpointDue sees it; signed with the batch.
            _checkpointSize = _size;
            _sinceCheckpoint.Restart();
        }
        var size = _size;
        var sequence = sign ? _checkpointSequence++ : -1;
        // Two batches may be in flight: this one's leaves are hashed (after the one before's, in tree order) while the
        // one before is written to the store; the store takes them in order.
        var storing = _writing;
        var hashedBefore = _hashing;
        var hashed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _hashing = hashed.Task;
        _olderWriting = storing;
        _olderRows = _writingRows;
        _writingRows = rows;
        _writing = Task.Run(async () =>
        {
            AppendBatch batch;
            try
            {
                if (hashedBefore is not null)
                {
                    await hashedBefore.ConfigureAwait(false);
                }
                batch = Hash(rows, fragments, positions, snapshots, size, sequence);
                hashed.SetResult();
            }
            catch (Exception e)
            {
                hashed.SetException(e);
                throw;
            }
            if (storing is not null)
            {
                await storing.ConfigureAwait(false);
            }
            _store.Append(batch);
            if (sign)
            {
                CheckpointsWritten++;
            }
            CommittedSize = size;
        });
        if (wait)
        {
            WaitForStore();
        }
    }

    // The leaves of a batch hashed into the tree, its complete subtrees, and its checkpoint when one is signed.
    private AppendBatch Hash(EntryRow[] rows, IReadOnlyList<Fragment> fragments, SourcePosition[] positions, StoredSnapshot[] snapshots, long size, long sequence)
    {
        var subtrees = new List<SubtreeHash>();
        Span<byte> leaf = stackalloc byte[MerkleHash.Size];
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            // While this row is rebuilt and hashed, later ones load step by step: the row four ahead, where the
            // fragments of the one two ahead are kept, the fragments of the next (each step needs the one before).
            if (i + 4 < rows.Length)
            {
                EntryTemplates.PrefetchRow(rows[i + 4]);
            }
            if (i + 2 < rows.Length)
            {
                EntryTemplates.PrefetchSlots(rows[i + 2], Fragments);
            }
            if (i + 1 < rows.Length)
            {
                EntryTemplates.Prefetch(rows[i + 1], Fragments);
            }
            row.LeafTag = Leaf(row, leaf);
            if (_tree.Append(leaf, SubtreeHeight) is { } completed)
            {
                subtrees.Add(new SubtreeHash(row.Index + 1 - SubtreeSize, SubtreeHeight, completed));
            }
        }
        var checkpoints = new List<StoredCheckpoint>();
        if (sequence >= 0)
        {
            var text = new Checkpoint(Identity.Origin, _tree.Size, _tree.Root()).ToNoteText();
            checkpoints.Add(new StoredCheckpoint(sequence, _tree.Size, Encoding.UTF8.GetString(SignedNote.Sign(text, _signer))));
        }
        return new AppendBatch
        {
            Entries = rows,
            Fragments = fragments,
            Subtrees = subtrees,
            Positions = positions,
            Checkpoints = checkpoints,
            Snapshots = snapshots,
            Size = size,
            Frontier = _tree.Frontier,
        };
    }

    /// <summary>Waits until every commit is durable; rethrows what the store threw.</summary>
    public void WaitForStore()
    {
        WaitForOlder();
        var writing = _writing;
        var rows = _writingRows;
        _writing = null;
        _writingRows = null;
        _hashing = null;
        Finish(writing, rows);
    }

    // Waits for the batch before the newest (so that at most two are in flight) and hands its rows back.
    private void WaitForOlder()
    {
        var writing = _olderWriting;
        var rows = _olderRows;
        _olderWriting = null;
        _olderRows = null;
        Finish(writing, rows);
    }

    private void Finish(Task? writing, EntryRow[]? rows)
    {
        writing?.GetAwaiter().GetResult();
        if (rows is not null && OnRowsWritten is { } written && _store.CopiesAppendedRows)
        {
            written(rows);
        }
    }

    /// <summary>The canonical bytes of a row (for callers that show or export entries).</summary>
    public byte[] CanonicalBytes(EntryRow row) => EntryTemplates.Rebuild(row, Fragments);

    private uint Tag(EntryRow row)
    {
        Span<byte> leaf = stackalloc byte[MerkleHash.Size];
        return Leaf(row, leaf);
    }

    // Writes the row's leaf hash into leaf and returns its tag (the first four bytes).
    private uint Leaf(EntryRow row, Span<byte> leaf)
    {
        MerkleHash.LeafOfPrefixed(EntryTemplates.LeafInput(row, Fragments), leaf);
        return BinaryPrimitives.ReadUInt32BigEndian(leaf);
    }
}
