using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using PolicyTrail.Ledger.DuckDb;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Merkle;

namespace PolicyTrail.Benchmarks;

/// <summary>Times verify's stages apart on one thread: reading rows, rebuilding entry bytes, leaf hashing, the tree.</summary>
internal static class VerifyStages
{
    /// <summary>Runs every stage over the store's first <paramref name="limit"/> entries and prints wall and CPU time of each.</summary>
    public static int Run(string path, long limit)
    {
        using var store = DuckDbLedgerStore.Open(path, readOnly: true);
        var fragments = new FragmentTable(store.ReadFragments());
        var rows = new List<EntryRow>();
        Time("read rows (store.ReadEntries)", () =>
        {
            foreach (var row in store.ReadEntries(0, limit))
            {
                rows.Add(row);
            }
            return rows.Count;
        });
        Time("read rows (store.ReadEntriesAsStored)", () =>
        {
            var count = 0;
            foreach (var row in store.ReadEntriesAsStored())
            {
                if (row.Index != count)
                {
                    Console.WriteLine($"  as stored: row {count} holds index {row.Index}");
                    return count;
                }
                count++;
            }
            return count;
        });
        var buffer = new ArrayBufferWriter<byte>(4096);
        long bytes = 0;
        Time("rebuild entry bytes", () =>
        {
            foreach (var row in rows)
            {
                buffer.ResetWrittenCount();
                EntryTemplates.Rebuild(row, fragments, buffer);
                bytes += buffer.WrittenCount;
            }
            return rows.Count;
        });
        Console.WriteLine($"  {bytes / (double)rows.Count:F0} bytes an entry on average");
        var remapped = rows.Select((r, i) => { var f = rows[i % Math.Min(1000, rows.Count)]; return new EntryRow { Index = r.Index, Template = f.Template, Src = f.Src, Dst = f.Dst, SourceRef = f.SourceRef, Ingress = f.Ingress, Egress = f.Egress, Time = r.Time, ObservedAt = r.ObservedAt, WindowStart = r.WindowStart, WindowEnd = r.WindowEnd, SrcPort = r.SrcPort, DstPort = r.DstPort, Line = r.Line, Sha256 = r.Sha256, Count = r.Count, Packets = r.Packets, Bytes = r.Bytes, Body = r.Body }; }).ToList();
        var packed = PackedFragments.Of(fragments);
        var ahead = int.Parse(Environment.GetEnvironmentVariable("PREFETCH_AHEAD") ?? "1", System.Globalization.CultureInfo.InvariantCulture);
        // Rebuilding every row with the given fragments, each row's fragments asked for `ahead` rows before (0: not).
        int RebuildAll(IFragmentSource source, int ahead)
        {
            for (var i = 0; i < rows.Count; i++)
            {
                if (ahead > 0 && i + ahead < rows.Count)
                {
                    EntryTemplates.Prefetch(rows[i + ahead], source);
                }
                buffer.ResetWrittenCount();
                EntryTemplates.Rebuild(rows[i], source, buffer);
            }
            return rows.Count;
        }
        Time("rebuild entry bytes, packed fragments", () => RebuildAll(packed, 0));
        Time("rebuild entry bytes, packed fragments prefetched 2 rows ahead", () => RebuildAll(packed, 2));
        Time($"rebuild entry bytes, packed fragments prefetched {ahead} rows ahead (PREFETCH_AHEAD)", () => RebuildAll(packed, ahead));
        Time("rebuild entry bytes, every row, the fragments of the first 1,000 (warm fragments)", () =>
        {
            foreach (var row in remapped)
            {
                buffer.ResetWrittenCount();
                EntryTemplates.Rebuild(row, fragments, buffer);
            }
            return rows.Count;
        });
        Time("rebuild entry bytes, the first 1,000 rows over and over (warm caches)", () =>
        {
            var n = Math.Min(1000, rows.Count);
            for (var i = 0; i < rows.Count; i++)
            {
                buffer.ResetWrittenCount();
                EntryTemplates.Rebuild(rows[i % n], fragments, buffer);
            }
            return rows.Count;
        });
        var leaves = new byte[rows.Count][];
        Time("rebuild + leaf hash (MerkleHash.Leaf)", () =>
        {
            for (var i = 0; i < rows.Count; i++)
            {
                buffer.ResetWrittenCount();
                EntryTemplates.Rebuild(rows[i], fragments, buffer);
                leaves[i] = MerkleHash.Leaf(buffer.WrittenSpan);
            }
            return rows.Count;
        });
        var leaf = new byte[32];
        var sink = 0;
        var prefixed = new ArrayBufferWriter<byte>(4096);
        Time("rebuild + leaf hash (SHA256.HashData into a span)", () =>
        {
            for (var i = 0; i < rows.Count; i++)
            {
                prefixed.ResetWrittenCount();
                prefixed.Write([(byte)0]);
                EntryTemplates.Rebuild(rows[i], fragments, prefixed);
                SHA256.HashData(prefixed.WrittenSpan, leaf);
                sink += leaf[0];
            }
            return rows.Count;
        });
        Time("tree (TreeBuilder.Append, height 10)", () =>
        {
            var tree = new TreeBuilder();
            foreach (var l in leaves)
            {
                tree.Append(l, 10);
            }
            sink += tree.Root()[0];
            return leaves.Length;
        });
        // A million hashes of the same size, each input changed by the hash before, one-shot and incremental.
        var incremental = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (input, what) in new[] { (new byte[1044], "1,044 bytes"), (new byte[65], "65 bytes (a node)") })
        {
            Time($"SHA256.HashData of {what}", () =>
            {
                for (var i = 0; i < 1_000_000; i++)
                {
                    SHA256.HashData(input, leaf);
                    input[1] = leaf[0];
                }
                return 1_000_000;
            });
            Time($"IncrementalHash of {what}", () =>
            {
                for (var i = 0; i < 1_000_000; i++)
                {
                    incremental.AppendData(input);
                    incremental.GetHashAndReset(leaf);
                    input[1] = leaf[0];
                }
                return 1_000_000;
            });
        }
        Console.WriteLine($"  (sink {sink})");
        return 0;
    }

    private static void Time(string what, Func<int> stage)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var count = stage();
        var wall = clock.Elapsed.TotalSeconds;
        var used = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        Console.WriteLine($"{what}: {count:N0} in {wall:F2} s wall, {used:F2} s CPU ({count / wall:N0}/s, {wall * 1e6 / count:F2} µs each)");
    }
}
