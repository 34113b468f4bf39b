using System.Buffers;
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
    private TreeBuilder _chunk = new();
    private readonly List<EntryRow> _rows = [];
    private readonly List<SubtreeHash> _subtrees = [];
    private readonly Dictionary<string, SourcePosition> _positions = new(StringComparer.Ordinal);
    private readonly List<StoredSnapshot> _snapshots = [];
    private readonly Dictionary<string, SourcePosition> _sources;
    private readonly ArrayBufferWriter<byte> _bytes = new(2048);
    private readonly Stopwatch _sinceCheckpoint = Stopwatch.StartNew();
    private long _checkpointSize;
    private long _checkpointSequence;

    private LedgerWriter(ILedgerStore store, NoteSigner signer, CheckpointPolicy policy, LedgerState state)
    {
        _store = store;
        _signer = signer;
        _policy = policy;
        Identity = state.Identity;
        _tree = new TreeBuilder(state.Size, state.Frontier);
        Fragments = new FragmentTable(store.ReadFragments());
        if (Fragments.Count != state.FragmentCount)
        {
            throw new InvalidDataException($"{store.Description}: holds {Fragments.Count} templates where its state says {state.FragmentCount}");
        }
        _sources = new Dictionary<string, SourcePosition>(state.Sources, StringComparer.Ordinal);
        var checkpoints = store.ReadCheckpoints();
        _checkpointSize = checkpoints.Count == 0 ? 0 : checkpoints[^1].Size;
        _checkpointSequence = checkpoints.Count == 0 ? 0 : checkpoints[^1].Sequence + 1;
        // The leaves of the unfinished 1,024-entry chunk are rebuilt from the store.
        var chunkStart = state.Size - state.Size % SubtreeSize;
        foreach (var row in store.ReadEntries(chunkStart, state.Size))
        {
            _chunk.Append(Leaf(row, out _));
        }
        if (_chunk.Size != state.Size - chunkStart)
        {
            throw new InvalidDataException($"{store.Description}: entries {chunkStart}..{state.Size - 1} are not all there (read {_chunk.Size})");
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
    public long Size => _tree.Size;

    /// <summary>Entries committed.</summary>
    public long CommittedSize { get; private set; }

    /// <summary>Checkpoints written by this writer.</summary>
    public int CheckpointsWritten { get; private set; }

    /// <summary>Entries not yet committed.</summary>
    public int Pending => _rows.Count;

    /// <summary>The last committed position of a source, if it was read before.</summary>
    public SourcePosition? Position(string key) =>
        _positions.TryGetValue(key, out var p) ? p : _sources.GetValueOrDefault(key);

    /// <summary>Appends an entry (its Index and LeafTag are set here); it is durable after the next <see cref="Commit"/>.</summary>
    public long Append(EntryRow row)
    {
        row.Index = _tree.Size;
        var leaf = Leaf(row, out var tag);
        row.LeafTag = tag;
        _tree.Append(leaf);
        _chunk.Append(leaf);
        if (_chunk.Size == SubtreeSize)
        {
            _subtrees.Add(new SubtreeHash(row.Index + 1 - SubtreeSize, SubtreeHeight, _chunk.Root()));
            _chunk = new TreeBuilder();
        }
        _rows.Add(row);
        return row.Index;
    }

    /// <summary>Records how far a source has been read; written with the next commit.</summary>
    public void SetPosition(SourcePosition position) => _positions[position.Key] = position;

    /// <summary>Records a cluster snapshot; written with the next commit.</summary>
    public void AddSnapshot(StoredSnapshot snapshot) => _snapshots.Add(snapshot);

    /// <summary>Whether a checkpoint is due by the policy (entries or time since the last).</summary>
    public bool CheckpointDue =>
        _tree.Size > _checkpointSize
        && ((_policy.EveryEntries > 0 && _tree.Size - _checkpointSize >= _policy.EveryEntries)
            || (_policy.Every > TimeSpan.Zero && _sinceCheckpoint.Elapsed >= _policy.Every));

    /// <summary>
    /// Writes everything appended since the last commit, with the source positions and snapshots, in one atomic
    /// append; signs a checkpoint with it when one is due or <paramref name="checkpoint"/> asks (and the log grew).
    /// </summary>
    public void Commit(bool checkpoint = false)
    {
        var checkpoints = new List<StoredCheckpoint>();
        if ((checkpoint || CheckpointDue) && _tree.Size > _checkpointSize)
        {
            var text = new Checkpoint(Identity.Origin, _tree.Size, _tree.Root()).ToNoteText();
            var note = Encoding.UTF8.GetString(SignedNote.Sign(text, _signer));
            checkpoints.Add(new StoredCheckpoint(_checkpointSequence, _tree.Size, note));
        }
        if (_rows.Count == 0 && _positions.Count == 0 && _snapshots.Count == 0 && checkpoints.Count == 0)
        {
            return;
        }
        var batch = new AppendBatch
        {
            Entries = _rows.ToArray(),
            Fragments = Fragments.TakePending(),
            Subtrees = _subtrees.ToArray(),
            Positions = _positions.Values.ToArray(),
            Checkpoints = checkpoints,
            Snapshots = _snapshots.ToArray(),
            Size = _tree.Size,
            Frontier = _tree.Frontier,
        };
        _store.Append(batch);
        foreach (var (key, position) in _positions)
        {
            _sources[key] = position;
        }
        _rows.Clear();
        _subtrees.Clear();
        _positions.Clear();
        _snapshots.Clear();
        CommittedSize = _tree.Size;
        if (checkpoints.Count > 0)
        {
            _checkpointSize = _tree.Size;
            _checkpointSequence++;
            CheckpointsWritten++;
            _sinceCheckpoint.Restart();
        }
    }

    /// <summary>The canonical bytes of a row (for callers that show or export entries).</summary>
    public byte[] CanonicalBytes(EntryRow row) => EntryTemplates.Rebuild(row, Fragments);

    private byte[] Leaf(EntryRow row, out uint tag)
    {
        _bytes.ResetWrittenCount();
        _bytes.GetSpan(1)[0] = 0;
        _bytes.Advance(1);
        EntryTemplates.Rebuild(row, Fragments, _bytes);
        var leaf = MerkleHash.LeafOfPrefixed(_bytes.WrittenSpan);
        tag = BinaryPrimitives.ReadUInt32BigEndian(leaf);
        return leaf;
    }
}
