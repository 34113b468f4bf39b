using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Store;

namespace PolicyTrail.Ledger.Tests.Support;

/// <summary>
/// A store in memory for the prover's tests: what LedgerWriter writes and what proving reads. Queries and snapshots
/// belong to the real backends (tested by the conformance suite) and are refused here.
/// </summary>
internal sealed class MemoryLedgerStore : ILedgerStore
{
    private readonly List<EntryRow> _entries = [];
    private readonly List<Fragment> _fragments = [];
    private readonly List<StoredCheckpoint> _checkpoints = [];
    private readonly List<SubtreeHash> _subtrees = [];
    private LedgerState? _state;

    public string Description => "memory";

    /// <summary>How many ReadEntries calls were made (to see that proving many entries reads each chunk once).</summary>
    public int EntryReads { get; private set; }

    /// <summary>Forgets the recorded subtree hashes for which <paramref name="drop"/> holds (a store of an older layout, or a lost row).</summary>
    public void DropSubtrees(Func<SubtreeHash, bool> drop) => _subtrees.RemoveAll(s => drop(s));

    public LedgerState? LoadState() => _state;

    public void Initialize(LogIdentity identity) =>
        _state = new LedgerState(identity, 0, [], 0, new Dictionary<string, SourcePosition>());

    public IReadOnlyList<Fragment> ReadFragments() => [.. _fragments];

    /// <summary>When set, the store keeps copies of the rows it is given and says so (the writer may then reuse them).</summary>
    public bool CopiesAppendedRows { get; init; }

    /// <summary>Runs on the appending thread before each batch is taken (tests hold the writer there, or fail it).</summary>
    public Action<AppendBatch>? BeforeAppend { get; set; }

    /// <summary>The entry count of each batch appended, in the order they came.</summary>
    public List<int> AppendedBatches { get; } = [];

    public void Append(AppendBatch batch)
    {
        BeforeAppend?.Invoke(batch);
        AppendedBatches.Add(batch.Entries.Count);
        _entries.AddRange(CopiesAppendedRows ? batch.Entries.Select(Copy) : batch.Entries);
        _fragments.AddRange(batch.Fragments);
        _subtrees.AddRange(batch.Subtrees);
        _checkpoints.AddRange(batch.Checkpoints);
        _state = _state! with { Size = batch.Size, Frontier = batch.Frontier, FragmentCount = _fragments.Count };
    }

    private static EntryRow Copy(EntryRow r) => new()
    {
        Index = r.Index, Template = r.Template, Src = r.Src, Dst = r.Dst, SourceRef = r.SourceRef, Ingress = r.Ingress, Egress = r.Egress,
        Time = r.Time, ObservedAt = r.ObservedAt, WindowStart = r.WindowStart, WindowEnd = r.WindowEnd, SrcPort = r.SrcPort, DstPort = r.DstPort,
        Line = r.Line, Sha256 = r.Sha256?.ToArray(), Count = r.Count, Packets = r.Packets, Bytes = r.Bytes, Body = r.Body?.ToArray(), LeafTag = r.LeafTag,
    };

    /// <summary>When set, reading entries fails with an IOException when it reaches this index (a disk error mid-read).</summary>
    public long? FailReadingAt { get; set; }

    public IEnumerable<EntryRow> ReadEntries(long from, long to)
    {
        EntryReads++;
        var rows = _entries.Where(e => e.Index >= from && e.Index < to).ToList();
        return FailReadingAt is { } at ? Failing(rows, at) : rows;
    }

    private static IEnumerable<EntryRow> Failing(List<EntryRow> rows, long at)
    {
        foreach (var row in rows)
        {
            if (row.Index == at)
            {
                throw new IOException($"read error at entry {at}");
            }
            yield return row;
        }
    }

    public IEnumerable<EntryRow> Query(EntryFilter filter) => throw new NotSupportedException("the memory store answers no queries");

    public IReadOnlyList<FlowGroup> GroupFlows(EntryFilter filter, FlowGrouping? grouping = null) => throw new NotSupportedException("the memory store answers no queries");

    public IReadOnlyList<StoredCheckpoint> ReadCheckpoints() => [.. _checkpoints];

    public IReadOnlyList<SubtreeHash> ReadSubtrees(long from, long to) => [.. _subtrees.Where(s => s.Start >= from && s.Start < to)];

    public IReadOnlyList<SnapshotInfo> ReadSnapshots() => [];

    public byte[]? ReadSnapshotContent(string sha256) => null;

    public void Dispose()
    {
    }
}
