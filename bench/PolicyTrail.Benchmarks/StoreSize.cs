using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using DuckDB.NET.Data;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.DuckDb;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Store;
using PolicyTrail.Ledger.Writing;

namespace PolicyTrail.Benchmarks;

/// <summary>
/// "store-size FILE [entries] [seed]": appends synthetic, realistic Hubble-like flow entries through LedgerWriter into
/// a new DuckDB store, checkpoints the database and prints the append rate, the bytes per entry and the compression
/// DuckDB chose for each entry column. Entries: a few hundred root templates (verdicts, policies, protocols), 5,000
/// endpoint fragments, 40 node sources, random source ports, ns times 100 µs apart with ±5 ms jitter, random SHA-256s.
/// </summary>
internal static class StoreSize
{
    private const int CommitEvery = 10_000;

    public static int Run(string path, long count, int seed)
    {
        foreach (var file in new[] { path, path + ".wal" })
        {
            File.Delete(file);
        }
        var random = new Random(seed);
        var (signerKey, _) = NoteKeys.Generate("bench");
        using var signer = NoteSigner.FromKey(signerKey);
        var appendTime = new Stopwatch();
        var total = Stopwatch.StartNew();
        using (var duck = DuckDbLedgerStore.Open(path))
        {
            var store = new TimedStore(duck, appendTime);
            var writer = LedgerWriter.Open(store, signer, "bench.example/log");
            var roots = Enumerable.Range(0, 300).Select(i => Root(writer.Fragments, i)).ToArray();
            var endpoints = Enumerable.Range(0, 5000).Select(i => Endpoint(writer.Fragments, i)).ToArray();
            var sources = Enumerable.Range(0, 40).Select(i => Source(writer.Fragments, i)).ToArray();
            var lines = new long[sources.Length];
            var dstPorts = new[] { 443, 80, 8080, 5432, 6379, 53, 9090, 3306 };
            var start = 1_793_491_200_000_000_000L; // 2026-11-01T00:00:00Z
            for (long i = 0; i < count; i++)
            {
                var node = random.Next(sources.Length);
                var time = start + i * 100_000 + random.Next(-5_000_000, 5_000_000);
                writer.Append(new EntryRow
                {
                    // Skewed like real traffic: a few templates and pods make most flows.
                    Template = roots[(int)(roots.Length * Math.Pow(random.NextDouble(), 3))],
                    Src = endpoints[(int)(endpoints.Length * Math.Pow(random.NextDouble(), 2))],
                    Dst = endpoints[(int)(endpoints.Length * Math.Pow(random.NextDouble(), 2))],
                    SourceRef = sources[node],
                    Time = time,
                    ObservedAt = time + 1_000_000_000 + random.Next(0, 50_000_000),
                    SrcPort = random.Next(32768, 61000),
                    DstPort = dstPorts[(int)(dstPorts.Length * Math.Pow(random.NextDouble(), 2))],
                    Line = ++lines[node],
                    Sha256 = RandomNumberGenerator.GetBytes(32),
                });
                if (writer.Pending >= CommitEvery)
                {
                    writer.Commit();
                }
            }
            writer.Commit(checkpoint: true);
            duck.Checkpoint();
        }
        total.Stop();
        var bytes = new FileInfo(path).Length;
        var wal = File.Exists(path + ".wal") ? new FileInfo(path + ".wal").Length : 0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{count:N0} entries in {total.Elapsed.TotalSeconds:F1} s: {count / total.Elapsed.TotalSeconds:N0} entries/s through LedgerWriter, "
            + $"{count / appendTime.Elapsed.TotalSeconds:N0} rows/s in DuckDbLedgerStore.Append ({appendTime.Elapsed.TotalSeconds:F1} s)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"file {bytes:N0} bytes (wal {wal:N0}) = {(double)bytes / count:F1} bytes per entry"));
        PrintCompression(path);
        return 0;
    }

    /// <summary>Prints the size, free space and per-column compression of an existing store (for ingest runs).</summary>
    public static int Describe(string path)
    {
        using (var connection = new DuckDBConnection($"Data Source={path};ACCESS_MODE=READ_ONLY"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT (SELECT count(*) FROM entries), database_size, block_size, total_blocks, used_blocks, free_blocks FROM pragma_database_size()";
            using var reader = command.ExecuteReader();
            reader.Read();
            var entries = reader.GetInt64(0);
            var bytes = new FileInfo(path).Length;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{entries:N0} entries, file {bytes:N0} bytes = {(double)bytes / entries:F1} bytes per entry; {reader.GetValue(1)}, blocks: {reader.GetValue(3)} total, {reader.GetValue(4)} used, {reader.GetValue(5)} free of {reader.GetValue(2)} bytes"));
        }
        PrintCompression(path);
        return 0;
    }

    private static void PrintCompression(string path)
    {
        using var connection = new DuckDBConnection($"Data Source={path};ACCESS_MODE=READ_ONLY");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT column_name, compression, count(*) AS segments
            FROM pragma_storage_info('entries')
            WHERE segment_type <> 'VALIDITY'
            GROUP BY column_id, column_name, compression
            ORDER BY column_id, segments DESC
            """;
        using var reader = command.ExecuteReader();
        var line = new List<string>();
        while (reader.Read())
        {
            line.Add($"{reader.GetString(0)}={reader.GetString(1)}×{reader.GetInt64(2)}");
        }
        Console.WriteLine("entry column compression (segments): " + string.Join(", ", line));
    }

    private static uint Root(FragmentTable table, int i)
    {
        var verdict = i % 5 == 0 ? "deny" : "allow";
        return table.Intern(Json(w =>
        {
            w.WriteString("kind", "flow");
            w.WriteString("index", EntrySlots.Placeholder(EntrySlots.Index));
            w.WriteString("time", EntrySlots.TimePlaceholder(EntrySlots.Time, 9));
            w.WriteString("observedAt", EntrySlots.TimePlaceholder(EntrySlots.ObservedAt, 9));
            w.WriteString("src", EntrySlots.Placeholder(EntrySlots.SrcFragment));
            w.WriteString("dst", EntrySlots.Placeholder(EntrySlots.DstFragment));
            w.WriteString("srcPort", EntrySlots.Placeholder(EntrySlots.SrcPort));
            w.WriteString("dstPort", EntrySlots.Placeholder(EntrySlots.DstPort));
            w.WriteString("source", EntrySlots.Placeholder(EntrySlots.SourceFragment));
            w.WriteString("protocol", (i % 3) switch { 0 => "TCP", 1 => "UDP", _ => "TCP" });
            w.WriteString("direction", i % 2 == 0 ? "ingress" : "egress");
            w.WriteBoolean("isReply", i % 7 == 0);
            w.WriteStartObject("reported");
            w.WriteString("verdict", verdict == "deny" ? "DROPPED" : "FORWARDED");
            w.WriteEndObject();
            w.WriteStartObject("decision");
            w.WriteString("verdict", verdict);
            w.WriteString("policy", $"ns-{i % 60}/policy-{i}");
            w.WriteNumber("rule", i % 4);
            w.WriteString("agreement", "agree");
            w.WriteEndObject();
        }));
    }

    private static uint Endpoint(FragmentTable table, int i) => table.Intern(Json(w =>
    {
        w.WriteString("namespace", $"ns-{i % 500}");
        w.WriteString("pod", $"app-{i / 500}-{i:x5}");
        w.WriteString("podUID", new Guid(MD5.HashData(BitConverter.GetBytes(i))).ToString());
        w.WriteString("ip", $"10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}");
        w.WriteString("workload", $"Deployment/app-{i / 500}");
        w.WriteNumber("inventory", i);
    }));

    private static uint Source(FragmentTable table, int node) => table.Intern(Json(w =>
    {
        w.WriteString("format", "hubble");
        w.WriteString("node", $"node-{node:D2}");
        w.WriteString("file", "/var/run/cilium/hubble/events.log");
        w.WriteString("line", EntrySlots.Placeholder(EntrySlots.Line));
        w.WriteString("sha256", EntrySlots.Placeholder(EntrySlots.Sha256));
    }));

    private static byte[] Json(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return stream.ToArray();
    }

    /// <summary>Times the store's appends (the rest of the time is the writer rebuilding and hashing entries).</summary>
    private sealed class TimedStore(ILedgerStore inner, Stopwatch appendTime) : ILedgerStore
    {
        public string Description => inner.Description;
        public LedgerState? LoadState() => inner.LoadState();
        public void Initialize(LogIdentity identity) => inner.Initialize(identity);
        public IReadOnlyList<Fragment> ReadFragments() => inner.ReadFragments();
        public IEnumerable<EntryRow> ReadEntries(long from, long to) => inner.ReadEntries(from, to);
        public IEnumerable<EntryRow> Query(EntryFilter filter) => inner.Query(filter);
        public IReadOnlyList<FlowGroup> GroupFlows(EntryFilter filter, FlowGrouping? grouping = null) => inner.GroupFlows(filter, grouping);
        public IReadOnlyList<StoredCheckpoint> ReadCheckpoints() => inner.ReadCheckpoints();
        public IReadOnlyList<SubtreeHash> ReadSubtrees(long from, long to) => inner.ReadSubtrees(from, to);
        public IReadOnlyList<SnapshotInfo> ReadSnapshots() => inner.ReadSnapshots();
        public byte[]? ReadSnapshotContent(string sha256) => inner.ReadSnapshotContent(sha256);
        public void Dispose() => inner.Dispose();

        public void Append(AppendBatch batch)
        {
            appendTime.Start();
            inner.Append(batch);
            appendTime.Stop();
        }
    }
}
