using DuckDB.NET.Data;
using PolicyTrail.Ledger.DuckDb.Tests.Support;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Store;

namespace PolicyTrail.Ledger.DuckDb.Tests;

/// <summary>What only the DuckDB store has to get right: its file lock, read-only use, foreign files, its transaction.</summary>
public sealed class DuckDbLedgerStoreTests : IDisposable
{
    private static readonly LogIdentity Identity = new("example.com/log", DateTimeOffset.UnixEpoch);
    private readonly TempStore _file = new();

    public void Dispose() => _file.Dispose();

    [Fact]
    public void A_second_writer_process_is_refused_with_one_line_naming_the_file_and_the_holder()
    {
        using (var store = DuckDbLedgerStore.Open(_file.Path))
        {
            store.Initialize(Identity);
        }
        using var holder = StoreHolder.Start(_file.Path);

        var refused = Assert.Throws<LedgerStoreLockedException>(() => DuckDbLedgerStore.Open(_file.Path));
        Assert.Contains(_file.Path, refused.Message, StringComparison.Ordinal);
        Assert.Contains($"(PID {holder.ProcessId})", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refused.Message);
        Assert.Equal(holder.ProcessId, refused.HolderProcessId);
        Assert.Equal(_file.Path, refused.Store);

        // Readers get the same line rather than DuckDB's text.
        var reader = Assert.Throws<LedgerStoreLockedException>(() => DuckDbLedgerStore.Open(_file.Path, readOnly: true));
        Assert.Equal(holder.ProcessId, reader.HolderProcessId);
    }

    [Fact]
    public void The_file_is_free_again_when_the_holder_closes_it()
    {
        using (StoreHolder.Start(_file.Path))
        {
            Assert.Throws<LedgerStoreLockedException>(() => DuckDbLedgerStore.Open(_file.Path));
        }
        using var store = DuckDbLedgerStore.Open(_file.Path);
        Assert.Null(store.LoadState());
    }

    [Fact]
    public void Each_kind_of_handle_gets_its_buffer_pool_limit_and_a_flow_writer_the_smaller_one()
    {
        static long Limit(DuckDbLedgerStore store)
        {
            using var command = store.Connection.CreateCommand();
            command.CommandText = "SELECT current_setting('memory_limit')";
            return ParseSize((string)command.ExecuteScalar()!);
        }
        using (var writer = DuckDbLedgerStore.Open(_file.Path))
        {
            writer.Initialize(Identity);
            Assert.Equal(ParseSize(DuckDbLedgerStore.MemoryLimit), Limit(writer));
        }
        using (var flows = DuckDbLedgerStore.Open(_file.Path, memoryLimit: DuckDbLedgerStore.FlowMemoryLimit))
        {
            Assert.Equal(ParseSize(DuckDbLedgerStore.FlowMemoryLimit), Limit(flows));
            Assert.True(Limit(flows) < ParseSize(DuckDbLedgerStore.MemoryLimit));
        }
        using var reader = DuckDbLedgerStore.Open(_file.Path, readOnly: true);
        Assert.Equal(ParseSize(DuckDbLedgerStore.QueryMemoryLimit), Limit(reader));
    }

    [Fact]
    public void Writers_run_at_one_thread_readers_at_one_per_core_and_an_explicit_count_wins()
    {
        static long Threads(DuckDbLedgerStore store)
        {
            using var command = store.Connection.CreateCommand();
            command.CommandText = "SELECT current_setting('threads')";
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        using (var writer = DuckDbLedgerStore.Open(_file.Path))
        {
            writer.Initialize(Identity);
            Assert.Equal(DuckDbLedgerStore.WriterThreads, Threads(writer));
        }
        using (var flows = DuckDbLedgerStore.Open(_file.Path, memoryLimit: DuckDbLedgerStore.FlowMemoryLimit))
        {
            Assert.Equal(DuckDbLedgerStore.WriterThreads, Threads(flows));
        }
        using (var three = DuckDbLedgerStore.Open(_file.Path, threads: 3))
        {
            Assert.Equal(3, Threads(three));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => DuckDbLedgerStore.Open(_file.Path, threads: 0));
        using var reader = DuckDbLedgerStore.Open(_file.Path, readOnly: true);
        if (Environment.ProcessorCount > 1)
        {
            Assert.True(Threads(reader) > DuckDbLedgerStore.WriterThreads, $"a reader keeps DuckDB's one thread per core, got {Threads(reader)}");
        }
    }

    // "64MB", "256.0 MiB", "1GB", "953.6 MiB": DuckDB prints decimal and binary units; compared to the MiB.
    private static long ParseSize(string text)
    {
        var match = System.Text.RegularExpressions.Regex.Match(text.Trim(), @"^([0-9.]+)\s*([KMGT]i?B)$");
        Assert.True(match.Success, $"a size: {text}");
        var value = double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var unit = match.Groups[2].Value;
        var power = "KMGT".IndexOf(unit[0], StringComparison.Ordinal) + 1;
        var bytes = value * Math.Pow(unit.Contains('i', StringComparison.Ordinal) ? 1024 : 1000, power);
        return (long)Math.Round(bytes / (1 << 20));
    }

    [Fact]
    public void A_second_writer_in_the_same_process_is_refused()
    {
        using var first = DuckDbLedgerStore.Open(_file.Path);
        var refused = Assert.Throws<LedgerStoreLockedException>(() => DuckDbLedgerStore.Open(_file.Path));
        Assert.Contains("this process", refused.Message, StringComparison.Ordinal);
        first.Dispose();
        using var again = DuckDbLedgerStore.Open(_file.Path);
    }

    [Fact]
    public void Read_only_open_reads_everything_and_refuses_to_write()
    {
        using (var store = DuckDbLedgerStore.Open(_file.Path))
        {
            store.Initialize(Identity);
            store.Append(new AppendBatch
            {
                Entries = [new EntryRow { Index = 0, Template = 0, Time = 5, LeafTag = 9 }],
                Fragments = [new Fragment(0, "{}"u8.ToArray())],
                Size = 1,
                Frontier = [new byte[32]],
            });
        }
        using var reader = DuckDbLedgerStore.Open(_file.Path, readOnly: true);
        using var second = DuckDbLedgerStore.Open(_file.Path, readOnly: true);
        Assert.True(reader.ReadOnly);
        Assert.Equal(1, reader.LoadState()!.Size);
        Assert.Equal(9u, Assert.Single(reader.ReadEntries(0, 1)).LeafTag);
        Assert.Single(second.ReadFragments());
        var refused = Assert.Throws<InvalidOperationException>(() => reader.Append(new AppendBatch { Size = 1, Frontier = [new byte[32]] }));
        Assert.Contains("read-only", refused.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => reader.Initialize(Identity));
    }

    [Fact]
    public void Read_only_open_of_a_missing_file_says_it_does_not_exist_and_creates_nothing()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => DuckDbLedgerStore.Open(_file.Path, readOnly: true));
        Assert.Contains(_file.Path, missing.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_file.Path));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_file_that_is_not_a_DuckDB_database_gives_one_clear_line(bool readOnly)
    {
        File.WriteAllText(_file.Path, "{\"kind\":\"flow\"}\n" + new string('x', 10_000));
        var error = Assert.Throws<InvalidDataException>(() => DuckDbLedgerStore.Open(_file.Path, readOnly));
        Assert.Equal($"{_file.Path} is not a DuckDB database (a PolicyTrail store file was expected)", error.Message);
        // The refusal leaves the file alone and the path free for a later writer of this process.
        Assert.StartsWith("{\"kind\"", File.ReadAllText(_file.Path), StringComparison.Ordinal);
        File.Delete(_file.Path);
        using var store = DuckDbLedgerStore.Open(_file.Path);
    }

    [Fact]
    public void A_DuckDB_file_without_the_store_tables_is_refused_read_only()
    {
        ExecuteSql("CREATE TABLE other (x INTEGER)");
        var error = Assert.Throws<InvalidDataException>(() => DuckDbLedgerStore.Open(_file.Path, readOnly: true));
        Assert.Contains("not a PolicyTrail store", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failure_before_commit_leaves_nothing_not_even_the_appended_entries()
    {
        using (var store = DuckDbLedgerStore.Open(_file.Path))
        {
            store.Initialize(Identity);
            store.BeforeCommit = () => throw new IOException("disk gone");
            var batch = new AppendBatch
            {
                Entries = Enumerable.Range(0, 5000).Select(i => new EntryRow { Index = i, Time = i, LeafTag = (uint)i }).ToArray(),
                Fragments = [new Fragment(0, "{}"u8.ToArray())],
                Positions = [new SourcePosition("f", "x", 1, 1, DateTimeOffset.UnixEpoch)],
                Checkpoints = [new StoredCheckpoint(0, 5000, "cp")],
                Subtrees = [new SubtreeHash(0, 10, new byte[32])],
                Snapshots = [new StoredSnapshot(new SnapshotInfo("aa", 0, DateTimeOffset.UnixEpoch, "s"), [1])],
                Size = 5000,
                Frontier = [new byte[32]],
            };
            Assert.Throws<IOException>(() => store.Append(batch));
            AssertEmptyLog(store);
            store.BeforeCommit = null;
            store.Append(batch);
            Assert.Equal(5000, store.ReadEntries(0, 5000).Count());
        }
    }

    [Fact]
    public void Rows_inserted_duplicated_or_deleted_behind_the_stores_back_are_read_as_they_are()
    {
        WriteLog(5);
        ExecuteSql("""
            INSERT INTO entries (idx, template, event_time, leaf_tag) VALUES (2, 0, 2, 99);
            DELETE FROM entries WHERE idx = 3;
            INSERT INTO entries (idx, template, event_time, leaf_tag) VALUES (9223372036854775807, 0, 0, 7);
            """);
        using var reopened = DuckDbLedgerStore.Open(_file.Path, readOnly: true);
        Assert.Equal([(0L, 0u), (1, 1), (2, 2), (2, 99), (4, 4)], reopened.ReadEntries(0, 5).Select(r => (r.Index, r.LeafTag)));
        Assert.Equal([2L, 2, 4], reopened.ReadEntries(2, long.MaxValue).Select(r => r.Index));
        Assert.Equal([4L, long.MaxValue], reopened.Query(new EntryFilter { FromIndex = 3 }).Select(r => r.Index));
    }

    [Fact]
    public void Read_as_stored_takes_rows_as_they_are_nulls_in_required_columns_as_zero_and_altered_column_types_value_by_value()
    {
        WriteLog(3000);
        ExecuteSql("""
            ALTER TABLE entries ALTER COLUMN template DROP NOT NULL;
            UPDATE entries SET template = NULL, src = 7 WHERE idx = 2500;
            INSERT INTO entries (idx, template, event_time, leaf_tag) VALUES (1, 0, 1, 1);
            """);
        using (var store = DuckDbLedgerStore.Open(_file.Path, readOnly: true))
        {
            // Read in chunks of DuckDB's: every row once, in stored order, the damaged one with template 0.
            var rows = store.ReadEntriesAsStored().Select(r => (r.Index, r.Template, r.Src, r.LeafTag)).ToList();
            Assert.Equal(3001, rows.Count);
            Assert.Equal(Enumerable.Range(0, 3000).Select(i => (long)i).Append(1), rows.Select(r => r.Index));
            Assert.Equal((2500L, 0u, (uint?)7, 2500u), rows[2500]);
            // Value by value, in index order, alike.
            Assert.Equal((0u, (uint?)7), store.ReadEntries(2500, 2501).Select(r => (r.Template, r.Src)).Single());
        }
        ExecuteSql("UPDATE entries SET template = 0 WHERE template IS NULL; ALTER TABLE entries ALTER COLUMN src TYPE BIGINT;");
        using var altered = DuckDbLedgerStore.Open(_file.Path, readOnly: true);
        var reread = altered.ReadEntriesAsStored().Select(r => (r.Index, r.Src)).ToList();
        Assert.Equal(3001, reread.Count);
        Assert.Equal((2500L, (uint?)7), reread[2500]);
    }

    [Fact]
    public void A_layout_1_store_is_read_as_it_is_and_upgraded_when_opened_for_writing()
    {
        WriteLog(3);
        ExecuteSql("ALTER TABLE entries DROP COLUMN body; UPDATE meta SET schema_version = 1;");
        using (var readOnly = DuckDbLedgerStore.Open(_file.Path, readOnly: true))
        {
            Assert.Equal([0L, 1, 2], readOnly.ReadEntries(0, 3).Select(r => r.Index));
            Assert.All(readOnly.ReadEntries(0, 3), r => Assert.Null(r.Body));
        }
        using (var writable = DuckDbLedgerStore.Open(_file.Path))
        {
            writable.Append(new AppendBatch
            {
                Entries = [new EntryRow { Index = 3, Time = 3, LeafTag = 3, Body = "{}"u8.ToArray() }],
                Size = 4,
                Frontier = [new byte[32]],
            });
            Assert.Equal("{}"u8.ToArray(), writable.ReadEntries(3, 4).Single().Body);
        }
        using var check = new DuckDBConnection($"Data Source={_file.Path}");
        check.Open();
        using var version = check.CreateCommand();
        version.CommandText = "SELECT schema_version FROM meta";
        Assert.Equal(DuckDbLedgerStore.SchemaVersion, Convert.ToInt32(version.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void A_new_store_is_written_in_DuckDB_1_2_storage_and_an_older_one_keeps_its_own_and_still_reads()
    {
        WriteLog(3);
        Assert.Equal(65UL, StorageVersion(_file.Path));

        // A store made by a DuckDB that wrote the 1.0 format (storage version 64): appended to, it stays readable and in its format.
        using var older = new TempStore();
        using (var connection = new DuckDBConnection($"Data Source={older.Path}"))
        {
            connection.Open();
        }
        Assert.Equal(64UL, StorageVersion(older.Path));
        using (var store = DuckDbLedgerStore.Open(older.Path))
        {
            store.Initialize(Identity);
            store.Append(new AppendBatch
            {
                Entries = Enumerable.Range(0, 3).Select(i => new EntryRow { Index = i, Time = i, LeafTag = (uint)i, SrcPort = i == 1 ? null : 80 }).ToArray(),
                Size = 3,
                Frontier = [new byte[32]],
            });
        }
        Assert.Equal(64UL, StorageVersion(older.Path));
        using var reread = DuckDbLedgerStore.Open(older.Path, readOnly: true);
        Assert.Equal([80, null, 80], reread.ReadEntries(0, 3).Select(r => r.SrcPort));
    }

    [Fact]
    public void A_new_store_is_written_in_128_KiB_blocks_and_an_older_one_keeps_its_256_KiB()
    {
        WriteLog(3);
        Assert.Equal(128L << 10, BlockSize(_file.Path));

        using var older = new TempStore();
        using (var connection = new DuckDBConnection($"Data Source={older.Path}"))
        {
            connection.Open();
        }
        using (var store = DuckDbLedgerStore.Open(older.Path))
        {
            store.Initialize(Identity);
            store.Append(new AppendBatch
            {
                Entries = Enumerable.Range(0, 3).Select(i => new EntryRow { Index = i, Time = i, LeafTag = (uint)i }).ToArray(),
                Size = 3,
                Frontier = [new byte[32]],
            });
        }
        Assert.Equal(256L << 10, BlockSize(older.Path));
        using var reread = DuckDbLedgerStore.Open(older.Path, readOnly: true);
        Assert.Equal([0L, 1, 2], reread.ReadEntries(0, 3).Select(r => r.Index));
    }

    [Fact]
    public void An_ingest_keeps_DuckDBs_freed_memory_for_seconds_instead_of_returning_it_every_second()
    {
        if (DuckDbAllocator.DecayMilliseconds("arenas.dirty_decay_ms") is null)
        {
            Assert.Skip("this DuckDB library has no jemalloc of its own (DuckDB builds it in on Linux only)");
        }
        Assert.True(DuckDbLedgerStore.KeepFreedMemory());
        WriteLog(3);
        Assert.Equal(DuckDbAllocator.WriterDecayMilliseconds, DuckDbAllocator.DecayMilliseconds("arenas.dirty_decay_ms"));
        Assert.Equal(DuckDbAllocator.WriterDecayMilliseconds, DuckDbAllocator.DecayMilliseconds("arena.0.dirty_decay_ms"));
        Assert.Equal(DuckDbAllocator.WriterDecayMilliseconds, DuckDbAllocator.DecayMilliseconds("arena.0.muzzy_decay_ms"));
    }

    private static long BlockSize(string path)
    {
        using var connection = new DuckDBConnection($"Data Source={path};ACCESS_MODE=READ_ONLY");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT block_size FROM pragma_database_size()";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    // DuckDB's file header: a checksum, "DUCK", then the storage version (little-endian).
    private static ulong StorageVersion(string path)
    {
        var header = new byte[20];
        using (var file = File.OpenRead(path))
        {
            file.ReadExactly(header);
        }
        Assert.Equal("DUCK"u8.ToArray(), header[8..12]);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(12));
    }

    [Fact]
    public void Reads_across_many_chunks_stay_in_index_order()
    {
        using var store = DuckDbLedgerStore.Open(_file.Path);
        store.Initialize(Identity);
        const int Count = 200_000;
        store.Append(new AppendBatch
        {
            Entries = Enumerable.Range(0, Count).Select(i => new EntryRow { Index = i, Time = i, LeafTag = (uint)i }).ToArray(),
            Size = Count,
            Frontier = [new byte[32]],
        });
        long expected = 0;
        foreach (var row in store.ReadEntries(0, Count))
        {
            Assert.Equal(expected++, row.Index);
        }
        Assert.Equal(Count, expected);
        Assert.Equal([199_990L, 199_991], store.Query(new EntryFilter { Since = 199_990, Limit = 2 }).Select(r => r.Index));
    }

    /// <summary>Runs SQL on the store file behind the store's back (as a tamperer would).</summary>
    private void ExecuteSql(string sql)
    {
        using var connection = new DuckDBConnection($"Data Source={_file.Path}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>A new store holding a log of <paramref name="count"/> bare entries (index = time = leaf tag).</summary>
    private void WriteLog(int count)
    {
        using var store = DuckDbLedgerStore.Open(_file.Path);
        store.Initialize(Identity);
        store.Append(new AppendBatch
        {
            Entries = Enumerable.Range(0, count).Select(i => new EntryRow { Index = i, Time = i, LeafTag = (uint)i }).ToArray(),
            Size = count,
            Frontier = [new byte[32]],
        });
    }

    private static void AssertEmptyLog(ILedgerStore store)
    {
        var state = store.LoadState();
        Assert.NotNull(state);
        Assert.Equal(0, state.Size);
        Assert.Empty(state.Sources);
        Assert.Equal(0, state.FragmentCount);
        Assert.Empty(store.ReadEntries(long.MinValue, long.MaxValue));
        Assert.Empty(store.ReadFragments());
        Assert.Empty(store.ReadCheckpoints());
        Assert.Empty(store.ReadSubtrees(long.MinValue, long.MaxValue));
        Assert.Empty(store.ReadSnapshots());
    }
}
