using DuckDB.NET.Data;
using PolicyTrail.Ledger.Conformance;
using PolicyTrail.Ledger.DuckDb.Tests.Support;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Store;

namespace PolicyTrail.Ledger.DuckDb.Tests;

/// <summary>The day summary: grouping through it answers exactly what grouping every entry answers, and verify can tell it was edited.</summary>
public sealed class FlowDaysTests : IDisposable
{
    private const long Day = FlowDays.DayNanoseconds;
    private static readonly long Start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1_000_000;
    private readonly TempStore _file = new();
    private readonly FragmentTable _table = new();
    private readonly Random _random = new(20261127);
    private uint _allow, _deny, _gap;
    private uint[] _pods = [];
    private long _size;

    public void Dispose() => _file.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(FlowDays.MinShrink)]
    [InlineData(3)]
    public void Grouping_through_the_summary_equals_grouping_every_entry_for_any_period_filter_and_grouping(int minShrink)
    {
        using var store = NewStore();
        store.SummaryMinShrink = minShrink;
        Append(store, 1500, checkpoint: true);
        Append(store, 1500, checkpoint: true);
        // Entries beyond the last checkpoint are not summarized yet; entries of old days arrive late and recount those days.
        Append(store, 700, checkpoint: false);
        Assert.Equal(3000, FlowDays.Covered(Connection(store)));
        CompareManyQueries(store, rounds: 300);

        Append(store, 900, checkpoint: true, late: true);
        Assert.Equal(_size, FlowDays.Covered(Connection(store)));
        Assert.Equal(0, FlowDays.FindMismatches(Connection(store)));
        CompareManyQueries(store, rounds: 300);
    }

    [Fact]
    public void A_store_without_the_summary_gains_it_at_its_next_writable_open_and_reads_it_read_only()
    {
        using (var store = NewStore())
        {
            Append(store, 2000, checkpoint: true);
            Execute(store, "DROP TABLE flow_days; DROP TABLE flow_days_state");
            Assert.Null(FlowDays.Covered(Connection(store)));
            CompareManyQueries(store, rounds: 20);
        }
        using (var reader = DuckDbLedgerStore.Open(_file.Path, readOnly: true))
        {
            // Read-only handles of such a store group every entry.
            Assert.Null(FlowDays.Covered(Connection(reader)));
            Assert.NotEmpty(reader.GroupFlows(new EntryFilter()));
        }
        using (var writer = DuckDbLedgerStore.Open(_file.Path))
        {
            Assert.Equal(2000, FlowDays.Covered(Connection(writer)));
            Assert.Equal(0, FlowDays.FindMismatches(Connection(writer)));
        }
        using var again = DuckDbLedgerStore.Open(_file.Path, readOnly: true);
        CompareManyQueries(again, rounds: 50);
    }

    [Fact]
    public void Emptying_the_state_rebuilds_the_summary_from_the_entries_at_the_next_writable_open()
    {
        using (var store = NewStore())
        {
            Append(store, 1500, checkpoint: true);
            Execute(store, "UPDATE flow_days SET attempts = attempts + 1; DELETE FROM flow_days_state");
        }
        using var reopened = DuckDbLedgerStore.Open(_file.Path);
        Assert.Equal(1500, FlowDays.Covered(reopened.Connection));
        Assert.Equal(0, reopened.FlowSummaryMismatches());
    }

    [Fact]
    public void An_edited_summary_changes_answers_and_is_found_by_recounting()
    {
        using var store = NewStore();
        store.SummaryMinShrink = 1;
        Append(store, 2000, checkpoint: true);
        var whole = new EntryFilter();
        var before = store.GroupFlows(whole).Sum(g => g.Attempts);
        Assert.Equal(1, Execute(store, "UPDATE flow_days SET attempts = attempts + 5 WHERE rowid = (SELECT min(rowid) FROM flow_days WHERE template = " + _allow + ")"));
        // The answer reads the summary (so the edit shows), and the recount finds the one group changed.
        Assert.Equal(before + 5, store.GroupFlows(whole).Sum(g => g.Attempts));
        Assert.Equal(1, store.FlowSummaryMismatches());
        store.UseFlowDays = false;
        Assert.Equal(before, store.GroupFlows(whole).Sum(g => g.Attempts));
    }

    [Theory]
    [InlineData("DELETE FROM flow_days WHERE rowid = (SELECT min(rowid) FROM flow_days)")]
    [InlineData("INSERT INTO flow_days SELECT * FROM flow_days WHERE rowid = (SELECT min(rowid) FROM flow_days)")]
    [InlineData("UPDATE flow_days SET first_seen = first_seen + 1 WHERE rowid = (SELECT max(rowid) FROM flow_days)")]
    [InlineData("UPDATE flow_days SET entries = entries + 1 WHERE rowid = (SELECT max(rowid) FROM flow_days)")]
    [InlineData("UPDATE flow_days SET dst_port = 9 WHERE rowid = (SELECT max(rowid) FROM flow_days)")]
    [InlineData("INSERT INTO flow_days VALUES (20000, 0, 1, 2, 443, NULL, NULL, 1, 1, 1728000000000000000, 1728000000000000000)")]
    public void Any_edit_of_the_summary_is_found(string edit)
    {
        using var store = NewStore();
        store.SummaryMinShrink = 1;
        Append(store, 1000, checkpoint: true);
        Assert.Equal(0, store.FlowSummaryMismatches());
        Assert.Equal(1, Execute(store, edit));
        Assert.InRange(store.FlowSummaryMismatches()!.Value, 1, 2);
    }

    [Fact]
    public void A_day_of_mostly_distinct_flows_is_left_to_the_entries_until_its_entries_double()
    {
        using var store = NewStore();
        // Day 0: 400 entries of 4 groups (summarized); day 1: 400 entries of 400 groups (left to the entries).
        AppendRows(store, checkpoint: true, Enumerable.Range(0, 400).Select(i => (Start + i * 1_000_000_000L, 443 + (i % 4))));
        AppendRows(store, checkpoint: true, Enumerable.Range(0, 400).Select(i => (Start + Day + i * 1_000_000_000L, 1000 + i)));
        var first = Start / Day;
        Assert.Equal([first + 1], FlowDays.Skipped(Connection(store)).Keys);
        Assert.Equal((400L, 400L), FlowDays.Skipped(Connection(store))[first + 1]);
        Assert.Equal(0, store.FlowSummaryMismatches());
        CompareManyQueries(store, rounds: 100);

        // 300 more entries of one group: counted, not judged again yet (700 < 2 × 400).
        AppendRows(store, checkpoint: true, Enumerable.Range(0, 300).Select(i => (Start + Day + 500_000_000_000L + i, 443)));
        Assert.Equal((700L, 400L), FlowDays.Skipped(Connection(store))[first + 1]);
        CompareManyQueries(store, rounds: 50);
        // 2,000 more: 2,700 entries in 401 groups, 6.7 a row: the day is summarized from all its entries.
        AppendRows(store, checkpoint: true, Enumerable.Range(0, 2000).Select(i => (Start + Day + 600_000_000_000L + i, 443)));
        Assert.Empty(FlowDays.Skipped(Connection(store)));
        Assert.Equal(0, store.FlowSummaryMismatches());
        CompareManyQueries(store, rounds: 100);

        // Deleting the skip of a day would drop its entries from the answers: the recount sees them missing.
        AppendRows(store, checkpoint: true, Enumerable.Range(0, 100).Select(i => (Start + 2 * Day + i, 2000 + i)));
        Assert.Single(FlowDays.Skipped(Connection(store)));
        Execute(store, "DELETE FROM flow_days_skipped");
        Assert.Equal(100, store.FlowSummaryMismatches());
    }

    [Fact]
    public void Days_are_judged_exactly_near_the_line_and_plainly_distinct_ones_stay_skipped_when_recounted()
    {
        using var store = NewStore();
        var first = Start / Day;
        // Exactly four entries a group (400 in 100) is summarized; one group more (400 in 101) is not.
        AppendRows(store, checkpoint: true, Enumerable.Range(0, 400).Select(i => (Start + i * 1_000_000_000L, 1000 + (i % 100))));
        AppendRows(store, checkpoint: true, Enumerable.Range(0, 400).Select(i => (Start + Day + i * 1_000_000_000L, 1000 + (i % 101))));
        Assert.Equal([first + 1], FlowDays.Skipped(Connection(store)).Keys);
        Assert.Equal((400L, 400L), FlowDays.Skipped(Connection(store))[first + 1]);

        // A day of 5,000 distinct flows, then 5,000 more: judged again at the doubling, and still left to the entries.
        AppendRows(store, checkpoint: true, Enumerable.Range(0, 5000).Select(i => (Start + 2 * Day + i * 1_000_000L, 2000 + i)));
        Assert.Equal((5000L, 5000L), FlowDays.Skipped(Connection(store))[first + 2]);
        AppendRows(store, checkpoint: true, Enumerable.Range(0, 5000).Select(i => (Start + 2 * Day + 10_000_000_000L + i * 1_000_000L, 9000 + i)));
        Assert.Equal((10000L, 10000L), FlowDays.Skipped(Connection(store))[first + 2]);
        Assert.Equal(0, store.FlowSummaryMismatches());
        CompareManyQueries(store, rounds: 100);
    }

    [Theory]
    [InlineData(null, null, 0L, null)]
    [InlineData(0L, Day, 0L, 1L)]
    [InlineData(1L, 2 * Day, 1L, 2L)]
    [InlineData(Day, 2 * Day - 1, null, null)]
    [InlineData(-5 * Day, 3 * Day + 7, 0L, 3L)]
    [InlineData(5L, 0L, null, null)]
    [InlineData(long.MaxValue, null, null, null)]
    public void Split_takes_whole_days_inside_the_period_only(long? since, long? until, long? firstDay, long? lastDay)
    {
        var split = FlowDays.Split(since, until);
        Assert.Equal(firstDay, split?.FirstDay);
        Assert.Equal(lastDay, split?.LastDay);
    }

    private void CompareManyQueries(DuckDbLedgerStore store, int rounds)
    {
        for (var round = 0; round < rounds; round++)
        {
            var filter = RandomFilter();
            var grouping = RandomGrouping();
            store.UseFlowDays = true;
            var summarized = Sorted(store.GroupFlows(filter, grouping));
            store.UseFlowDays = false;
            var counted = Sorted(store.GroupFlows(filter, grouping));
            store.UseFlowDays = true;
            Assert.True(counted.SequenceEqual(summarized), $"round {round}: {filter} {grouping}: {counted.Count} groups counted, {summarized.Count} through the summary");
        }
    }

    private static List<FlowGroup> Sorted(IEnumerable<FlowGroup> groups) =>
        [.. groups.OrderBy(g => g.Template).ThenBy(g => g.Src).ThenBy(g => g.Dst).ThenBy(g => g.DstPort).ThenBy(g => g.Ingress).ThenBy(g => g.Egress)];

    private EntryFilter RandomFilter()
    {
        long? Time() => _random.Next(4) switch
        {
            0 => null,
            1 => Start + _random.Next(-1, 8) * Day,                            // a day's start
            2 => Start + (long)(_random.NextDouble() * 8 * Day) - Day,         // anywhere
            _ => _random.Next(2) == 0 ? -Day / 2 : Start + _random.Next(8) * Day - 1,
        };
        return new EntryFilter
        {
            Since = Time(),
            Until = Time(),
            Verdict = _random.Next(4) == 0 ? EntryVerdict.Deny : null,
            Namespace = _random.Next(5) == 0 ? "shop" : null,
            DstPorts = _random.Next(5) == 0 ? [new PortRange(400, 500)] : null,
            SeparateGroups = _random.Next(5) == 0 ? _pods.Select((p, i) => (p, i % 2)).ToDictionary(x => x.p, x => x.Item2) : null,
            FromIndex = _random.Next(10) == 0 ? _random.Next((int)_size) : null,
        };
    }

    private FlowGrouping RandomGrouping() => new()
    {
        Destinations = _random.Next(5) == 0 ? [_pods[0], _pods[3]] : null,
        Endpoints = _random.Next(3) == 0 ? _pods.Select((p, i) => (p, (uint)(10_000 + i / 2))).ToDictionary(x => x.p, x => x.Item2) : null,
        Sides = _random.Next(2) == 0,
        Times = _random.Next(3) != 0,
    };

    private DuckDbLedgerStore NewStore()
    {
        var store = DuckDbLedgerStore.Open(_file.Path);
        store.Initialize(new LogIdentity("example.com/log", DateTimeOffset.UnixEpoch));
        _allow = TestTemplates.Root(_table, "flow", "allow");
        _deny = TestTemplates.Root(_table, "flow", "deny");
        _gap = TestTemplates.Root(_table, "gap", null);
        _pods = [TestTemplates.Endpoint(_table, "shop", "web-1"), TestTemplates.Endpoint(_table, "shop", "db-0"),
            TestTemplates.Endpoint(_table, "bank", "api-2"), TestTemplates.Endpoint(_table, "bank", "ledger-0")];
        return store;
    }

    // Entries over six days from Start (late: over the first two), with a few before 1970 that are never summarized.
    private void Append(DuckDbLedgerStore store, int count, bool checkpoint, bool late = false)
    {
        var rows = new List<EntryRow>();
        for (var i = 0; i < count; i++)
        {
            var template = _random.Next(20) switch { 0 => _gap, < 6 => _deny, _ => _allow };
            var time = _random.Next(100) == 0 ? -_random.NextInt64(3 * Day) : Start + _random.NextInt64((late ? 2 : 6) * Day);
            rows.Add(new EntryRow
            {
                Index = _size + i,
                Template = template,
                Src = template == _gap ? null : _pods[_random.Next(_pods.Length)],
                Dst = template == _gap ? null : _pods[_random.Next(_pods.Length)],
                DstPort = _random.Next(4) switch { 0 => null, 1 => 443, 2 => 5432, _ => 8080 },
                Count = _random.Next(3) == 0 ? _random.Next(1, 50) : null,
                Ingress = _random.Next(3) == 0 ? (uint)_random.Next(2) : null,
                Egress = _random.Next(3) == 0 ? (uint)_random.Next(2) : null,
                Time = time,
                LeafTag = 1,
            });
        }
        _size += count;
        store.Append(new AppendBatch
        {
            Entries = rows,
            Fragments = _table.TakePending(),
            Checkpoints = checkpoint ? [new StoredCheckpoint(_size, _size, "checkpoint")] : [],
            Size = _size,
            Frontier = [new byte[32]],
        });
    }

    // Allowed flows from web-1 to db-0 at these times and destination ports.
    private void AppendRows(DuckDbLedgerStore store, bool checkpoint, IEnumerable<(long Time, int Port)> flows)
    {
        var rows = flows.Select((f, i) => new EntryRow
        {
            Index = _size + i, Template = _allow, Src = _pods[0], Dst = _pods[1], DstPort = f.Port, Time = f.Time, LeafTag = 1,
        }).ToList();
        _size += rows.Count;
        store.Append(new AppendBatch
        {
            Entries = rows,
            Fragments = _table.TakePending(),
            Checkpoints = checkpoint ? [new StoredCheckpoint(_size, _size, "checkpoint")] : [],
            Size = _size,
            Frontier = [new byte[32]],
        });
    }

    private static DuckDBConnection Connection(DuckDbLedgerStore store) => store.Connection;

    // Runs SQL on the store's own connection (edits behind its back); the rows changed.
    private static int Execute(DuckDbLedgerStore store, string sql)
    {
        using var command = store.Connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }
}
