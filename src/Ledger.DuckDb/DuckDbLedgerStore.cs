using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Store;

namespace PolicyTrail.Ledger.DuckDb;

/// <summary>
/// The embedded store: one DuckDB file holding one log. Entries are typed integer columns (the raw record's SHA-256 as
/// four UBIGINTs), so DuckDB's column compression keeps a flow entry small; templates, checkpoints, subtree hashes,
/// source positions and snapshots sit in tables beside them, and the writer's resume state in a one-row meta table.
/// One instance is used by one thread at a time; one process writes a file at a time (DuckDB locks it).
/// </summary>
public sealed class DuckDbLedgerStore : ILedgerStore
{
    /// <summary>
    /// DuckDB's buffer pool limit on a writable handle: room to checkpoint row groups of large change bodies (replaying
    /// 200,000 watch events with 64 MB took 9.8-10.1 s against 8.5-9.9 s, slower in two of three pairs).
    /// </summary>
    public const string MemoryLimit = "256MB";

    /// <summary>
    /// The limit for a writer of flows (<c>ingest</c>), whose rows are narrow. The pool keeps the blocks it wrote until
    /// its limit, so with 256 MB an ingest's peak grew until the store reached that size (~4M flows); with this it stops
    /// growing by ~1M. Larger work on the handle (the day summary's recount) spills to disk past the limit.
    /// </summary>
    public const string FlowMemoryLimit = "64MB";

    /// <summary>
    /// DuckDB's threads on a writable handle. A writer's appends and commits run on the caller's thread; with more
    /// threads, DuckDB's workers and the caller poll for tasks (sched_yield), taking CPU from the writer's own threads on a
    /// small machine: ingest and the watch replay both ran faster with 1, and building an older store's day summary at its
    /// first writable open ran slower (docs/PERFORMANCE.md, session 9).
    /// </summary>
    public const int WriterThreads = 1;

    /// <summary>
    /// DuckDB's buffer pool on a read-only handle: the answers group tens of millions of rows in hash tables (a 10M-flow
    /// store's cross-namespace grouping ran out of 256 MB).
    /// </summary>
    public const string QueryMemoryLimit = "1GB";

    /// <summary>
    /// The oldest DuckDB whose storage format a new store is written in. DuckDB writes the 1.0 format unless told
    /// otherwise, and so leaves out the compression methods that came later: with 1.2's, the validity masks of the columns
    /// that a few gap entries leave NULL are compressed (Roaring) instead of stored whole, and a 1M-flow store takes
    /// 240 blocks instead of 246. DuckDB 1.2 or later reads such a store.
    /// </summary>
    public const string StorageCompatibility = "v1.2.0";

    /// <summary>
    /// The block size of a new store file (DuckDB's default is 256 KiB; an existing file keeps its own). Column segments
    /// and small tables take whole blocks, and each automatic checkpoint leaves the blocks of the row group it rewrote
    /// free: with 128 KiB a 1M-flow store took 57.6 MB instead of 64.0 MB, ingest was no slower, and a 10M store took
    /// 578 MB instead of 626 MB (docs/PERFORMANCE.md, session 11). 64 KiB blocks made the files smaller still but ingest
    /// slower.
    /// </summary>
    public const int BlockSize = 128 << 10;

    /// <summary>The layout version this code writes and reads (kept in the meta table).</summary>
    public const int SchemaVersion = 2;

    // Ordered reads go block by block: 2^16 indexes per block, up to 256 blocks per query when matches are sparse.
    private const int BlockBits = 16;
    private const int MaxBlocksPerRead = 256;

    private const string EntryColumnsV1 =
        "idx, template, src, dst, source_ref, event_time, observed_at, window_start, window_end, src_port, dst_port, line, "
        + "sha256_0, sha256_1, sha256_2, sha256_3, flow_count, packet_count, byte_count, leaf_tag, ingress, egress";

    private const string EntryColumns = EntryColumnsV1 + ", body";

    // Layout 1 (before cluster-change entries) had no body column: a read-only open of such a store reads it as null.
    private const string EntryColumnsReadV1 = EntryColumnsV1 + ", NULL::BLOB AS body";

    // Paths this process has open for writing: DuckDB.NET shares one database per file inside a process, so DuckDB's
    // file lock cannot keep a second writer of this process out; this does.
    private static readonly ConcurrentDictionary<string, byte> Writers = new(StringComparer.Ordinal);

    private static readonly string[] Schema =
    [
        """
        CREATE TABLE IF NOT EXISTS meta (
            schema_version INTEGER NOT NULL, origin VARCHAR NOT NULL, created_ticks BIGINT NOT NULL,
            size BIGINT NOT NULL, frontier BLOB NOT NULL, fragment_count INTEGER NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS entries (
            idx BIGINT NOT NULL, template UINTEGER NOT NULL, src UINTEGER, dst UINTEGER, source_ref UINTEGER,
            event_time BIGINT NOT NULL, observed_at BIGINT, window_start BIGINT, window_end BIGINT,
            src_port INTEGER, dst_port INTEGER, line BIGINT,
            sha256_0 UBIGINT, sha256_1 UBIGINT, sha256_2 UBIGINT, sha256_3 UBIGINT,
            flow_count BIGINT, packet_count BIGINT, byte_count BIGINT, leaf_tag UINTEGER NOT NULL,
            ingress UINTEGER, egress UINTEGER, body BLOB)
        """,
        // Templates hold raw 0x01 marker bytes, so the text is a BLOB; the facts are what queries filter on.
        """
        CREATE TABLE IF NOT EXISTS fragments (
            id UINTEGER NOT NULL, text BLOB NOT NULL, kind UTINYINT, verdict UTINYINT NOT NULL, namespace VARCHAR, pod VARCHAR)
        """,
        "CREATE TABLE IF NOT EXISTS checkpoints (sequence BIGINT NOT NULL, size BIGINT NOT NULL, note VARCHAR NOT NULL)",
        "CREATE TABLE IF NOT EXISTS subtrees (start BIGINT NOT NULL, height INTEGER NOT NULL, hash BLOB NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS sources (
            key VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL, line BIGINT NOT NULL, byte_offset BIGINT NOT NULL,
            updated_ticks BIGINT NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS snapshots (
            sha256 VARCHAR NOT NULL, entry BIGINT NOT NULL, taken_at_ticks BIGINT NOT NULL, name VARCHAR NOT NULL,
            content BLOB NOT NULL)
        """,
    ];

    private readonly DuckDBConnection _connection;
    private readonly Dictionary<uint, Fragment> _fragments = [];
    private List<Fragment>? _readOnlyFragments;
    private bool _disposed;
    private int _layout = SchemaVersion;

    private DuckDbLedgerStore(string path, bool readOnly, DuckDBConnection connection)
    {
        Path = path;
        ReadOnly = readOnly;
        _connection = connection;
    }

    /// <summary>The full path of the database file.</summary>
    public string Path { get; }

    /// <summary>Whether the store was opened for reading only.</summary>
    public bool ReadOnly { get; }

    /// <inheritdoc />
    public string Description => $"duckdb {Path}";

    /// <summary>Runs inside <see cref="Append"/> after everything is written and before the commit (tests fail it here).</summary>
    internal Action? BeforeCommit { get; set; }

    /// <summary>
    /// Opens the store in <paramref name="path"/>, creating the file and its tables when new (not when
    /// <paramref name="readOnly"/>: then the file must exist). <paramref name="memoryLimit"/> replaces the handle's
    /// buffer pool limit (<see cref="MemoryLimit"/> or <see cref="QueryMemoryLimit"/>), e.g. with <see cref="FlowMemoryLimit"/>;
    /// <paramref name="threads"/> replaces DuckDB's threads (<see cref="WriterThreads"/> on a writable handle, one per core on a
    /// read-only one, whose queries parallelize). Both settings apply when the process first opens the file: a handle
    /// opened while another to the same file is open shares that one's database and its settings.
    /// </summary>
    /// <exception cref="LedgerStoreLockedException">Another process (or another writer of this one) has the file open for writing.</exception>
    /// <exception cref="InvalidDataException">The file is not a DuckDB database, or not one of PolicyTrail's layout.</exception>
    /// <exception cref="FileNotFoundException">Read-only open of a file that does not exist.</exception>
    public static DuckDbLedgerStore Open(string path, bool readOnly = false, string? memoryLimit = null, int? threads = null)
    {
        if (threads is { } requested)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(requested, 1, nameof(threads));
        }
        var full = System.IO.Path.GetFullPath(path);
        if (readOnly && !File.Exists(full))
        {
            throw new FileNotFoundException($"duckdb store {full} does not exist", full);
        }
        if (!readOnly && !Writers.TryAdd(full, 0))
        {
            throw Locked(full, $"{Environment.ProcessPath} (PID {Environment.ProcessId}, this process)", Environment.ProcessId, null);
        }
        try
        {
            var builder = new DuckDBConnectionStringBuilder
            {
                DataSource = full,
                AccessMode = readOnly ? DuckDBAccessMode.ReadOnly : DuckDBAccessMode.ReadWrite,
                // A store never needs extensions; this machine (and an air-gapped cluster) could not download them anyway.
                AutoinstallKnownExtensions = false,
                AutoloadKnownExtensions = false,
            };
            // DuckDB's buffer pool defaults to 80 % of RAM and keeps every block it touched: bounded, so that memory stays
            // flat however large the store grows (appends and ordered scans need far less).
            builder["memory_limit"] = memoryLimit ?? (readOnly ? QueryMemoryLimit : MemoryLimit);
            if ((threads ?? (readOnly ? null : WriterThreads)) is { } count)
            {
                builder["threads"] = count.ToString(CultureInfo.InvariantCulture);
            }
            if (!readOnly)
            {
                builder["storage_compatibility_version"] = StorageCompatibility;
                builder["default_block_size"] = BlockSize.ToString(CultureInfo.InvariantCulture);
            }
            var connection = new DuckDBConnection(builder.ConnectionString);
            try
            {
                connection.Open();
                var store = new DuckDbLedgerStore(full, readOnly, connection);
                store.PrepareSchema();
                return store;
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }
        catch (DuckDBException e)
        {
            if (!readOnly)
            {
                Writers.TryRemove(full, out _);
            }
            throw Translate(e, full);
        }
        catch
        {
            if (!readOnly)
            {
                Writers.TryRemove(full, out _);
            }
            throw;
        }
    }

    /// <summary>
    /// For a process that appends flows (narrow rows, many small commits): DuckDB keeps the memory it frees for
    /// <see cref="DuckDbAllocator.WriterDecayMilliseconds"/> instead of returning it after a second and faulting it in
    /// again (see <see cref="DuckDbAllocator"/>). Process-wide; false where DuckDB's library has no allocator of its own.
    /// Not for the watch replay: its 1.5 KB bodies make DuckDB free and allocate far more, and the memory kept raised its
    /// peak RSS by hundreds of MB.
    /// </summary>
    public static bool KeepFreedMemory() => DuckDbAllocator.KeepFreedMemory();

    /// <summary>Writes everything in DuckDB's write-ahead log into the database file (DuckDB also does this by itself).</summary>
    public void Checkpoint()
    {
        EnsureWritable();
        Execute("CHECKPOINT");
    }

    /// <inheritdoc />
    public LedgerState? LoadState()
    {
        using var command = Command("SELECT origin, created_ticks, size, frontier, fragment_count FROM meta");
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }
        var identity = new LogIdentity(reader.GetString(0), new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero));
        var size = reader.GetInt64(2);
        var frontierBytes = Blob(reader, 3);
        var fragmentCount = reader.GetInt32(4);
        if (frontierBytes.Length % 32 != 0)
        {
            throw new InvalidDataException($"{Description}: the stored frontier is {frontierBytes.Length} bytes, not a multiple of 32");
        }
        var frontier = new byte[frontierBytes.Length / 32][];
        for (var i = 0; i < frontier.Length; i++)
        {
            frontier[i] = frontierBytes.AsSpan(i * 32, 32).ToArray();
        }
        return new LedgerState(identity, size, frontier, fragmentCount, ReadSources());
    }

    /// <inheritdoc />
    public void Initialize(LogIdentity identity)
    {
        EnsureWritable();
        using var transaction = _connection.BeginTransaction();
        using (var count = Command("SELECT count(*) FROM meta"))
        {
            if (Convert.ToInt64(count.ExecuteScalar(), CultureInfo.InvariantCulture) != 0)
            {
                throw new InvalidOperationException($"{Description} already holds a log");
            }
        }
        using (var insert = Command(
            "INSERT INTO meta VALUES ($version, $origin, $created, 0, ''::BLOB, 0)",
            ("version", SchemaVersion), ("origin", identity.Origin), ("created", identity.Created.UtcTicks)))
        {
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <inheritdoc />
    /// <remarks>
    /// The texts are read each time; a template this handle read before with the same id and bytes is handed back as it
    /// was, so its facts are not parsed again (the audit questions read the templates twice per answer).
    /// </remarks>
    public IReadOnlyList<Fragment> ReadFragments()
    {
        // A read-only handle sees a file no process writes while it is open (DuckDB's lock): read its templates once.
        if (ReadOnly && _readOnlyFragments is { } read)
        {
            return read;
        }
        var fragments = new List<Fragment>();
        using var command = Command("SELECT id, text FROM fragments ORDER BY id, rowid");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var id = reader.GetFieldValue<uint>(0);
            var text = Blob(reader, 1);
            if (!_fragments.TryGetValue(id, out var known) || !known.Text.AsSpan().SequenceEqual(text))
            {
                _fragments[id] = known = new Fragment(id, text);
            }
            fragments.Add(known);
        }
        if (ReadOnly)
        {
            _readOnlyFragments = fragments;
        }
        return fragments;
    }

    /// <inheritdoc />
    /// <remarks>DuckDB's appender copies each value into its own vectors as it is appended.</remarks>
    public bool CopiesAppendedRows => true;

    /// <inheritdoc />
    /// <remarks>
    /// One DuckDB transaction. DuckDB's commit writes the transaction to its write-ahead log and fsyncs it before
    /// returning (WriteAheadLog::Flush → writer->Sync()), so a returned Append survives a crash. Entries go through
    /// DuckDB's appender, which appends within the connection's open transaction and is rolled back with it.
    /// </remarks>
    public void Append(AppendBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        EnsureWritable();
        CheckShape(batch);
        using var transaction = _connection.BeginTransaction();
        try
        {
            var (size, fragmentCount) = ReadCounters();
            if (batch.Entries.Count > 0 && batch.Entries[0].Index != size)
            {
                throw new LedgerAppendRefusedException($"{Description}: the batch starts at entry {batch.Entries[0].Index} but the log holds {size} entries");
            }
            if (batch.Size != size + batch.Entries.Count)
            {
                throw new LedgerAppendRefusedException($"{Description}: the batch says the log will hold {batch.Size} entries, but {size} stored + {batch.Entries.Count} new make {size + batch.Entries.Count}");
            }
            if (batch.Fragments.Count > 0 && batch.Fragments[0].Id != fragmentCount)
            {
                throw new LedgerAppendRefusedException($"{Description}: the batch's templates start at id {batch.Fragments[0].Id} but the store holds {fragmentCount}");
            }
            WriteEntries(batch.Entries);
            WriteFragments(batch.Fragments);
            WriteSubtrees(batch.Subtrees);
            WritePositions(batch.Positions);
            WriteCheckpoints(batch.Checkpoints);
            WriteSnapshots(batch.Snapshots);
            var frontier = new byte[batch.Frontier.Count * 32];
            for (var i = 0; i < batch.Frontier.Count; i++)
            {
                batch.Frontier[i].CopyTo(frontier, i * 32);
            }
            using (var update = Command(
                "UPDATE meta SET size = $size, frontier = $frontier, fragment_count = $fragments",
                ("size", batch.Size), ("frontier", frontier), ("fragments", fragmentCount + batch.Fragments.Count)))
            {
                update.ExecuteNonQuery();
            }
            if (batch.Checkpoints.Count > 0)
            {
                // The day summary follows the log at each checkpoint (every ingest run ends with one), in the same transaction.
                FlowDays.Refresh(_connection, batch.Size, SummaryMinShrink);
            }
            BeforeCommit?.Invoke();
            transaction.Commit();
        }
        catch
        {
            TryRollback(transaction);
            throw;
        }
    }

    /// <inheritdoc />
    public IEnumerable<EntryRow> ReadEntries(long from, long to) => to <= from ? [] : Ranged(from, to - 1, "", [], null);

    /// <inheritdoc />
    /// <remarks>
    /// One streamed scan without ORDER BY: DuckDB keeps insertion order on a plain scan, so rows come in the order they
    /// were appended without the per-block sorts of <see cref="ReadEntries"/>; the connection stays busy until the
    /// enumeration ends.
    /// </remarks>
    public IEnumerable<EntryRow> ReadEntriesAsStored() => ReadEntriesAsStored(static () => new EntryRow());

    /// <inheritdoc />
    public IEnumerable<EntryRow> ReadEntriesAsStored(Func<EntryRow> next)
    {
        ArgumentNullException.ThrowIfNull(next);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return EntryChunkReader.Read(_connection, AllEntriesSql, next, () => ReadEntriesAsStoredByValue(next));
    }

    // Every entry column of every row, in stored order.
    private string AllEntriesSql => $"SELECT {(_layout == 1 ? EntryColumnsReadV1 : EntryColumns)} FROM entries";

    // Value by value through ADO.NET: for results whose column types are not the entry columns' (EntryChunkReader).
    private IEnumerable<EntryRow> ReadEntriesAsStoredByValue(Func<EntryRow> next)
    {
        using var command = Command(AllEntriesSql);
        command.UseStreamingMode = true;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return ReadRow(reader, next());
        }
    }

    /// <inheritdoc />
    public IEnumerable<EntryRow> Query(EntryFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var parameters = new List<(string, object?)>();
        var conditions = Conditions(filter, parameters, null);
        var from = filter.FromIndex ?? long.MinValue;
        return filter.Limit is <= 0 ? [] : Ranged(from, long.MaxValue, conditions, parameters, filter.Limit, filter.Descending);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One GROUP BY over integer columns: DuckDB scans event_time, template, src, dst, dst_port, ingress, egress and
    /// flow_count only, in parallel, and hands back a row per group, however many entries there are.
    /// </remarks>
    public IReadOnlyList<FlowGroup> GroupFlows(EntryFilter filter, FlowGrouping? grouping = null)
    {
        ArgumentNullException.ThrowIfNull(filter);
        grouping ??= new FlowGrouping();
        var groups = new List<FlowGroup>();
        if (grouping.Destinations is { Count: 0 })
        {
            return groups;
        }
        var fragments = ReadFragments();
        var parameters = new List<(string, object?)>();
        // Whole days of the period are read from the day summary (FlowDays) for the entries it covers; the rest of the
        // period, and entries beyond what it covers, from the entries themselves.
        var covered = filter.FromIndex is null && UseFlowDays ? FlowDays.Covered(_connection) : null;
        var days = covered is > 0 ? FlowDays.Split(filter.Since, filter.Until) : null;
        var conditions = new StringBuilder(Conditions(filter with { Since = null, Until = null, SeparateGroups = null }, parameters, fragments));
        // Only flow entries count. Their templates are a large set (an IN list of thousands cost DuckDB half a second over
        // 10M rows), and the other kinds are few entries: they are grouped too and dropped here.
        var flowTemplates = fragments.Where(f => f.Facts.Kind == EntryKind.Flow).Select(f => f.Id).ToHashSet();
        if (grouping.Destinations is { } destinations)
        {
            conditions.Append(" AND dst IN (SELECT unnest(string_split($destinations, ','))::UINTEGER)");
            parameters.Add(("destinations", string.Join(',', destinations.Select(d => d.ToString(CultureInfo.InvariantCulture)))));
        }
        // Fragment → number maps travel as dense lists indexed by fragment id (comma-separated parameters, each read once
        // into a one-row table joined to every row): a lookup is a scalar expression on each row. (The same list as a
        // scalar subquery in the WHERE clause took 0.3 s instead of 0.2 s over 200,000 rows.)
        var joins = new StringBuilder();
        if (filter.SeparateGroups is { } separate)
        {
            if (separate.Count == 0)
            {
                return groups;
            }
            AddSeparateGroups(separate, parameters);
            joins.Append(" CROSS JOIN (SELECT string_split($separateGroups, ',')::INTEGER[] AS n) sg");
            conditions.Append(" AND sg.n[e.src + 1] >= 0 AND sg.n[e.dst + 1] >= 0 AND sg.n[e.src + 1] <> sg.n[e.dst + 1]");
        }
        string src = "e.src", dst = "e.dst";
        if (grouping.Endpoints is { Count: > 0 } endpointKeys)
        {
            parameters.Add(("k", DenseList(endpointKeys, missing: 0u)));
            joins.Append(" CROSS JOIN (SELECT string_split($k, ',')::UINTEGER[] AS k) m");
            (src, dst) = ("coalesce(nullif(m.k[e.src + 1], 0), e.src)", "coalesce(nullif(m.k[e.dst + 1], 0), e.dst)");
        }
        var sides = grouping.Sides ? "ingress AS i, egress AS g" : "NULL::UINTEGER AS i, NULL::UINTEGER AS g";
        var key = $"template, {src} AS s, {dst} AS d, dst_port, {sides}";
        var entriesTimes = grouping.Times ? "min(event_time) AS f, max(event_time) AS l" : "0::BIGINT AS f, 0::BIGINT AS l";
        var raw = new StringBuilder().Append(CultureInfo.InvariantCulture,
            $"SELECT {key}, CAST(count(*) AS BIGINT) AS n, CAST(sum(coalesce(flow_count, 1)) AS BIGINT) AS a, {entriesTimes} FROM entries e{joins} WHERE true{conditions}");
        TimeConditions(filter, raw, parameters);
        if (filter.FromIndex is { } fromIndex)
        {
            raw.Append(" AND idx >= $from");
            parameters.Add(("from", fromIndex));
        }
        if (days is not { } split || covered is not { } coveredSize)
        {
            ReadGroups($"{raw} GROUP BY ALL", parameters, flowTemplates, groups, merge: null);
            return groups;
        }
        // Two reads: the entries outside the summarized days (each part's range a plain comparison, which DuckDB checks
        // against each row group's min and max; an OR of them made it read every row), then the summary's rows, merged
        // into the first read's groups in .NET: the first read is usually empty or small, and grouping the union again in
        // DuckDB cost as much as reading the summary.
        parameters.Add(("covered", coveredSize));
        parameters.Add(("dayStart", split.Start));
        parameters.Add(("firstDay", split.FirstDay));
        var parts = new List<string>
        {
            $"{raw} AND idx >= $covered GROUP BY ALL",
            $"{raw} AND idx < $covered AND event_time < $dayStart GROUP BY ALL",
        };
        var summary = new StringBuilder().Append(CultureInfo.InvariantCulture,
            $"SELECT {key}, CAST(sum(entries) AS BIGINT) AS n, CAST(sum(attempts) AS BIGINT) AS a, ")
            .Append(grouping.Times ? "min(first_seen) AS f, max(last_seen) AS l" : "0::BIGINT AS f, 0::BIGINT AS l")
            .Append(CultureInfo.InvariantCulture, $" FROM flow_days e{joins} WHERE day >= $firstDay{conditions}");
        if (split.LastDay is { } lastDay)
        {
            parameters.Add(("dayEnd", split.End));
            parameters.Add(("lastDay", lastDay));
            parts.Add($"{raw} AND idx < $covered AND event_time >= $dayEnd GROUP BY ALL");
            summary.Append(" AND day < $lastDay");
        }
        // Days the summary leaves to the entries (FlowDays.MinShrink), a part per run of consecutive days.
        foreach (var (first, end) in Runs(FlowDays.Skipped(_connection).Keys.Where(d => d >= split.FirstDay && (split.LastDay is not { } last || d < last))))
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"{raw} AND idx < $covered AND event_time >= {first * FlowDays.DayNanoseconds} AND event_time < {end * FlowDays.DayNanoseconds} GROUP BY ALL"));
        }
        var times = grouping.Times ? "min(f), max(l)" : "0::BIGINT, 0::BIGINT";
        ReadGroups(
            $"SELECT template, s, d, dst_port, i, g, CAST(sum(n) AS BIGINT), CAST(sum(a) AS BIGINT), {times} FROM "
                + $"({string.Join(" UNION ALL ", parts)}) u(template, s, d, dst_port, i, g, n, a, f, l) GROUP BY ALL",
            parameters, flowTemplates, groups, merge: null);
        var outside = groups.Count == 0 ? null : new Dictionary<FlowGroupKey, int>(groups.Count);
        for (var i = 0; i < groups.Count; i++)
        {
            outside![FlowGroupKey.Of(groups[i])] = i;
        }
        ReadGroups($"{summary} GROUP BY ALL", parameters, flowTemplates, groups, outside);
        return groups;
    }

    // Consecutive day numbers as [first, end) runs.
    private static IEnumerable<(long First, long End)> Runs(IEnumerable<long> days)
    {
        long? first = null, end = null;
        foreach (var day in days.Order())
        {
            if (first is not null && day == end)
            {
                end = day + 1;
                continue;
            }
            if (first is { } f)
            {
                yield return (f, end!.Value);
            }
            (first, end) = (day, day + 1);
        }
        if (first is { } last)
        {
            yield return (last, end!.Value);
        }
    }

    // Reads (template, src, dst, dst port, ingress, egress, entries, attempts, first, last) rows of flow templates into
    // groups; a row whose key is in merge is added to the group at that position instead.
    private void ReadGroups(
        string sql, List<(string, object?)> parameters, HashSet<uint> flowTemplates, List<FlowGroup> groups, Dictionary<FlowGroupKey, int>? merge)
    {
        using var command = Command(sql, [.. parameters.Where(p => sql.Contains("$" + p.Item1, StringComparison.Ordinal))]);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (!flowTemplates.Contains(reader.GetFieldValue<uint>(0)))
            {
                continue;
            }
            var group = new FlowGroup(
                reader.GetFieldValue<uint>(0),
                reader.IsDBNull(1) ? null : reader.GetFieldValue<uint>(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<uint>(2),
                reader.IsDBNull(3) ? null : reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<uint>(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<uint>(5),
                reader.GetInt64(6),
                reader.GetInt64(7),
                reader.GetInt64(8),
                reader.GetInt64(9));
            if (merge is not null && merge.TryGetValue(FlowGroupKey.Of(group), out var at))
            {
                var known = groups[at];
                groups[at] = known with
                {
                    Entries = checked(known.Entries + group.Entries),
                    Attempts = checked(known.Attempts + group.Attempts),
                    FirstSeen = Math.Min(known.FirstSeen, group.FirstSeen),
                    LastSeen = Math.Max(known.LastSeen, group.LastSeen),
                };
                continue;
            }
            groups.Add(group);
        }
    }

    private readonly record struct FlowGroupKey(uint Template, uint? Src, uint? Dst, int? DstPort, uint? Ingress, uint? Egress)
    {
        public static FlowGroupKey Of(in FlowGroup g) => new(g.Template, g.Src, g.Dst, g.DstPort, g.Ingress, g.Egress);
    }

    /// <summary>
    /// How many (day, group) keys of the day summary that <see cref="GroupFlows"/> reads differ from a recount of the
    /// entries it covers (0: it is exact), or null when the store has none yet.
    /// </summary>
    public long? FlowSummaryMismatches()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return FlowDays.FindMismatches(_connection);
    }

    /// <inheritdoc />
    public string? CheckSummaries() => FlowSummaryMismatches() is > 0 and var differing
        ? $"the day summary (table flow_days) differs from a recount of the entries in {differing} (day, group) key{(differing == 1 ? "" : "s")}: "
            + "answers read through it are wrong though the entries are intact; delete the row of flow_days_state to have it rebuilt at the next ingest"
        : null;

    /// <summary>The open connection (tests edit tables through it).</summary>
    internal DuckDBConnection Connection => _connection;

    /// <summary>How many times fewer a day's summary rows must be than its entries for the day to be summarized (tests lower it).</summary>
    internal int SummaryMinShrink { get; set; } = FlowDays.MinShrink;

    /// <summary>Whether <see cref="GroupFlows"/> reads whole days from the day summary (tests compare both ways).</summary>
    internal bool UseFlowDays { get; set; } = true;

    // Parameter $separateGroups: each fragment's group as a dense list (-1: none), after checking that no group is negative.
    private static void AddSeparateGroups(IReadOnlyDictionary<uint, int> groups, List<(string, object?)> parameters)
    {
        foreach (var group in groups.Values)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(group, nameof(EntryFilter.SeparateGroups));
        }
        parameters.Add(("separateGroups", DenseList(groups, missing: -1)));
    }

    // A fragment id → number map as a comma-separated list whose element id + 1 is the number for fragment id, and
    // <paramref name="missing"/> where the map has none: fragment ids are dense from 0, so DuckDB indexes it directly.
    private static string DenseList<T>(IReadOnlyDictionary<uint, T> map, T missing)
    {
        var numbers = new T[map.Keys.Max() + 1];
        Array.Fill(numbers, missing);
        foreach (var (id, number) in map)
        {
            numbers[id] = number;
        }
        return string.Join(',', numbers);
    }

    // The filter's period as WHERE conditions (each starting " AND ").
    private static void TimeConditions(EntryFilter filter, StringBuilder conditions, List<(string, object?)> parameters)
    {
        if (filter.Since is { } since)
        {
            conditions.Append(" AND event_time >= $since");
            parameters.Add(("since", since));
        }
        if (filter.Until is { } until)
        {
            conditions.Append(" AND event_time < $until");
            parameters.Add(("until", until));
        }
    }

    // The WHERE conditions (each starting " AND ") of a filter's time, kind, verdict and endpoint fields.
    private string Conditions(EntryFilter filter, List<(string, object?)> parameters, IReadOnlyList<Fragment>? fragments)
    {
        var conditions = new StringBuilder();
        TimeConditions(filter, conditions, parameters);
        // Kind, verdict, namespace and pod come from the templates' own text (what verify checks), not from the derived
        // columns beside it, so that editing those columns cannot hide entries from a query.
        if (filter.Kind is not null || filter.Kinds is not null || filter.Verdict is not null || filter.Namespace is not null || filter.Pod is not null)
        {
            fragments ??= ReadFragments();
            if (filter.Kind is { } kind)
            {
                conditions.Append(" AND template IN ").Append(IdList(fragments.Where(f => f.Facts.Kind == kind)));
            }
            if (filter.Kinds is { } kinds)
            {
                conditions.Append(" AND template IN ").Append(IdList(fragments.Where(f => f.Facts.Kind is { } k && kinds.Contains(k))));
            }
            if (filter.Verdict is { } verdict)
            {
                conditions.Append(" AND template IN ").Append(IdList(fragments.Where(f => f.Facts.Kind is not null && f.Facts.Verdict == verdict)));
            }
            if (filter.Namespace is not null || filter.Pod is not null)
            {
                var endpoints = IdList(fragments.Where(f => f.Facts.Kind is null
                    && (filter.Namespace is null || f.Facts.Namespace == filter.Namespace)
                    && (filter.Pod is null || f.Facts.Pod == filter.Pod)));
                conditions.Append(CultureInfo.InvariantCulture, $" AND (src IN {endpoints} OR dst IN {endpoints})");
            }
        }
        foreach (var clause in filter.Clauses ?? [])
        {
            // A clause is an OR of "column IN (ids)"; a NULL column or an empty set is false, never true.
            var terms = clause.AnyOf.Where(t => t.Ids.Count > 0 && t.Column != FragmentColumn.None)
                .Select(t => $"{ColumnName(t.Column)} IN {IdList(t.Ids)}").ToList();
            conditions.Append(" AND ").Append(terms.Count == 0 ? "FALSE" : $"({string.Join(" OR ", terms)})");
        }
        if (filter.DstPorts is { } ports)
        {
            var ranges = ports.Where(p => p.First <= p.Last).Select(p => p.First == p.Last
                ? string.Create(CultureInfo.InvariantCulture, $"dst_port = {p.First}")
                : string.Create(CultureInfo.InvariantCulture, $"dst_port BETWEEN {p.First} AND {p.Last}")).ToList();
            conditions.Append(" AND ").Append(ranges.Count == 0 ? "FALSE" : $"({string.Join(" OR ", ranges)})");
        }
        if (filter.SeparateGroups is { } groups)
        {
            if (groups.Count == 0)
            {
                conditions.Append(" AND FALSE");
            }
            else
            {
                // The group of each endpoint from a list indexed by fragment id (-1: none; beyond the list: NULL), a
                // one-row subquery DuckDB computes once. Looking groups up in an inline table per row took 40 s on 10M rows.
                AddSeparateGroups(groups, parameters);
                const string Groups = "(SELECT string_split($separateGroups, ',')::INTEGER[])";
                conditions.Append(CultureInfo.InvariantCulture,
                    $" AND {Groups}[src + 1] >= 0 AND {Groups}[dst + 1] >= 0 AND {Groups}[src + 1] <> {Groups}[dst + 1]");
            }
        }
        return conditions.ToString();
    }

    private static string ColumnName(FragmentColumn column) => column switch
    {
        FragmentColumn.Template => "template",
        FragmentColumn.Src => "src",
        FragmentColumn.Dst => "dst",
        FragmentColumn.Ingress => "ingress",
        FragmentColumn.Egress => "egress",
        _ => throw new ArgumentOutOfRangeException(nameof(column), column, "not a fragment column"),
    };

    // Ids inline: DuckDB plans a long IN list as a hash semi-join, and an inline list needs no temporary table, which a
    // read-only connection could not create.
    private static string IdList(IEnumerable<uint> ids)
    {
        var text = string.Join(",", ids.Order().Select(id => id.ToString(CultureInfo.InvariantCulture)));
        return text.Length == 0 ? "(NULL)" : $"({text})";
    }

    private static string IdList(IEnumerable<Fragment> fragments) => IdList(fragments.Select(f => f.Id));

    /// <inheritdoc />
    public IReadOnlyList<StoredCheckpoint> ReadCheckpoints()
    {
        var checkpoints = new List<StoredCheckpoint>();
        using var command = Command("SELECT sequence, size, note FROM checkpoints ORDER BY rowid");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            checkpoints.Add(new StoredCheckpoint(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2)));
        }
        return checkpoints;
    }

    /// <inheritdoc />
    public IReadOnlyList<SubtreeHash> ReadSubtrees(long from, long to)
    {
        var subtrees = new List<SubtreeHash>();
        using var command = Command(
            "SELECT start, height, hash FROM subtrees WHERE start >= $from AND start < $to ORDER BY start, rowid",
            ("from", from), ("to", to));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            subtrees.Add(new SubtreeHash(reader.GetInt64(0), reader.GetInt32(1), Blob(reader, 2)));
        }
        return subtrees;
    }

    /// <inheritdoc />
    public IReadOnlyList<SnapshotInfo> ReadSnapshots()
    {
        var snapshots = new List<SnapshotInfo>();
        using var command = Command("SELECT sha256, entry, taken_at_ticks, name FROM snapshots ORDER BY rowid");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            snapshots.Add(new SnapshotInfo(reader.GetString(0), reader.GetInt64(1), new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero), reader.GetString(3)));
        }
        return snapshots;
    }

    /// <inheritdoc />
    public byte[]? ReadSnapshotContent(string sha256)
    {
        using var command = Command("SELECT content FROM snapshots WHERE sha256 = $sha ORDER BY rowid LIMIT 1", ("sha", sha256));
        using var reader = command.ExecuteReader();
        return reader.Read() ? Blob(reader, 0) : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _connection.Dispose();
        if (!ReadOnly)
        {
            Writers.TryRemove(Path, out _);
        }
    }

    private void PrepareSchema()
    {
        if (ReadOnly)
        {
            using var tables = Command("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = 'meta'");
            if (Convert.ToInt64(tables.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
            {
                throw new InvalidDataException($"{Path} is a DuckDB database but not a PolicyTrail store (it has no meta table)");
            }
        }
        else
        {
            using var transaction = _connection.BeginTransaction();
            foreach (var statement in Schema.Concat(FlowDays.Schema))
            {
                Execute(statement);
            }
            transaction.Commit();
        }
        using var version = Command("SELECT schema_version FROM meta");
        if (version.ExecuteScalar() is not { } value)
        {
            return;
        }
        _layout = Convert.ToInt32(value, CultureInfo.InvariantCulture);
        if (_layout == 1 && !ReadOnly)
        {
            // Layout 2 only adds a column that is null for every entry layout 1 could hold.
            using var transaction = _connection.BeginTransaction();
            Execute("ALTER TABLE entries ADD COLUMN body BLOB");
            Execute("UPDATE meta SET schema_version = 2");
            transaction.Commit();
            _layout = 2;
        }
        if (_layout is not (1 or SchemaVersion))
        {
            throw new InvalidDataException($"{Path} has store layout version {value}; this PolicyTrail reads versions 1 and {SchemaVersion}");
        }
        if (!ReadOnly)
        {
            // A store written before the day summary existed, or whose last batches carried no checkpoint, catches up here.
            using var transaction = _connection.BeginTransaction();
            FlowDays.Refresh(_connection, ReadCounters().Size);
            transaction.Commit();
        }
    }

    private (long Size, int FragmentCount) ReadCounters()
    {
        using var command = Command("SELECT size, fragment_count FROM meta");
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw new InvalidOperationException($"{Description} holds no log yet (Initialize it first)");
        }
        return (reader.GetInt64(0), reader.GetInt32(1));
    }

    private void CheckShape(AppendBatch batch)
    {
        for (var i = 1; i < batch.Entries.Count; i++)
        {
            if (batch.Entries[i].Index != batch.Entries[i - 1].Index + 1)
            {
                throw new LedgerAppendRefusedException($"{Description}: the batch's entry {batch.Entries[i - 1].Index} is followed by {batch.Entries[i].Index}");
            }
        }
        foreach (var row in batch.Entries)
        {
            if (row.Sha256 is { Length: not 32 } sha)
            {
                throw new ArgumentException($"entry {row.Index}: the raw record's SHA-256 is {sha.Length} bytes, not 32", nameof(batch));
            }
        }
        for (var i = 1; i < batch.Fragments.Count; i++)
        {
            if (batch.Fragments[i].Id != batch.Fragments[i - 1].Id + 1)
            {
                throw new LedgerAppendRefusedException($"{Description}: the batch's template {batch.Fragments[i - 1].Id} is followed by {batch.Fragments[i].Id}");
            }
        }
        foreach (var hash in batch.Frontier)
        {
            if (hash.Length != 32)
            {
                throw new ArgumentException($"a frontier hash is {hash.Length} bytes, not 32", nameof(batch));
            }
        }
    }

    private void WriteEntries(IReadOnlyList<EntryRow> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }
        using var appender = _connection.CreateAppender("entries");
        foreach (var row in rows)
        {
            var line = appender.CreateRow()
                .AppendValue(row.Index)
                .AppendValue(row.Template)
                .AppendValue(row.Src)
                .AppendValue(row.Dst)
                .AppendValue(row.SourceRef)
                .AppendValue(row.Time)
                .AppendValue(row.ObservedAt)
                .AppendValue(row.WindowStart)
                .AppendValue(row.WindowEnd)
                .AppendValue(row.SrcPort)
                .AppendValue(row.DstPort)
                .AppendValue(row.Line);
            if (row.Sha256 is { } sha)
            {
                line = line
                    .AppendValue(BinaryPrimitives.ReadUInt64BigEndian(sha.AsSpan(0, 8)))
                    .AppendValue(BinaryPrimitives.ReadUInt64BigEndian(sha.AsSpan(8, 8)))
                    .AppendValue(BinaryPrimitives.ReadUInt64BigEndian(sha.AsSpan(16, 8)))
                    .AppendValue(BinaryPrimitives.ReadUInt64BigEndian(sha.AsSpan(24, 8)));
            }
            else
            {
                line = line.AppendNullValue().AppendNullValue().AppendNullValue().AppendNullValue();
            }
            line.AppendValue(row.Count)
                .AppendValue(row.Packets)
                .AppendValue(row.Bytes)
                .AppendValue(row.LeafTag)
                .AppendValue(row.Ingress)
                .AppendValue(row.Egress)
                .AppendValue(row.Body)
                .EndRow();
        }
    }

    private void WriteFragments(IReadOnlyList<Fragment> fragments)
    {
        if (fragments.Count == 0)
        {
            return;
        }
        using var appender = _connection.CreateAppender("fragments");
        foreach (var fragment in fragments)
        {
            var facts = fragment.Facts;
            appender.CreateRow()
                .AppendValue(fragment.Id)
                .AppendValue(fragment.Text)
                .AppendValue(facts.Kind is { } kind ? (byte)kind : (byte?)null)
                .AppendValue((byte)facts.Verdict)
                .AppendValue(facts.Namespace)
                .AppendValue(facts.Pod)
                .EndRow();
        }
    }

    private void WriteSubtrees(IReadOnlyList<SubtreeHash> subtrees)
    {
        if (subtrees.Count == 0)
        {
            return;
        }
        using var appender = _connection.CreateAppender("subtrees");
        foreach (var subtree in subtrees)
        {
            appender.CreateRow().AppendValue(subtree.Start).AppendValue(subtree.Height).AppendValue(subtree.Hash).EndRow();
        }
    }

    private void WritePositions(IReadOnlyList<SourcePosition> positions)
    {
        foreach (var position in positions)
        {
            using var delete = Command("DELETE FROM sources WHERE key = $key", ("key", position.Key));
            delete.ExecuteNonQuery();
            using var insert = Command(
                "INSERT INTO sources VALUES ($key, $fingerprint, $line, $offset, $updated)",
                ("key", position.Key), ("fingerprint", position.Fingerprint), ("line", position.Line),
                ("offset", position.Offset), ("updated", position.Updated.UtcTicks));
            insert.ExecuteNonQuery();
        }
    }

    private void WriteCheckpoints(IReadOnlyList<StoredCheckpoint> checkpoints)
    {
        foreach (var checkpoint in checkpoints)
        {
            using var insert = Command(
                "INSERT INTO checkpoints VALUES ($sequence, $size, $note)",
                ("sequence", checkpoint.Sequence), ("size", checkpoint.Size), ("note", checkpoint.Note));
            insert.ExecuteNonQuery();
        }
    }

    private void WriteSnapshots(IReadOnlyList<StoredSnapshot> snapshots)
    {
        foreach (var snapshot in snapshots)
        {
            using var insert = Command(
                "INSERT INTO snapshots VALUES ($sha, $entry, $taken, $name, $content)",
                ("sha", snapshot.Info.Sha256), ("entry", snapshot.Info.Entry), ("taken", snapshot.Info.TakenAt.UtcTicks),
                ("name", snapshot.Info.Name), ("content", snapshot.Content));
            insert.ExecuteNonQuery();
        }
    }

    private Dictionary<string, SourcePosition> ReadSources()
    {
        var sources = new Dictionary<string, SourcePosition>(StringComparer.Ordinal);
        using var command = Command("SELECT key, fingerprint, line, byte_offset, updated_ticks FROM sources ORDER BY rowid");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var key = reader.GetString(0);
            sources[key] = new SourcePosition(key, reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), new DateTimeOffset(reader.GetInt64(4), TimeSpan.Zero));
        }
        return sources;
    }

    /// <summary>
    /// Entries with from &lt;= idx &lt;= last matching <paramref name="conditions"/>, in index order. An ORDER BY over
    /// the whole range would sort everything before the first row comes out, so the range is read as ordered queries
    /// over blocks of 2^16 indexes: first the blocks that hold any entry (one pass over the compact idx column, so holes
    /// and a stray far index cost nothing), then a few blocks per query, more when matches are sparse. Each query's rows
    /// are materialized, so memory stays bounded and the connection is free between them.
    /// </summary>
    private IEnumerable<EntryRow> Ranged(long from, long last, string conditions, IReadOnlyList<(string, object?)> parameters, long? limit, bool descending = false)
    {
        var blocks = new List<long>();
        using (var occupied = Command(
            $"SELECT DISTINCT idx >> {BlockBits} AS block FROM entries WHERE idx >= $from AND idx <= $last ORDER BY block",
            ("from", from), ("last", last)))
        using (var reader = occupied.ExecuteReader())
        {
            while (reader.Read())
            {
                blocks.Add(reader.GetInt64(0));
            }
        }
        if (descending)
        {
            blocks.Reverse();
        }
        var remaining = limit ?? long.MaxValue;
        var group = 1;
        var order = descending ? "idx DESC, rowid DESC" : "idx, rowid";
        var sql = $"SELECT {(_layout == 1 ? EntryColumnsReadV1 : EntryColumns)} FROM entries WHERE idx >= $low AND idx <= $high{conditions} ORDER BY {order} LIMIT $limit";
        for (var i = 0; i < blocks.Count && remaining > 0;)
        {
            var j = Math.Min(i + group, blocks.Count) - 1;
            // Descending, blocks run newest first: the blocks i..j span [blocks[j], blocks[i]].
            var (lowBlock, highBlock) = descending ? (blocks[j], blocks[i]) : (blocks[i], blocks[j]);
            // Shifts, not multiplication: the block of long.MaxValue ends exactly at long.MaxValue, negative blocks floor.
            var low = Math.Max(from, lowBlock << BlockBits);
            var high = Math.Min(last, (highBlock << BlockBits) | ((1L << BlockBits) - 1));
            var rows = new List<EntryRow>();
            using (var command = Command(sql, [.. parameters, ("low", low), ("high", high), ("limit", remaining)]))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    rows.Add(ReadRow(reader));
                }
            }
            foreach (var row in rows)
            {
                yield return row;
            }
            remaining -= rows.Count;
            i = j + 1;
            group = rows.Count < (1 << BlockBits) / 4 ? Math.Min(group * 2, MaxBlocksPerRead) : 1;
        }
    }

    private static EntryRow ReadRow(DbDataReader reader) => ReadRow(reader, new EntryRow());

    // Every field is set, so that a row handed back for reuse keeps nothing of the entry it held before.
    private static EntryRow ReadRow(DbDataReader reader, EntryRow row)
    {
        // A NULL in a column the schema declares NOT NULL (only an edit outside PolicyTrail makes one) reads as 0, as in
        // EntryChunkReader: the entry then fails its leaf hash and verify names it.
        row.Index = reader.IsDBNull(0) ? 0 : reader.GetInt64(0);
        row.Template = reader.IsDBNull(1) ? 0 : reader.GetFieldValue<uint>(1);
        row.Src = reader.IsDBNull(2) ? null : reader.GetFieldValue<uint>(2);
        row.Dst = reader.IsDBNull(3) ? null : reader.GetFieldValue<uint>(3);
        row.SourceRef = reader.IsDBNull(4) ? null : reader.GetFieldValue<uint>(4);
        row.Time = reader.IsDBNull(5) ? 0 : reader.GetInt64(5);
        row.ObservedAt = NullableInt64(reader, 6);
        row.WindowStart = NullableInt64(reader, 7);
        row.WindowEnd = NullableInt64(reader, 8);
        row.SrcPort = reader.IsDBNull(9) ? null : reader.GetInt32(9);
        row.DstPort = reader.IsDBNull(10) ? null : reader.GetInt32(10);
        row.Line = NullableInt64(reader, 11);
        row.Count = NullableInt64(reader, 16);
        row.Packets = NullableInt64(reader, 17);
        row.Bytes = NullableInt64(reader, 18);
        row.LeafTag = reader.IsDBNull(19) ? 0 : reader.GetFieldValue<uint>(19);
        row.Ingress = reader.IsDBNull(20) ? null : reader.GetFieldValue<uint>(20);
        row.Egress = reader.IsDBNull(21) ? null : reader.GetFieldValue<uint>(21);
        row.Body = reader.IsDBNull(22) ? null : Blob(reader, 22);
        Span<ulong> parts = stackalloc ulong[4];
        for (var i = 0; i < 4; i++)
        {
            parts[i] = reader.IsDBNull(12 + i) ? 0UL : reader.GetFieldValue<ulong>(12 + i);
        }
        SetSha256(row, !reader.IsDBNull(12), parts);
        return row;
    }

    /// <summary>
    /// The row's SHA-256 from its four stored parts (none when the first is NULL; a part nulled by tampering is 0, so the
    /// leaf hash differs and verify names the entry), in the row's own array when it has one.
    /// </summary>
    internal static void SetSha256(EntryRow row, bool present, ReadOnlySpan<ulong> parts)
    {
        if (!present)
        {
            row.Sha256 = null;
            return;
        }
        var sha = row.Sha256 is { Length: 32 } kept ? kept : new byte[32];
        for (var i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(sha.AsSpan(i * 8, 8), parts[i]);
        }
        row.Sha256 = sha;
    }

    private static long? NullableInt64(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    private static byte[] Blob(DbDataReader reader, int ordinal)
    {
        using var stream = reader.GetStream(ordinal);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private DuckDBCommand Command(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(new DuckDBParameter(name, value));
        }
        return command;
    }

    private void Execute(string sql)
    {
        using var command = Command(sql);
        command.ExecuteNonQuery();
    }

    private void EnsureWritable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (ReadOnly)
        {
            throw new InvalidOperationException($"{Description} was opened read-only");
        }
    }

    private static void TryRollback(DuckDBTransaction transaction)
    {
        try
        {
            transaction.Rollback();
        }
        catch (DuckDBException)
        {
            // The transaction is already gone (DuckDB aborts a transaction whose commit failed); nothing is visible.
        }
        catch (InvalidOperationException)
        {
            // Same, as the ADO.NET layer reports it.
        }
    }

    /// <summary>DuckDB's open errors as one line for users: who holds the file, or what the file is not.</summary>
    private static Exception Translate(DuckDBException e, string path)
    {
        var message = e.Message;
        if (message.Contains("Could not set lock on file", StringComparison.Ordinal))
        {
            // DuckDB: "... Conflicting lock is held in /usr/bin/dotnet (PID 1234) by user root. See also ..."
            var holder = "another process";
            int? pid = null;
            const string HeldIn = "Conflicting lock is held in ";
            var at = message.IndexOf(HeldIn, StringComparison.Ordinal);
            if (at >= 0)
            {
                var rest = message[(at + HeldIn.Length)..];
                var open = rest.IndexOf(" (PID ", StringComparison.Ordinal);
                var close = open < 0 ? -1 : rest.IndexOf(')', open);
                if (open >= 0 && close > open
                    && int.TryParse(rest.AsSpan(open + 6, close - open - 6), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    pid = id;
                    holder = $"{rest[..open]} (PID {id})";
                }
            }
            return Locked(path, holder, pid, e);
        }
        if (message.Contains("not a valid DuckDB database file", StringComparison.Ordinal))
        {
            return new InvalidDataException($"{path} is not a DuckDB database (a PolicyTrail store file was expected)", e);
        }
        return new IOException($"cannot open duckdb store {path}: {FirstLine(message)}", e);
    }

    private static LedgerStoreLockedException Locked(string path, string holder, int? pid, Exception? inner) =>
        new($"duckdb store {path} is in use by {holder}: one process writes an embedded store at a time; "
            + "stop that process, or do this work inside it (policytrail run)", path, pid, inner);

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }
}
