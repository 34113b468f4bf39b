using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using PolicyTrail.Identity.Watch;
using PolicyTrail.Ingest.Changes;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.DuckDb;
using PolicyTrail.Ledger.Writing;

namespace PolicyTrail.Benchmarks;

/// <summary>
/// "watch-replay STORE [events] [seed]": writes N watch events of a churning cluster (<see cref="WatchEvents"/>) to
/// STORE.jsonl in the format of <c>policytrail watch --out</c> (streamed, not held in memory), then times the replay
/// of that file (read, parse, record through <see cref="ChangeRecorder"/>) into a new DuckDB store, as
/// <c>policytrail watch --replay</c> does: events/s, CPU µs/event, store bytes/event, peak RSS.
/// WATCH_REPLAY_PARTS=1 first times reading and parsing alone.
/// </summary>
internal static class WatchReplay
{
    public static int Run(string path, int count, int seed)
    {
        foreach (var file in new[] { path, path + ".wal" })
        {
            File.Delete(file);
        }
        var lines = path + ".jsonl";
        var clock = Stopwatch.StartNew();
        // WATCH_REPLAY_REUSE=1 replays the file an earlier run wrote (same N and seed), so that counters such as
        // `perf stat -e instructions` see the replay alone.
        var reuse = Environment.GetEnvironmentVariable("WATCH_REPLAY_REUSE") == "1" && File.Exists(lines);
        using (var output = reuse ? null : new FileStream(lines, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 20))
        using (var json = output is null ? null : new Utf8JsonWriter(output))
        {
            foreach (var change in json is null ? [] : WatchEvents.Generate(count, seed))
            {
                ChangeLines.Write(json!, change);
                json!.Flush();
                json.Reset();
                output!.WriteByte((byte)'\n');
            }
        }
        var fileBytes = new FileInfo(lines).Length;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(reuse ? "reused" : "wrote")} {count:N0} watch events to {lines} ({fileBytes / 1e6:F0} MB, {fileBytes / (double)count:F0} B/line) in {clock.Elapsed.TotalSeconds:F1} s"));

        if (Environment.GetEnvironmentVariable("WATCH_REPLAY_PARTS") == "1")
        {
            // Lines as bytes, as the replay reads them (the object is left in place, not decoded).
            var (parseCpu, parseWall) = Timed(() =>
            {
                var parsed = 0L;
                foreach (var line in Lines(lines))
                {
                    parsed += ChangeLines.TryRead(line, out _, out _, out _) ? 1 : 0;
                }
                return parsed;
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"parse only (ChangeLines.TryRead, object left as bytes): {parseWall.TotalSeconds:F2} s, CPU {parseCpu.TotalMilliseconds * 1000 / count:F1} µs/event"));
            var sampleLines = Lines(lines).Take(20_000).ToList();
            var sample = new List<PolicyTrail.Identity.History.ClusterChange>();
            foreach (var line in sampleLines)
            {
                ChangeLines.TryRead(line, out var read, out _);
                sample.Add(read.Change!);
            }
            var bodies = new PolicyTrail.Ingest.Entries.ChangeBodyWriter();
            for (var round = 0; round < 3; round++)
            {
                var length = 0L;
                var roundClock = Stopwatch.StartNew();
                var (bodyCpu, _) = Timed(() =>
                {
                    foreach (var line in sampleLines)
                    {
                        ChangeLines.TryRead(line, bodies.InPlace(), out var read, out _, out _);
                        length += bodies.WrittenInPlace(read.Change!)!.Length;
                    }
                    return 0;
                });
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"parse + body, the object read in the line's pass (the replay's reading thread), round {round}: CPU {bodyCpu.TotalMilliseconds * 1000 / sampleLines.Count:F1} µs/event, wall {roundClock.Elapsed.TotalMilliseconds * 1000 / sampleLines.Count:F1} µs/event ({length / sampleLines.Count} B body)"));
            }
            var builder = new PolicyTrail.Ingest.Entries.EntryBuilder(new PolicyTrail.Ledger.Entries.FragmentTable());
            var rows = new List<PolicyTrail.Ledger.Entries.EntryRow>();
            for (var round = 0; round < 3; round++)
            {
                rows.Clear();
                var roundClock = Stopwatch.StartNew();
                var (buildCpu, _) = Timed(() =>
                {
                    foreach (var change in sample)
                    {
                        rows.Add(builder.Change(change, 0));
                    }
                    return 0;
                });
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"EntryBuilder.Change from the object's text (live watch), round {round}: CPU {buildCpu.TotalMilliseconds * 1000 / sample.Count:F1} µs/event, wall {roundClock.Elapsed.TotalMilliseconds * 1000 / sample.Count:F1} µs/event ({rows.Average(r => r.Body!.Length):F0} B body)"));
            }
            var (partKey, _) = NoteKeys.Generate("bench");
            using var partSigner = NoteSigner.FromKey(partKey);
            using (var store = DuckDbLedgerStore.Open(path + ".parts"))
            {
                var writer = LedgerWriter.Open(store, partSigner, "bench.example/log");
                var own = new PolicyTrail.Ingest.Entries.EntryBuilder(writer.Fragments);
                rows = [.. sample.Select(c => own.Change(c, 0))];
                var (appendCpu, appendWall) = Timed(() =>
                {
                    foreach (var row in rows)
                    {
                        writer.Append(row);
                    }
                    writer.Commit(checkpoint: true);
                    return 0;
                });
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"LedgerWriter.Append+Commit only: CPU {appendCpu.TotalMilliseconds * 1000 / rows.Count:F1} µs/event, wall {appendWall.TotalMilliseconds * 1000 / rows.Count:F1} µs/event"));
            }
            File.Delete(path + ".parts");
            File.Delete(path + ".parts.wal");
        }

        var threadsBefore = ThreadTimes();
        var (signerKey, _) = NoteKeys.Generate("bench");
        using var signer = NoteSigner.FromKey(signerKey);
        ChangeReplaySummary? summary = null;
        var (cpu, wall) = Timed(() =>
        {
            using var store = DuckDbLedgerStore.Open(path);
            var writer = LedgerWriter.Open(store, signer, "bench.example/log");
            var recorder = new ChangeRecorder(writer, commitEntries: ChangeReplay.CommitEntries);
            summary = ChangeReplay.Run(recorder, writer, lines, Console.Error);
            return summary.Changes;
        });
        var size = new FileInfo(path).Length;
        using var self = Process.GetCurrentProcess();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"replayed {summary!.Changes:N0} changes ({summary.Rejected} rejected) in {wall.TotalSeconds:F2} s: {summary.Changes / wall.TotalSeconds:N0} events/s, CPU {cpu.TotalSeconds:F1} s = {cpu.TotalMilliseconds * 1000 / summary.Changes:F1} µs/event; store {size / 1e6:F1} MB ({size / (double)summary.Changes:F0} B/event); peak RSS {self.PeakWorkingSet64 / 1e6:F0} MB"));
        // Where the CPU went, by thread name (Linux): the replay thread, the writer's hashing task, GC, JIT, DuckDB's threads.
        var byName = ThreadTimes().Select(t => (t.Key.Name, Ms: t.Value - threadsBefore.GetValueOrDefault(t.Key)))
            .GroupBy(t => t.Name).Select(g => (Name: g.Key, Ms: g.Sum(t => t.Ms))).Where(g => g.Ms > 0).OrderByDescending(g => g.Ms).Take(8);
        Console.WriteLine("CPU by thread: " + string.Join(", ", byName.Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Name} {g.Ms * 1000.0 / summary.Changes:F1} µs/event"))));
        return 0;
    }

    // The file's lines as byte arrays (without the line end), streamed.
    private static IEnumerable<byte[]> Lines(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var buffer = new byte[1 << 20];
        var start = 0;
        var end = 0;
        while (true)
        {
            var newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                yield return buffer.AsSpan(start, newline).ToArray();
                start += newline + 1;
                continue;
            }
            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
            var read = stream.Read(buffer, end, buffer.Length - end);
            if (read == 0)
            {
                if (end > 0)
                {
                    yield return buffer.AsSpan(0, end).ToArray();
                }
                yield break;
            }
            end += read;
        }
    }

    private static Dictionary<(int Id, string Name), long> ThreadTimes()
    {
        var times = new Dictionary<(int, string), long>();
        if (!Directory.Exists("/proc/self/task"))
        {
            return times;
        }
        var tick = 1000L / 100; // USER_HZ is 100 on Linux: 10 ms a tick.
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                var name = stat[(open + 1)..close];
                // Thread pool workers and DuckDB's workers are named alike; a trailing number is dropped.
                name = name.TrimEnd('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ' ', '#');
                times[(int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture), name)] =
                    (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * tick;
            }
            catch (IOException)
            {
                // The thread ended.
            }
        }
        return times;
    }

    private static (TimeSpan Cpu, TimeSpan Wall) Timed(Func<long> work)
    {
        using var self = Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        work();
        var wall = clock.Elapsed;
        self.Refresh();
        return (self.TotalProcessorTime - cpu, wall);
    }
}
