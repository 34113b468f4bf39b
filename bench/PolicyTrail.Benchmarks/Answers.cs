using System.Diagnostics;
using PolicyTrail.Ledger.DuckDb;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Store;
using PolicyTrail.Query.Answers;

namespace PolicyTrail.Benchmarks;

/// <summary>
/// "answers STORE [rounds] [to]": times the audit questions on an existing store, each on a fresh store handle (as the
/// CLI does): the grouped read alone, then access (to the busiest destination pod, or --to), talkers and denied
/// --cross-namespace, over the whole store and over its last day.
/// </summary>
internal static class Answers
{
    public static int Run(string path, int rounds, string? to)
    {
        using (var probe = DuckDbLedgerStore.Open(path, readOnly: true))
        {
            var fragments = probe.ReadFragments();
            var groups = probe.GroupFlows(new EntryFilter());
            var size = probe.LoadState()?.Size ?? 0;
            var first = groups.Count == 0 ? 0 : groups.Min(g => g.FirstSeen);
            var last = groups.Count == 0 ? 0 : groups.Max(g => g.LastSeen);
            Console.WriteLine($"{path}: {size:N0} entries, {fragments.Count:N0} fragments, {groups.Count:N0} flow groups, {groups.Sum(g => g.Attempts):N0} attempts "
                + $"from {Ledger(first)} to {Ledger(last)}");
            if (to is null)
            {
                var table = new FragmentTable(fragments);
                var busiest = groups.GroupBy(g => g.Dst).OrderByDescending(g => g.Sum(x => x.Attempts)).First().Key!.Value;
                var facts = table[busiest].Facts;
                to = $"pod:{facts.Namespace}/{facts.Pod}";
            }
            var day = last - 86_400_000_000_000L;
            var windows = new (string Name, EntryFilter Filter)[] { ("all", new EntryFilter()), ("last day", new EntryFilter { Since = day }) };
            var target = AccessTarget.Parse(to, out var error) ?? throw new ArgumentException(error);
            for (var round = 0; round < rounds; round++)
            {
                Time("ReadFragments, first on a handle", path, s => s.ReadFragments().Count);
                Time("ReadFragments, twice on a handle", path, s => s.ReadFragments().Count + s.ReadFragments().Count);
                foreach (var (name, filter) in windows)
                {
                    Time($"GroupFlows ({name})", path, s => s.GroupFlows(filter).Count);
                    Time($"access --to {to} ({name})", path, s => new AuditAnswers(s).Access(target, filter).Count);
                    Time($"talkers ({name})", path, s => new AuditAnswers(s).Talkers(filter).Count);
                    Time($"denied --cross-namespace ({name})", path, s => new AuditAnswers(s).Denied(filter, crossNamespace: true).Count);
                }
            }
        }
        return 0;
    }

    private static void Time(string what, string path, Func<ILedgerStore, int> answer)
    {
        var clock = Stopwatch.StartNew();
        using var store = DuckDbLedgerStore.Open(path, readOnly: true);
        var rows = answer(store);
        Console.WriteLine($"{what,-60} {clock.Elapsed.TotalSeconds,6:F2} s  {rows,9:N0} rows");
    }

    private static string Ledger(long unixNanos) => DateTimeOffset.UnixEpoch.AddTicks(unixNanos / 100).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
