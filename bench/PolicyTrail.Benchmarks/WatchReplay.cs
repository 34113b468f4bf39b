using System.Diagnostics;
using System.Globalization;
using System.Text;
using PolicyTrail.Identity.History;
using PolicyTrail.Ingest.Changes;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.DuckDb;
using PolicyTrail.Ledger.Writing;

namespace PolicyTrail.Benchmarks;

/// <summary>
/// "watch-replay FILE [events] [seed]": replays N watch events, shaped as the API server streams them (pods with
/// managed fields, container specs, conditions; each pod's life as ADDED Pending → scheduled → Running with its IP →
/// Ready → terminating → DELETED; EndpointSlice updates between), through <see cref="ChangeRecorder"/> into a new
/// DuckDB store, and prints the rate, the store size and peak memory.
/// </summary>
internal static class WatchReplay
{
    public static int Run(string path, int count, int seed)
    {
        foreach (var file in new[] { path, path + ".wal" })
        {
            File.Delete(file);
        }
        var clock = Stopwatch.StartNew();
        var changes = WatchEvents.Generate(count, seed).ToList();
        var generated = clock.Elapsed;
        var bytes = changes.Sum(c => (long)(c.ObjectJson?.Length ?? 0));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"generated {changes.Count:N0} watch events ({bytes / (double)changes.Count:F0} B of object JSON each) in {generated.TotalSeconds:F1} s"));
        if (Environment.GetEnvironmentVariable("WATCH_REPLAY_PARTS") == "1")
        {
            var sw = Stopwatch.StartNew();
            var reduced = changes.Select(c => ObjectEvidence.Reduce(c.Kind, Encoding.UTF8.GetBytes(c.ObjectJson!))).ToList();
            Console.WriteLine($"reduce: {sw.Elapsed.TotalMilliseconds * 1000 / changes.Count:F1} µs/event, {reduced.Average(r => r.Length):F0} B after");
            sw.Restart();
            foreach (var r in reduced)
            {
                PolicyTrail.Ledger.Canonical.JsonCanonicalizer.Canonicalize(r);
            }
            Console.WriteLine($"canonicalize: {sw.Elapsed.TotalMilliseconds * 1000 / changes.Count:F1} µs/event");
        }
        var (signerKey, _) = NoteKeys.Generate("bench");
        using var signer = NoteSigner.FromKey(signerKey);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        clock.Restart();
        using (var store = DuckDbLedgerStore.Open(path))
        {
            var writer = LedgerWriter.Open(store, signer, "bench.example/log");
            var recorder = new ChangeRecorder(writer, commitEntries: 50_000);
            foreach (var change in changes)
            {
                recorder.Record(change);
            }
            recorder.Complete();
        }
        var elapsed = clock.Elapsed;
        var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var size = new FileInfo(path).Length;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"recorded {changes.Count:N0} changes in {elapsed.TotalSeconds:F2} s: {changes.Count / elapsed.TotalSeconds:N0} events/s, CPU {used.TotalSeconds:F1} s; store {size / 1e6:F1} MB ({size / (double)changes.Count:F0} B/event); peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0} MB"));
        return 0;
    }
}
