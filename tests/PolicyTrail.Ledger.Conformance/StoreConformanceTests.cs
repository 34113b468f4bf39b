using System.Security.Cryptography;
using System.Text;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Merkle;
using PolicyTrail.Ledger.Store;
using PolicyTrail.Ledger.Writing;
using Xunit;

namespace PolicyTrail.Ledger.Conformance;

/// <summary>
/// What every store backend must do, as facts. A backend's test project derives a class that opens its store; each test
/// gets a new instance of the class, so <see cref="OpenStore"/> must open one fresh, empty location per instance and,
/// called again after the previous store was disposed, reopen that same location.
/// </summary>
public abstract class StoreConformanceTests : IDisposable
{
    private static readonly DateTimeOffset Created = new DateTimeOffset(2026, 11, 27, 9, 30, 15, 123, TimeSpan.Zero).AddTicks(4567);
    private ILedgerStore? _store;

    /// <summary>Opens (the first time: creates) this instance's store.</summary>
    protected abstract ILedgerStore OpenStore();

    /// <summary>The current store, opened on first use.</summary>
    protected ILedgerStore Store => _store ??= OpenStore();

    /// <summary>Disposes the current store and opens the same location again.</summary>
    protected ILedgerStore Reopen()
    {
        _store?.Dispose();
        _store = null;
        return Store;
    }

    /// <summary>The current store, then the same location reopened (the first is disposed before the second opens).</summary>
    protected IEnumerable<ILedgerStore> StoreThenReopened()
    {
        yield return Store;
        yield return Reopen();
    }

    /// <inheritdoc />
    public virtual void Dispose()
    {
        _store?.Dispose();
        _store = null;
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void An_empty_store_has_no_state_and_nothing_to_read()
    {
        Assert.Null(Store.LoadState());
        Assert.Empty(Store.ReadFragments());
        Assert.Empty(Store.ReadEntries(0, 100));
        Assert.Empty(Store.Query(new EntryFilter()));
        Assert.Empty(Store.ReadCheckpoints());
        Assert.Empty(Store.ReadSubtrees(0, long.MaxValue));
        Assert.Empty(Store.ReadSnapshots());
        Assert.Null(Store.ReadSnapshotContent("00"));
        Assert.Null(Reopen().LoadState());
    }

    [Fact]
    public void Initialize_then_LoadState_returns_the_identity_and_an_empty_log_also_after_reopen()
    {
        Store.Initialize(new LogIdentity("example.com/log", Created));
        foreach (var store in StoreThenReopened())
        {
            var state = store.LoadState();
            Assert.NotNull(state);
            Assert.Equal("example.com/log", state.Identity.Origin);
            Assert.Equal(Created, state.Identity.Created);
            Assert.Equal(0, state.Size);
            Assert.Empty(state.Frontier);
            Assert.Equal(0, state.FragmentCount);
            Assert.Empty(state.Sources);
        }
    }

    [Fact]
    public void Every_entry_field_round_trips_including_nulls_and_extremes()
    {
        Store.Initialize(new LogIdentity("example.com/log", Created));
        var rows = new[]
        {
            new EntryRow { Index = 0, Template = 0, Time = 0, LeafTag = 0 },
            new EntryRow
            {
                Index = 1, Template = uint.MaxValue, Src = uint.MaxValue, Dst = 0, SourceRef = uint.MaxValue, Ingress = uint.MaxValue, Egress = 0,
                Time = long.MinValue, ObservedAt = long.MaxValue, WindowStart = long.MinValue, WindowEnd = long.MaxValue,
                SrcPort = 0, DstPort = 0, Line = long.MaxValue, Sha256 = Enumerable.Repeat((byte)0xFF, 32).ToArray(),
                Count = long.MinValue, Packets = 0, Bytes = long.MaxValue, LeafTag = uint.MaxValue,
            },
            new EntryRow
            {
                Index = 2, Template = 7, Src = 1, Dst = uint.MaxValue, SourceRef = 0, Ingress = 5,
                Time = long.MaxValue, ObservedAt = long.MinValue, WindowStart = 0, WindowEnd = -1,
                SrcPort = int.MinValue, DstPort = int.MaxValue, Line = long.MinValue, Sha256 = new byte[32],
                Count = long.MaxValue, Packets = long.MinValue, Bytes = 0, LeafTag = 0x80000001,
            },
            new EntryRow
            {
                Index = 3, Template = 3, Src = 4, Time = 1_764_236_415_123_456_789, ObservedAt = 1_764_236_416_000_000_000,
                SrcPort = 65535, DstPort = 443, Line = 12, Sha256 = SHA256.HashData("raw"u8), Packets = 3, LeafTag = 0xDEADBEEF,
            },
            new EntryRow { Index = 4, Template = 9, Time = 5, Body = "{\"kind\":\"Pod\",\"name\":\"wéb\u0001\"}"u8.ToArray(), LeafTag = 4 },
            new EntryRow { Index = 5, Template = 9, Time = 6, Body = [], LeafTag = 5 },
            new EntryRow { Index = 6, Template = 1, Time = 7, LeafTag = 6 },
            // Twelve bytes or fewer: stores may keep such a value inline.
            new EntryRow { Index = 7, Template = 9, Time = 8, Body = "[1,2]"u8.ToArray(), LeafTag = 7 },
            new EntryRow { Index = 8, Template = 9, Time = 9, Body = "[1,2,3,4,5,6]"u8.ToArray(), LeafTag = 8 },
        };
        Store.Append(Batch(rows, size: 9));
        foreach (var store in StoreThenReopened())
        {
            var read = store.ReadEntries(0, 9).ToArray();
            Assert.Equal(rows.Length, read.Length);
            for (var i = 0; i < rows.Length; i++)
            {
                AssertSameRow(rows[i], read[i]);
            }
            // Read as stored into one row handed out again and again: each entry leaves nothing in it for the next
            // (the rows go from no optional field set to all of them, to some, to a body, to none).
            var reused = new EntryRow();
            var asStored = new List<long>();
            foreach (var row in store.ReadEntriesAsStored(() => reused))
            {
                AssertSameRow(rows[row.Index], row);
                asStored.Add(row.Index);
            }
            Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 8], asStored.Order());
        }
    }

    [Fact]
    public void A_store_that_says_it_copies_appended_rows_keeps_what_they_held_when_they_are_filled_again()
    {
        Store.Initialize(new LogIdentity("example.com/log", Created));
        var rows = Rows(0, 3);
        rows[1].Body = "[1,2,3]"u8.ToArray();
        var expected = Rows(0, 3);
        expected[1].Body = "[1,2,3]"u8.ToArray();
        Store.Append(Batch(rows, size: 3));
        if (!Store.CopiesAppendedRows)
        {
            return;
        }
        // What a writer reusing the rows does to them: every field and the arrays' contents changed in place.
        foreach (var row in rows)
        {
            row.Template += 100;
            row.Src = 999;
            row.Time = -1;
            row.SrcPort = 1;
            row.LeafTag = 0;
            Array.Fill(row.Sha256!, (byte)0xAB);
            if (row.Body is { } body)
            {
                Array.Fill(body, (byte)'x');
            }
        }
        foreach (var store in StoreThenReopened())
        {
            var read = store.ReadEntries(0, 3).ToArray();
            for (var i = 0; i < expected.Length; i++)
            {
                AssertSameRow(expected[i], read[i]);
            }
        }
    }

    [Fact]
    public void Fragments_round_trip_byte_exact_with_marker_bytes_non_ascii_and_non_utf8()
    {
        Store.Initialize(new LogIdentity("example.com/log", Created));
        var table = new FragmentTable();
        TestTemplates.Root(table, "flow", "allow");
        TestTemplates.Endpoint(table, "shöp", "wéb-1");
        var fragments = table.TakePending()
            .Concat(Enumerable.Range(0, 3).Select(i => new Fragment((uint)(2 + i), TestTemplates.Awkward(i))))
            .Append(new Fragment(5, []))
            .ToArray();
        Store.Append(Batch([], size: 0, fragments: fragments));
        foreach (var store in StoreThenReopened())
        {
            var read = store.ReadFragments();
            Assert.Equal(fragments.Length, read.Count);
            for (var i = 0; i < fragments.Length; i++)
            {
                Assert.Equal(fragments[i].Id, read[i].Id);
                Assert.Equal(fragments[i].Text, read[i].Text);
                Assert.Equal(fragments[i].Facts, read[i].Facts);
            }
            Assert.Equal(fragments.Length, store.LoadState()!.FragmentCount);
        }
        Assert.Contains(EntrySlots.Marker, Store.ReadFragments()[0].Text);
    }

    [Fact]
    public void Positions_checkpoints_subtrees_and_snapshots_are_written_with_their_batch_and_survive_reopen()
    {
        Store.Initialize(new LogIdentity("example.com/log", Created));
        var at = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.FromHours(2)).AddTicks(1);
        var snapshot = new StoredSnapshot(new SnapshotInfo("ab" + new string('0', 62), 1, at, "cluster.json"), [0x1F, 0x8B, 0x00, 0xFF, 0x01]);
        Store.Append(Batch(Rows(0, 2), size: 2) with
        {
            Positions = [new SourcePosition("/var/log/a.jsonl", "fa", 2, 200, at), new SourcePosition("stdin:9f", "fb", 1, 10, at)],
            Checkpoints = [new StoredCheckpoint(0, 2, "example.com/log\n2\nroot\n\n— sig\n")],
            Subtrees = [new SubtreeHash(0, 1, Hash(1))],
            Snapshots = [snapshot],
        });
        Store.Append(Batch(Rows(2, 2), size: 4) with
        {
            Positions = [new SourcePosition("/var/log/a.jsonl", "fa", 4, 400, at.AddSeconds(1))],
            Checkpoints = [new StoredCheckpoint(1, 4, "example.com/log\n4\nroot2\n\n— sig\n")],
            Subtrees = [new SubtreeHash(2, 1, Hash(2)), new SubtreeHash(0, 2, Hash(3))],
        });
        foreach (var store in StoreThenReopened())
        {
            var sources = store.LoadState()!.Sources;
            Assert.Equal(2, sources.Count);
            Assert.Equal(new SourcePosition("/var/log/a.jsonl", "fa", 4, 400, at.AddSeconds(1)), sources["/var/log/a.jsonl"]);
            Assert.Equal(new SourcePosition("stdin:9f", "fb", 1, 10, at), sources["stdin:9f"]);
            Assert.Equal(
                [new StoredCheckpoint(0, 2, "example.com/log\n2\nroot\n\n— sig\n"), new StoredCheckpoint(1, 4, "example.com/log\n4\nroot2\n\n— sig\n")],
                store.ReadCheckpoints());
            var subtrees = store.ReadSubtrees(0, 4);
            Assert.Equal([(0L, 1), (0L, 2), (2L, 1)], subtrees.Select(s => (s.Start, s.Height)).OrderBy(s => s.Start).ThenBy(s => s.Height));
            Assert.Equal(Hash(2), subtrees.Single(s => s.Start == 2).Hash);
            Assert.Equal([(2L, 1)], store.ReadSubtrees(1, 4).Select(s => (s.Start, s.Height)));
            Assert.Empty(store.ReadSubtrees(3, 100));
            Assert.Equal([snapshot.Info], store.ReadSnapshots());
            Assert.Equal(snapshot.Content, store.ReadSnapshotContent(snapshot.Info.Sha256));
            Assert.Null(store.ReadSnapshotContent("cd" + new string('0', 62)));
        }
    }

    public static TheoryData<string> RefusedBatches => ["gap", "repeat", "wrong-size", "skips-inside", "fragment-gap", "fragment-repeat"];

    [Theory]
    [MemberData(nameof(RefusedBatches))]
    public void A_batch_that_does_not_continue_the_log_is_refused_and_changes_nothing(string how)
    {
        Store.Initialize(new LogIdentity("example.com/log", Created));
        var good = Batch(Rows(0, 3), size: 3, fragments: [new Fragment(0, "{}"u8.ToArray()), new Fragment(1, "[]"u8.ToArray())]);
        Store.Append(good with { Positions = [new SourcePosition("f", "x", 3, 30, Created)], Checkpoints = [new StoredCheckpoint(0, 3, "cp0")] });
        var before = Snapshot(Store);
        var extras = new AppendBatch
        {
            Size = 0,
            Frontier = [Hash(9)],
            Positions = [new SourcePosition("f", "x", 99, 990, Created), new SourcePosition("g", "y", 1, 1, Created)],
            Checkpoints = [new StoredCheckpoint(1, 5, "cp1")],
            Subtrees = [new SubtreeHash(0, 1, Hash(5))],
            Snapshots = [new StoredSnapshot(new SnapshotInfo("ee", 3, Created, "s"), [1, 2, 3])],
        };
        var bad = how switch
        {
            "gap" => extras with { Entries = Rows(4, 2), Size = 6 },
            "repeat" => extras with { Entries = Rows(2, 2), Size = 5 },
            "wrong-size" => extras with { Entries = Rows(3, 2), Size = 6 },
            "skips-inside" => extras with { Entries = [.. Rows(3, 1), .. Rows(5, 1)], Size = 5 },
            "fragment-gap" => extras with { Entries = Rows(3, 1), Size = 4, Fragments = [new Fragment(3, "{}"u8.ToArray())] },
            "fragment-repeat" => extras with { Entries = Rows(3, 1), Size = 4, Fragments = [new Fragment(1, "[1]"u8.ToArray())] },
            _ => throw new ArgumentOutOfRangeException(nameof(how)),
        };
        Assert.Throws<LedgerAppendRefusedException>(() => Store.Append(bad));
        Assert.Equal(before, Snapshot(Store));
        Assert.Equal(before, Snapshot(Reopen()));
        // The store still takes the batch that does continue it.
        Store.Append(Batch(Rows(3, 1), size: 4));
        Assert.Equal(4, Store.LoadState()!.Size);
    }

    [Fact]
    public void ReadEntries_returns_exactly_the_requested_range()
    {
        Store.Initialize(new LogIdentity("example.com/log", Created));
        Store.Append(Batch(Rows(0, 6), size: 6));
        Store.Append(Batch(Rows(6, 4), size: 10));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), Store.ReadEntries(0, 10).Select(r => r.Index));
        Assert.Equal([3L, 4, 5, 6, 7], Store.ReadEntries(3, 8).Select(r => r.Index));
        Assert.Equal([8L, 9], Store.ReadEntries(8, 100).Select(r => r.Index));
        Assert.Equal([0L, 1], Store.ReadEntries(-5, 2).Select(r => r.Index));
        Assert.Empty(Store.ReadEntries(4, 4));
        Assert.Empty(Store.ReadEntries(5, 2));
        Assert.Empty(Store.ReadEntries(10, 20));
        Assert.Equal(10, Store.ReadEntries(0, long.MaxValue).Count());
    }

    [Fact]
    public void Query_filters_on_each_field_and_their_combinations_in_index_order()
    {
        Store.Initialize(new LogIdentity("example.com/log", Created));
        var table = new FragmentTable();
        var allow = TestTemplates.Root(table, "flow", "allow");
        var deny = TestTemplates.Root(table, "flow", "deny");
        var gap = TestTemplates.Root(table, "gap", null);
        var shopWeb = TestTemplates.Endpoint(table, "shop", "web-1");
        var shopDb = TestTemplates.Endpoint(table, "shop", "db-0");
        var bankApi = TestTemplates.Endpoint(table, "bank", "api-2");
        var bankWeb = TestTemplates.Endpoint(table, "bank", "web-1");
        EntryRow Row(long index, uint template, uint? src, uint? dst) =>
            new() { Index = index, Template = template, Src = src, Dst = dst, Time = (index + 1) * 1000, LeafTag = (uint)index };
        Store.Append(Batch(
            [
                Row(0, allow, shopWeb, shopDb),
                Row(1, deny, bankApi, shopDb),
                Row(2, gap, null, null),
                Row(3, allow, bankWeb, bankApi),
                Row(4, deny, shopWeb, bankWeb),
                Row(5, allow, bankApi, bankApi),
            ],
            size: 6,
            fragments: table.TakePending()));
        foreach (var store in StoreThenReopened())
        {
            long[] Indexes(EntryFilter filter) => store.Query(filter).Select(r => r.Index).ToArray();
            Assert.Equal([0L, 1, 2, 3, 4, 5], Indexes(new EntryFilter()));
            Assert.Equal([1L, 2, 3, 4, 5], Indexes(new EntryFilter { Since = 2000 }));
            Assert.Equal([0L, 1, 2], Indexes(new EntryFilter { Until = 4000 }));
            Assert.Equal([1L, 2, 3], Indexes(new EntryFilter { Since = 2000, Until = 5000 }));
            Assert.Equal([2L], Indexes(new EntryFilter { Kind = EntryKind.Gap }));
            Assert.Equal([0L, 1, 3, 4, 5], Indexes(new EntryFilter { Kind = EntryKind.Flow }));
            Assert.Empty(Indexes(new EntryFilter { Kind = EntryKind.PolicyChange }));
            Assert.Equal([1L, 4], Indexes(new EntryFilter { Verdict = EntryVerdict.Deny }));
            Assert.Equal([0L, 3, 5], Indexes(new EntryFilter { Verdict = EntryVerdict.Allow }));
            Assert.Equal([0L, 1, 4], Indexes(new EntryFilter { Namespace = "shop" }));
            Assert.Equal([1L, 3, 4, 5], Indexes(new EntryFilter { Namespace = "bank" }));
            Assert.Equal([3L, 4], Indexes(new EntryFilter { Namespace = "bank", Pod = "web-1" }));
            Assert.Equal([0L, 4], Indexes(new EntryFilter { Namespace = "shop", Pod = "web-1" }));
            Assert.Empty(Indexes(new EntryFilter { Namespace = "nowhere" }));
            Assert.Equal([1L, 4], Indexes(new EntryFilter { Namespace = "shop", Verdict = EntryVerdict.Deny }));
            Assert.Equal([4L], Indexes(new EntryFilter { Namespace = "shop", Verdict = EntryVerdict.Deny, Since = 3000 }));
            Assert.Equal([0L, 1], Indexes(new EntryFilter { Limit = 2 }));
            Assert.Empty(Indexes(new EntryFilter { Limit = 0 }));
            Assert.Equal([3L, 4, 5], Indexes(new EntryFilter { FromIndex = 3 }));
            Assert.Equal([3L], Indexes(new EntryFilter { FromIndex = 1, Verdict = EntryVerdict.Allow, Limit = 1 }));
            Assert.Equal([3L, 5], Indexes(new EntryFilter { FromIndex = 1, Verdict = EntryVerdict.Allow, Namespace = "bank", Kind = EntryKind.Flow }));
            var full = store.Query(new EntryFilter { Namespace = "bank", Pod = "api-2", Verdict = EntryVerdict.Allow }).ToArray();
            Assert.Equal([3L, 5], full.Select(r => r.Index));
            Assert.Equal(bankWeb, full[0].Src);
            Assert.Equal(4000, full[0].Time);
        }
    }

    [Fact]
    public void Query_applies_fragment_clauses_port_ranges_separate_groups_and_descending_order()
    {
        Store.Initialize(new LogIdentity("example.com/log", Created));
        var table = new FragmentTable();
        var allow = TestTemplates.Root(table, "flow", "allow");
        var deny = TestTemplates.Root(table, "flow", "deny");
        var gap = TestTemplates.Root(table, "gap", null);
        var shopWeb = TestTemplates.Endpoint(table, "shop", "web-1");
        var shopDb = TestTemplates.Endpoint(table, "shop", "db-0");
        var bankApi = TestTemplates.Endpoint(table, "bank", "api-2");
        var side = TestTemplates.SourceRef(table, "side-a");
        var other = TestTemplates.SourceRef(table, "side-b");
        EntryRow Row(long index, uint template, uint? src, uint? dst, int? port, uint? ingress = null, uint? egress = null) =>
            new() { Index = index, Template = template, Src = src, Dst = dst, DstPort = port, Ingress = ingress, Egress = egress, Time = (index + 1) * 1000, LeafTag = (uint)index };
        Store.Append(Batch(
            [
                Row(0, allow, shopWeb, shopDb, 5432, ingress: side, egress: other),
                Row(1, deny, bankApi, shopDb, 5432, ingress: other, egress: other),
                Row(2, gap, null, null, null),
                Row(3, allow, shopWeb, bankApi, 443, ingress: other, egress: side),
                Row(4, deny, shopDb, shopWeb, 8080),
                Row(5, allow, bankApi, bankApi, 443),
            ],
            size: 6,
            fragments: table.TakePending()));
        static HashSet<uint> Ids(params uint[] ids) => [.. ids];
        foreach (var store in StoreThenReopened())
        {
            long[] Indexes(EntryFilter filter) => store.Query(filter).Select(r => r.Index).ToArray();
            var fromShop = FragmentClause.Of(FragmentColumn.Src, Ids(shopWeb, shopDb));
            Assert.Equal([0L, 3, 4], Indexes(new EntryFilter { Clauses = [fromShop] }));
            Assert.Equal([4L], Indexes(new EntryFilter { Clauses = [fromShop, FragmentClause.Of(FragmentColumn.Template, Ids(deny))] }));
            Assert.Equal([0L, 1, 3], Indexes(new EntryFilter { Clauses = [new FragmentClause([new(FragmentColumn.Dst, Ids(shopDb)), new(FragmentColumn.Egress, Ids(side))])] }));
            Assert.Equal([0L, 3], Indexes(new EntryFilter { Clauses = [new FragmentClause([new(FragmentColumn.Ingress, Ids(side)), new(FragmentColumn.Egress, Ids(side))])] }));
            Assert.Empty(Indexes(new EntryFilter { Clauses = [FragmentClause.Of(FragmentColumn.Src, Ids())] }));
            Assert.Empty(Indexes(new EntryFilter { Clauses = [new FragmentClause([])] }));
            Assert.Equal([2L], Indexes(new EntryFilter { Clauses = [FragmentClause.Of(FragmentColumn.Template, Ids(gap))] }));
            Assert.Equal([0L, 1], Indexes(new EntryFilter { DstPorts = [new PortRange(5432, 5432)] }));
            Assert.Equal([0L, 1, 3, 5], Indexes(new EntryFilter { DstPorts = [new PortRange(400, 500), new PortRange(5000, 6000)] }));
            Assert.Equal([4L], Indexes(new EntryFilter { DstPorts = [new PortRange(8000, 9000)], Clauses = [fromShop] }));
            Assert.Empty(Indexes(new EntryFilter { DstPorts = [] }));
            var namespaces = new Dictionary<uint, int> { [shopWeb] = 1, [shopDb] = 1, [bankApi] = 2 };
            Assert.Equal([1L, 3], Indexes(new EntryFilter { SeparateGroups = namespaces }));
            Assert.Empty(Indexes(new EntryFilter { SeparateGroups = new Dictionary<uint, int> { [shopWeb] = 1, [shopDb] = 2 }, Clauses = [FragmentClause.Of(FragmentColumn.Template, Ids(allow))], Since = 2000 }));
            Assert.Equal([5L, 4, 3, 2, 1, 0], Indexes(new EntryFilter { Descending = true }));
            Assert.Equal([5L, 3], Indexes(new EntryFilter { Descending = true, Clauses = [FragmentClause.Of(FragmentColumn.Template, Ids(allow))], Limit = 2 }));
            Assert.Equal([4L, 3], Indexes(new EntryFilter { Descending = true, FromIndex = 3, Until = 6000 }));
        }
    }

    [Fact]
    public void GroupFlows_counts_flow_entries_per_template_endpoints_port_and_sides_with_attempts_and_times()
    {
        Store.Initialize(new LogIdentity("example.com/log", Created));
        var table = new FragmentTable();
        var allow = TestTemplates.Root(table, "flow", "allow");
        var deny = TestTemplates.Root(table, "flow", "deny");
        var gap = TestTemplates.Root(table, "gap", null);
        var shopWeb = TestTemplates.Endpoint(table, "shop", "web-1");
        var shopDb = TestTemplates.Endpoint(table, "shop", "db-0");
        var bankApi = TestTemplates.Endpoint(table, "bank", "api-2");
        EntryRow Row(long index, uint template, uint? src, uint? dst, int? port, long? count, uint? ingress = null) => new()
        {
            Index = index, Template = template, Src = src, Dst = dst, DstPort = port, Count = count, Ingress = ingress, Egress = ingress,
            Time = (index + 1) * 1000, LeafTag = (uint)index,
        };
        Store.Append(Batch(
            [
                Row(0, allow, shopWeb, shopDb, 5432, null),
                Row(1, allow, shopWeb, shopDb, 5432, 7),
                Row(2, gap, null, null, null, 100),
                Row(3, deny, bankApi, shopDb, 5432, null),
                Row(4, allow, shopWeb, shopDb, 443, null),
                Row(5, allow, shopWeb, shopDb, 5432, 2, ingress: 0),
                Row(6, deny, bankApi, shopDb, 5432, 3),
                Row(7, deny, shopWeb, bankApi, null, null),
            ],
            size: 8,
            fragments: table.TakePending()));
        foreach (var store in StoreThenReopened())
        {
            FlowGroup[] Groups(EntryFilter filter, IReadOnlyCollection<uint>? to = null) =>
                [.. store.GroupFlows(filter, new FlowGrouping { Destinations = to }).OrderBy(g => g.FirstSeen)];
            Assert.Equal(
                [
                    new FlowGroup(allow, shopWeb, shopDb, 5432, null, null, 2, 8, 1000, 2000),
                    new FlowGroup(deny, bankApi, shopDb, 5432, null, null, 2, 4, 4000, 7000),
                    new FlowGroup(allow, shopWeb, shopDb, 443, null, null, 1, 1, 5000, 5000),
                    new FlowGroup(allow, shopWeb, shopDb, 5432, 0, 0, 1, 2, 6000, 6000),
                    new FlowGroup(deny, shopWeb, bankApi, null, null, null, 1, 1, 8000, 8000),
                ],
                Groups(new EntryFilter()));
            Assert.Equal([4000L, 8000], Groups(new EntryFilter { Verdict = EntryVerdict.Deny }).Select(g => g.FirstSeen));
            Assert.Equal([2000L, 4000, 5000], Groups(new EntryFilter { Since = 2000, Until = 6000 }).Select(g => g.FirstSeen));
            Assert.Equal([4000L, 8000], Groups(new EntryFilter { Namespace = "bank" }).Select(g => g.FirstSeen));
            Assert.Equal([8000L], Groups(new EntryFilter(), [bankApi]).Select(g => g.FirstSeen));
            Assert.Equal([4000L], Groups(new EntryFilter { Namespace = "bank", Since = 3000, Until = 6000 }, [shopDb, shopWeb]).Select(g => g.FirstSeen));
            Assert.Empty(Groups(new EntryFilter(), []));
            Assert.Empty(Groups(new EntryFilter { Kind = EntryKind.Gap }));
            Assert.Equal([6000L, 7000, 8000], Groups(new EntryFilter { FromIndex = 5, Limit = 1 }).Select(g => g.FirstSeen));

            // Keys merge endpoint fragments (shop's two pods as 1000, bank's as 2000); without sides, ingress and egress drop out.
            var merged = store.GroupFlows(
                new EntryFilter(),
                new FlowGrouping { Endpoints = new Dictionary<uint, uint> { [shopWeb] = 1000, [shopDb] = 1000, [bankApi] = 2000 }, Sides = false });
            Assert.Equal(
                [
                    new FlowGroup(allow, 1000, 1000, 443, null, null, 1, 1, 5000, 5000),
                    new FlowGroup(allow, 1000, 1000, 5432, null, null, 3, 10, 1000, 6000),
                    new FlowGroup(deny, 1000, 2000, null, null, null, 1, 1, 8000, 8000),
                    new FlowGroup(deny, 2000, 1000, 5432, null, null, 2, 4, 4000, 7000),
                ],
                merged.OrderBy(g => g.Template).ThenBy(g => g.Src).ThenBy(g => g.DstPort ?? 0));
            // Separate groups keep the entries between two different ones; an endpoint without one leaves its entries out.
            var keys = new Dictionary<uint, uint> { [shopWeb] = 1000, [shopDb] = 1000, [bankApi] = 2000 };
            var across = store.GroupFlows(
                new EntryFilter { SeparateGroups = new Dictionary<uint, int> { [shopWeb] = 0, [shopDb] = 0, [bankApi] = 1 } },
                new FlowGrouping { Endpoints = keys, Sides = false });
            Assert.Equal(
                [
                    new FlowGroup(deny, 1000, 2000, null, null, null, 1, 1, 8000, 8000),
                    new FlowGroup(deny, 2000, 1000, 5432, null, null, 2, 4, 4000, 7000),
                ],
                across.OrderBy(g => g.Src));
            Assert.Empty(store.GroupFlows(new EntryFilter { SeparateGroups = new Dictionary<uint, int> { [shopWeb] = 0, [shopDb] = 0 } }));
            Assert.Empty(store.GroupFlows(new EntryFilter { SeparateGroups = new Dictionary<uint, int>() }));
            // Without times, first and last seen are 0; the counts are the same.
            Assert.All(store.GroupFlows(new EntryFilter(), new FlowGrouping { Times = false }), g => Assert.Equal((0L, 0L), (g.FirstSeen, g.LastSeen)));
            Assert.Equal(store.GroupFlows(new EntryFilter()).Sum(g => g.Attempts), store.GroupFlows(new EntryFilter(), new FlowGrouping { Times = false }).Sum(g => g.Attempts));
            // Filters apply to the fragments, not to their keys.
            Assert.Equal([2L], store.GroupFlows(new EntryFilter { Namespace = "bank", Verdict = EntryVerdict.Deny },
                new FlowGrouping { Endpoints = new Dictionary<uint, uint> { [shopWeb] = 1000, [shopDb] = 1000, [bankApi] = 1000 } }).Select(g => g.Entries).OrderBy(n => n).TakeLast(1));
        }
    }

    [Fact]
    public void State_after_reopen_is_what_the_last_batch_said()
    {
        Store.Initialize(new LogIdentity("example.com/log", Created));
        Store.Append(Batch(Rows(0, 3), size: 3, fragments: [new Fragment(0, "{}"u8.ToArray())]) with { Frontier = [Hash(1), Hash(2)] });
        var at = Created.AddDays(1);
        Store.Append(Batch(Rows(3, 2), size: 5, fragments: [new Fragment(1, "[]"u8.ToArray()), new Fragment(2, "1"u8.ToArray())]) with
        {
            Frontier = [Hash(3), Hash(4)],
            Positions = [new SourcePosition("node-a:/var/run/cilium/hubble/events.log", "f0", 5, 5000, at)],
        });
        var state = Reopen().LoadState();
        Assert.NotNull(state);
        Assert.Equal(new LogIdentity("example.com/log", Created), state.Identity);
        Assert.Equal(5, state.Size);
        Assert.Equal([Hash(3), Hash(4)], state.Frontier);
        Assert.Equal(3, state.FragmentCount);
        Assert.Equal(new SourcePosition("node-a:/var/run/cilium/hubble/events.log", "f0", 5, 5000, at), Assert.Single(state.Sources).Value);
    }

    [Fact]
    public void A_log_written_by_LedgerWriter_reopens_continues_and_every_stored_entry_rebuilds_to_its_leaf()
    {
        var (signerKey, verifierKey) = NoteKeys.Generate("test");
        using var signer = NoteSigner.FromKey(signerKey);
        var verifier = NoteVerifier.FromKey(verifierKey);
        var policy = new CheckpointPolicy { EveryEntries = 1000, Every = TimeSpan.Zero };
        var leaves = new List<byte[]>();
        var random = new Random(7);

        void Write(LedgerWriter writer, int count, int commitEvery)
        {
            var table = writer.Fragments;
            var roots = new[] { TestTemplates.Root(table, "flow", "allow"), TestTemplates.Root(table, "flow", "deny"), TestTemplates.Root(table, "gap", null) };
            var source = TestTemplates.SourceRef(table, "/var/log/hubble.jsonl");
            for (var i = 0; i < count; i++)
            {
                var endpoint = TestTemplates.Endpoint(table, $"ns-{random.Next(5)}", $"pod-{random.Next(40)}");
                var peer = TestTemplates.Endpoint(table, $"ns-{random.Next(5)}", $"pod-{random.Next(40)}");
                var row = new EntryRow
                {
                    Template = roots[random.Next(roots.Length)],
                    Src = endpoint,
                    Dst = peer,
                    SourceRef = source,
                    Time = 1_764_236_415_000_000_000 + writer.Size * 1_000_000 + random.Next(1000),
                    ObservedAt = 1_764_236_416_000_000_000 + writer.Size * 1_000_000,
                    SrcPort = random.Next(32768, 61000),
                    DstPort = random.Next(2) == 0 ? 443 : 5432,
                    Line = writer.Size + 1,
                    Sha256 = RandomNumberGenerator.GetBytes(32),
                };
                writer.Append(row);
                leaves.Add(MerkleHash.Leaf(writer.CanonicalBytes(row)));
                if ((i + 1) % commitEvery == 0)
                {
                    writer.SetPosition(new SourcePosition("/var/log/hubble.jsonl", "fp", writer.Size, writer.Size * 300, Created));
                    writer.Commit();
                }
            }
            writer.SetPosition(new SourcePosition("/var/log/hubble.jsonl", "fp", writer.Size, writer.Size * 300, Created));
            writer.Commit(checkpoint: true);
        }

        Write(LedgerWriter.Open(Store, signer, "example.com/log", policy), 2500, 700);
        var resumed = LedgerWriter.Open(Reopen(), signer, "ignored.example/log", policy);
        Assert.Equal("example.com/log", resumed.Identity.Origin);
        Assert.Equal(2500, resumed.Size);
        Assert.Equal(2500, resumed.Position("/var/log/hubble.jsonl")?.Line);
        Write(resumed, 1700, 333);

        var store = Reopen();
        var state = store.LoadState()!;
        Assert.Equal(4200, state.Size);
        var fragments = new FragmentTable(store.ReadFragments());
        Assert.Equal(state.FragmentCount, fragments.Count);
        var tree = new TreeBuilder();
        var chunk = new TreeBuilder();
        var subtrees = store.ReadSubtrees(0, state.Size).ToDictionary(s => s.Start);
        long expected = 0;
        foreach (var row in store.ReadEntries(0, state.Size))
        {
            Assert.Equal(expected, row.Index);
            var leaf = MerkleHash.Leaf(EntryTemplates.Rebuild(row, fragments));
            Assert.Equal(leaves[(int)expected], leaf);
            Assert.Equal(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(leaf), row.LeafTag);
            tree.Append(leaf);
            chunk.Append(leaf);
            if (chunk.Size == 1 << LedgerWriter.SubtreeHeight)
            {
                Assert.Equal(chunk.Root(), subtrees[expected + 1 - chunk.Size].Hash);
                chunk = new TreeBuilder();
            }
            expected++;
        }
        Assert.Equal(4200, expected);
        Assert.Equal(4, subtrees.Count);
        Assert.Equal(state.Frontier, tree.Frontier);

        var checkpoints = store.ReadCheckpoints();
        Assert.Equal(Enumerable.Range(0, checkpoints.Count).Select(i => (long)i), checkpoints.Select(c => c.Sequence));
        Assert.Equal([1400L, 2500, 3832, 4200], checkpoints.Select(c => c.Size));
        Assert.Equal(4200, checkpoints[^1].Size);
        foreach (var checkpoint in checkpoints)
        {
            var opened = SignedNote.Open(Encoding.UTF8.GetBytes(checkpoint.Note), verifier);
            Assert.True(opened.IsVerified, opened.FailureReason);
            var parsed = Checkpoint.Parse(opened.Text!);
            Assert.Equal(checkpoint.Size, parsed.Size);
            var prefix = new TreeBuilder();
            foreach (var leaf in leaves.Take((int)checkpoint.Size))
            {
                prefix.Append(leaf);
            }
            Assert.Equal(prefix.Root(), parsed.RootHash);
        }

        // The verifier and the prover work through the contract alone.
        var verified = Verification.LedgerVerifier.Verify(store, verifier);
        Assert.True(verified.Intact, verified.Problem);
        Assert.Equal(4200, verified.Entries);
        Assert.Equal(tree.Root(), verified.Root);
        foreach (var index in new long[] { 0, 1023, 1024, 2500, 4199 })
        {
            var proof = Verification.InclusionProof.Create(store, index);
            var check = Verification.InclusionProof.Parse(proof.ToJson()).Verify(verifier);
            Assert.True(check.IsValid, check.FailureReason);
        }
    }

    /// <summary>Rows with consecutive indexes and distinct values.</summary>
    protected static EntryRow[] Rows(long from, int count) =>
        Enumerable.Range(0, count).Select(i => new EntryRow
        {
            Index = from + i,
            Template = (uint)(i % 3),
            Src = (uint)(10 + i),
            Dst = i % 2 == 0 ? null : 20u,
            Time = 1_000_000_000L * (from + i),
            SrcPort = 40000 + i,
            DstPort = 80,
            Sha256 = Hash((int)(from + i)),
            LeafTag = unchecked((uint)(from + i) * 2654435761u),
        }).ToArray();

    /// <summary>A batch of these rows with a made-up frontier.</summary>
    protected static AppendBatch Batch(IReadOnlyList<EntryRow> rows, long size, IReadOnlyList<Fragment>? fragments = null) => new()
    {
        Entries = rows,
        Fragments = fragments ?? [],
        Size = size,
        Frontier = size == 0 ? [] : [Hash((int)size)],
    };

    /// <summary>A distinct 32-byte value.</summary>
    protected static byte[] Hash(int seed) => SHA256.HashData(BitConverter.GetBytes(seed));

    /// <summary>Asserts that two rows hold the same values in every field.</summary>
    protected static void AssertSameRow(EntryRow expected, EntryRow actual)
    {
        Assert.Equal(expected.Index, actual.Index);
        Assert.Equal(expected.Template, actual.Template);
        Assert.Equal(expected.Src, actual.Src);
        Assert.Equal(expected.Dst, actual.Dst);
        Assert.Equal(expected.SourceRef, actual.SourceRef);
        Assert.Equal(expected.Ingress, actual.Ingress);
        Assert.Equal(expected.Egress, actual.Egress);
        Assert.Equal(expected.Body, actual.Body);
        Assert.Equal(expected.Time, actual.Time);
        Assert.Equal(expected.ObservedAt, actual.ObservedAt);
        Assert.Equal(expected.WindowStart, actual.WindowStart);
        Assert.Equal(expected.WindowEnd, actual.WindowEnd);
        Assert.Equal(expected.SrcPort, actual.SrcPort);
        Assert.Equal(expected.DstPort, actual.DstPort);
        Assert.Equal(expected.Line, actual.Line);
        Assert.Equal(expected.Sha256, actual.Sha256);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Packets, actual.Packets);
        Assert.Equal(expected.Bytes, actual.Bytes);
        Assert.Equal(expected.LeafTag, actual.LeafTag);
    }

    /// <summary>Everything a store holds, as one comparable string.</summary>
    protected static string Snapshot(ILedgerStore store)
    {
        var text = new StringBuilder();
        var state = store.LoadState();
        text.AppendLine(state is null ? "no state" : $"{state.Identity} size={state.Size} fragments={state.FragmentCount} frontier={string.Join(',', state.Frontier.Select(Convert.ToHexString))}");
        foreach (var (key, position) in (state?.Sources ?? new Dictionary<string, SourcePosition>()).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.AppendLine($"source {key} {position}");
        }
        foreach (var fragment in store.ReadFragments())
        {
            text.AppendLine($"fragment {fragment.Id} {Convert.ToHexString(fragment.Text)}");
        }
        foreach (var row in store.ReadEntries(long.MinValue, long.MaxValue))
        {
            text.AppendLine($"entry {row.Index} {row.Template} {row.Src} {row.Dst} {row.Time} {row.SrcPort} {row.DstPort} {(row.Sha256 is null ? "-" : Convert.ToHexString(row.Sha256))} {row.LeafTag}");
        }
        foreach (var checkpoint in store.ReadCheckpoints())
        {
            text.AppendLine($"checkpoint {checkpoint}");
        }
        foreach (var subtree in store.ReadSubtrees(long.MinValue, long.MaxValue))
        {
            text.AppendLine($"subtree {subtree.Start} {subtree.Height} {Convert.ToHexString(subtree.Hash)}");
        }
        foreach (var snapshot in store.ReadSnapshots())
        {
            text.AppendLine($"snapshot {snapshot}");
        }
        return text.ToString();
    }
}
