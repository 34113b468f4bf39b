using PolicyTrail.Ledger.Entries;

namespace PolicyTrail.Ledger.Store;

/// <summary>
/// The contract every store backend implements (DuckDB embedded, ClickHouse scale-out). A store keeps one log: its
/// entries (as <see cref="EntryRow"/>s), the templates they point at, the signed checkpoints, the hashes of complete
/// 1,024-entry subtrees, the source positions and the cluster snapshots. It never computes hashes or signatures;
/// <see cref="Writing.LedgerWriter"/> does, so every backend stores the same log bit for bit.
/// All of one <see cref="Append"/> becomes durable together, or none of it.
/// </summary>
public interface ILedgerStore : IDisposable
{
    /// <summary>A short name for messages ("duckdb /path/policytrail.duckdb").</summary>
    string Description { get; }

    /// <summary>What a writer needs to go on from where the last committed append left off (null for a new, empty store).</summary>
    LedgerState? LoadState();

    /// <summary>Creates the log's identity in an empty store (its origin line and when it began).</summary>
    void Initialize(LogIdentity identity);

    /// <summary>Every template, by id from 0.</summary>
    IReadOnlyList<Fragment> ReadFragments();

    /// <summary>Writes a batch atomically and durably: when this returns, all of it survives a crash; if it throws, none of it is visible.</summary>
    /// <exception cref="LedgerAppendRefusedException">
    /// The batch does not continue the stored log (its first entry is not at the stored size, its entries skip or repeat
    /// an index, its size does not add up, or its fragment ids do not continue the stored ones); nothing was written.
    /// </exception>
    void Append(AppendBatch batch);

    /// <summary>
    /// Whether <see cref="Append"/> copies what it needs of the entry rows before it returns, so that the writer may
    /// reuse the row objects for later entries (a store that keeps the rows says false).
    /// </summary>
    bool CopiesAppendedRows => false;

    /// <summary>Entries with from &lt;= index &lt; to, in index order, exactly as stored (gaps and duplicates included).</summary>
    IEnumerable<EntryRow> ReadEntries(long from, long to);

    /// <summary>
    /// Every entry, in the order the store keeps them, which is index order unless rows were moved or added outside the
    /// writer: callers check the indexes. A store whose reads in index order cost a sort reads faster this way.
    /// </summary>
    IEnumerable<EntryRow> ReadEntriesAsStored() => ReadEntries(long.MinValue, long.MaxValue);

    /// <summary>
    /// <see cref="ReadEntriesAsStored()"/>, filling rows that <paramref name="next"/> hands out, where the store can,
    /// instead of a new row per entry: a caller that reads millions of entries and is done with each batch of them
    /// hands the same rows out again. Every field of a handed-out row is overwritten.
    /// </summary>
    IEnumerable<EntryRow> ReadEntriesAsStored(Func<EntryRow> next) => ReadEntriesAsStored();

    /// <summary>Entries that match a filter, in index order (descending when <see cref="EntryFilter.Descending"/>).</summary>
    IEnumerable<EntryRow> Query(EntryFilter filter);

    /// <summary>
    /// Flow entries that match a filter (its <see cref="EntryFilter.Limit"/> aside), counted per distinct
    /// (template, src, dst, dst port, ingress, egress): how many entries, how many attempts (the sum of their flow counts,
    /// an entry without one counting 1) and their first and last event times. Only entries whose template is a flow's
    /// (by the template's text) are grouped. <paramref name="grouping"/> narrows the destinations, merges endpoint
    /// fragments under keys and drops the decision sides from the key. Order is not specified. The audit questions read
    /// this instead of every entry, so the store does the counting.
    /// </summary>
    IReadOnlyList<FlowGroup> GroupFlows(EntryFilter filter, FlowGrouping? grouping = null);

    /// <summary>
    /// Recounts the summaries the store keeps beside its entries (what <see cref="GroupFlows"/> reads instead of every
    /// entry) from the entries: null when they agree or the store keeps none, else one line saying what differs.
    /// </summary>
    string? CheckSummaries() => null;

    /// <summary>Every checkpoint in the order they were written.</summary>
    IReadOnlyList<StoredCheckpoint> ReadCheckpoints();

    /// <summary>The recorded hashes of complete subtrees whose start lies in [from, to), by start.</summary>
    IReadOnlyList<SubtreeHash> ReadSubtrees(long from, long to);

    /// <summary>Every recorded cluster snapshot (without its bytes).</summary>
    IReadOnlyList<SnapshotInfo> ReadSnapshots();

    /// <summary>The stored bytes of a snapshot, or null.</summary>
    byte[]? ReadSnapshotContent(string sha256);
}

/// <summary>The log's fixed identity: the checkpoint origin and when the store was created.</summary>
public sealed record LogIdentity(string Origin, DateTimeOffset Created);

/// <summary>The state a writer resumes from; all of it was written by the last committed <see cref="AppendBatch"/>.</summary>
public sealed record LedgerState(LogIdentity Identity, long Size, IReadOnlyList<byte[]> Frontier, int FragmentCount, IReadOnlyDictionary<string, SourcePosition> Sources);

/// <summary>One atomic write: entries and everything that must become durable with them.</summary>
public sealed record AppendBatch
{
    /// <summary>New entries, in index order, continuing the log without holes.</summary>
    public IReadOnlyList<EntryRow> Entries { get; init; } = [];
    /// <summary>Templates first used by these entries (ids continue the stored ones).</summary>
    public IReadOnlyList<Fragment> Fragments { get; init; } = [];
    /// <summary>Hashes of the subtrees these entries completed.</summary>
    public IReadOnlyList<SubtreeHash> Subtrees { get; init; } = [];
    /// <summary>The new positions of the sources these entries were read from.</summary>
    public IReadOnlyList<SourcePosition> Positions { get; init; } = [];
    /// <summary>Checkpoints signed over the log including these entries.</summary>
    public IReadOnlyList<StoredCheckpoint> Checkpoints { get; init; } = [];
    /// <summary>Cluster snapshots recorded with these entries.</summary>
    public IReadOnlyList<StoredSnapshot> Snapshots { get; init; } = [];
    /// <summary>The log size after this batch.</summary>
    public required long Size { get; init; }
    /// <summary>The tree's frontier after this batch (see <see cref="Merkle.TreeBuilder.Frontier"/>).</summary>
    public required IReadOnlyList<byte[]> Frontier { get; init; }
}

/// <summary>
/// How far a source has been read. Key names the source (its path, or "stdin:" and a digest of its start);
/// Fingerprint is the SHA-256 of its first bytes, to notice a file that was replaced; Line is the last line consumed.
/// </summary>
public sealed record SourcePosition(string Key, string Fingerprint, long Line, long Offset, DateTimeOffset Updated);

/// <summary>A signed checkpoint as stored: its sequence number, the tree size it covers and the signed note text.</summary>
public sealed record StoredCheckpoint(long Sequence, long Size, string Note);

/// <summary>The hash of the complete subtree of <see cref="Height"/> that starts at <see cref="Start"/> (2^Height entries).</summary>
public sealed record SubtreeHash(long Start, int Height, byte[] Hash);

/// <summary>A cluster snapshot as recorded: its digest, the entry that recorded it, when it was taken, what it is.</summary>
public sealed record SnapshotInfo(string Sha256, long Entry, DateTimeOffset TakenAt, string Name);

/// <summary>A snapshot with its bytes (gzip-compressed JSON as read), for writing.</summary>
public sealed record StoredSnapshot(SnapshotInfo Info, byte[] Content);

/// <summary>
/// Flow entries with the same template, endpoints, destination port and decision sides, counted
/// (<see cref="ILedgerStore.GroupFlows"/>): <see cref="Attempts"/> sums the entries' flow counts (1 for an entry without one);
/// <see cref="FirstSeen"/> and <see cref="LastSeen"/> are their least and greatest event times (Unix ns).
/// </summary>
public readonly record struct FlowGroup(
    uint Template, uint? Src, uint? Dst, int? DstPort, uint? Ingress, uint? Egress, long Entries, long Attempts, long FirstSeen, long LastSeen);

/// <summary>How <see cref="ILedgerStore.GroupFlows"/> groups, beyond its defaults.</summary>
public sealed record FlowGrouping
{
    /// <summary>Only entries whose dst fragment is one of these (null: any; empty: none).</summary>
    public IReadOnlyCollection<uint>? Destinations { get; init; }

    /// <summary>
    /// Endpoint fragment id → key: src and dst are grouped, and reported, by their key (a fragment not named here by its
    /// own id), so that fragments of one workload count together in the store. Filters apply to the fragments themselves.
    /// </summary>
    public IReadOnlyDictionary<uint, uint>? Endpoints { get; init; }

    /// <summary>Whether ingress and egress are part of the key (false: reported as null).</summary>
    public bool Sides { get; init; } = true;

    /// <summary>Whether first and last seen are computed (false: both reported as 0, a cheaper read).</summary>
    public bool Times { get; init; } = true;
}

/// <summary>What a query asks for; null fields do not filter.</summary>
public sealed record EntryFilter
{
    /// <summary>Entries at or after this time (Unix ns).</summary>
    public long? Since { get; init; }
    /// <summary>Entries before this time (Unix ns).</summary>
    public long? Until { get; init; }
    /// <summary>Only these kinds.</summary>
    public EntryKind? Kind { get; init; }
    /// <summary>Only entries of any of these kinds (with <see cref="Kind"/>, both must hold).</summary>
    public IReadOnlyList<EntryKind>? Kinds { get; init; }
    /// <summary>Either endpoint in this namespace.</summary>
    public string? Namespace { get; init; }
    /// <summary>Either endpoint is this pod (with <see cref="Namespace"/>).</summary>
    public string? Pod { get; init; }
    /// <summary>PolicyTrail's verdict.</summary>
    public EntryVerdict? Verdict { get; init; }
    /// <summary>At most this many entries.</summary>
    public long? Limit { get; init; }
    /// <summary>From this index on.</summary>
    public long? FromIndex { get; init; }
    /// <summary>Every clause must hold (ANDed); each is an OR of fragment-id sets over the row's fragment columns.</summary>
    public IReadOnlyList<FragmentClause>? Clauses { get; init; }
    /// <summary>The destination port lies in any of these ranges (entries without one do not match).</summary>
    public IReadOnlyList<PortRange>? DstPorts { get; init; }
    /// <summary>
    /// Both endpoint fragments (src and dst) have a group here and the two groups differ (e.g. the endpoints' namespaces,
    /// numbered from 0; groups are not negative); entries with an endpoint outside the map do not match.
    /// </summary>
    public IReadOnlyDictionary<uint, int>? SeparateGroups { get; init; }
    /// <summary>Newest index first (with <see cref="Limit"/>: the last entries).</summary>
    public bool Descending { get; init; }
}

/// <summary>A fragment column of an entry row, as <see cref="FragmentTerm"/>s name them.</summary>
public enum FragmentColumn
{
    /// <summary>No column (never matches).</summary>
    None = 0,
    /// <summary>The root template (<see cref="EntryRow.Template"/>).</summary>
    Template,
    /// <summary>The source endpoint (<see cref="EntryRow.Src"/>).</summary>
    Src,
    /// <summary>The destination endpoint (<see cref="EntryRow.Dst"/>).</summary>
    Dst,
    /// <summary>The decision's ingress side (<see cref="EntryRow.Ingress"/>).</summary>
    Ingress,
    /// <summary>The decision's egress side (<see cref="EntryRow.Egress"/>).</summary>
    Egress,
}

/// <summary>One term of a clause: the row's fragment in <see cref="Column"/> is one of <see cref="Ids"/> (a null column never is).</summary>
public sealed record FragmentTerm(FragmentColumn Column, IReadOnlySet<uint> Ids);

/// <summary>A clause of <see cref="EntryFilter.Clauses"/>: it holds when any of its terms does (none: it never holds).</summary>
public sealed record FragmentClause(IReadOnlyList<FragmentTerm> AnyOf)
{
    /// <summary>A clause of one term.</summary>
    public static FragmentClause Of(FragmentColumn column, IReadOnlySet<uint> ids) => new([new FragmentTerm(column, ids)]);
}

/// <summary>An inclusive port range (First &lt;= Last).</summary>
public readonly record struct PortRange(int First, int Last)
{
    /// <summary>Whether the port lies in the range.</summary>
    public bool Contains(int port) => port >= First && port <= Last;
}

/// <summary>
/// A batch was refused because it does not continue the log as the store holds it (another writer appended meanwhile,
/// or the writer's state is stale); the store is unchanged.
/// </summary>
public sealed class LedgerAppendRefusedException(string message) : InvalidOperationException(message);

/// <summary>
/// The store is held by another process (an embedded store has one writer at a time). The message is one line for users,
/// naming the store and, when the backend can tell, the process that holds it.
/// </summary>
public sealed class LedgerStoreLockedException(string message, string store, int? holderProcessId, Exception? inner = null)
    : IOException(message, inner)
{
    /// <summary>The store that could not be opened (its description or path).</summary>
    public string Store { get; } = store;

    /// <summary>The process id of the holder, when the backend reports it.</summary>
    public int? HolderProcessId { get; } = holderProcessId;
}
