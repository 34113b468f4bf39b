using System.Globalization;
using BenchmarkDotNet.Running;
using PolicyTrail.Benchmarks;

// "generate DIR [pods] [namespaces] [policies] [probes] [seed] [flows]" writes a synthetic cluster (namespaces,
// deployments and statefulsets, services with endpointslices, policies including default-deny), probes for the batch
// measurement and, with flows > 0, that many flows in Hubble JSON, Calico flow-log JSON, kernel netfilter LOG lines,
// Antrea np.log and OVN acl_log (DIR/flows/); anything else goes to BenchmarkDotNet (e.g. --filter '*Decision*').
if (args.Length > 0 && args[0] == "generate")
{
    int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : fallback;
    var directory = args.Length > 1 ? args[1] : "bench-data";
    var seed = Arg(6, 42);
    var cluster = SyntheticCluster.Generate(seed: seed, namespaces: Arg(3, 500), pods: Arg(2, 5000), policies: Arg(4, 2000));
    cluster.Write(directory, probes: Arg(5, 1_000_000), seed: seed + 1);
    Console.WriteLine($"wrote {directory}/cluster.json and {directory}/probes.jsonl");
    var flows = args.Length > 7 ? long.Parse(args[7], CultureInfo.InvariantCulture) : 0;
    if (flows > 0)
    {
        var folder = Path.Combine(directory, "flows");
        Directory.CreateDirectory(folder);
        HubbleFlowWriter.Write(cluster.Snapshot, Path.Combine(folder, "hubble.jsonl"), flows, seed + 2);
        CalicoFlowWriter.Write(cluster.Snapshot, Path.Combine(folder, "calico.jsonl"), flows, seed + 3);
        NetfilterLogWriter.Write(cluster.Snapshot, Path.Combine(folder, "kern.log"), flows, seed + 4);
        AntreaNpLogWriter.Write(cluster.Snapshot, Path.Combine(folder, "np.log"), flows, seed + 5);
        OvnAclLogWriter.Write(cluster.Snapshot, Path.Combine(folder, "ovn-controller.log"), flows, seed + 6);
        Console.WriteLine($"wrote {flows} flows each to {folder}/hubble.jsonl, calico.jsonl, kern.log, np.log and ovn-controller.log");
    }
    return 0;
}
// "hubble FILE [flows] [seed]" writes realistic Hubble JSON flows between the reference cluster's pods.
if (args.Length > 0 && args[0] == "hubble")
{
    var count = args.Length > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : 1_000_000;
    var cluster = SyntheticCluster.Generate(seed: 42, namespaces: 500, pods: 5000, policies: 2000);
    HubbleFlowWriter.Write(cluster.Snapshot, args[1], count, seed: args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 7);
    Console.WriteLine($"wrote {count} Hubble flows to {args[1]}");
    return 0;
}
// "hubble-month DIR [flows] [days] [seed]" writes a reference-sized cluster whose default-deny covers ingress only
// (DIR/cluster.json) and Hubble flows spread evenly over [days] days that follow its policies (DIR/hubble.jsonl): peers
// the policies admit, 2% random attempts (mostly refused), a CNI verdict equal to the policies' (see TrafficModel).
if (args.Length > 1 && args[0] == "hubble-month")
{
    var count = args.Length > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : 10_000_000;
    var days = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 30;
    var seed = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 7;
    var cluster = SyntheticCluster.Generate(seed: 42, namespaces: 500, pods: 5000, policies: 2000, ingressOnly: true);
    cluster.Write(args[1], probes: 0, seed: 43);
    var engine = PolicyTrail.Policy.Evaluation.PolicyEngine.Create(cluster.Snapshot);
    HubbleFlowWriter.Write(cluster.Snapshot, Path.Combine(args[1], "hubble.jsonl"), count, seed, TimeSpan.FromDays(days) / count, engine);
    Console.WriteLine($"wrote {args[1]}/cluster.json and {count} Hubble flows over {days} days to {args[1]}/hubble.jsonl");
    return 0;
}
// "hubble-stage FILE [rounds] [stage|scan]" times the Hubble source stage and its yardsticks on one thread (thread CPU
// time); "stage" or "scan" times that alone (for profiling).
if (args.Length > 1 && args[0] == "hubble-stage")
{
    return HubbleStage.Run(args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 7, args.Length > 3 ? args[3] : null);
}
// "summarize STORE" opens a store for writing, which brings its day summary up to date (all of it for an older store), and times that.
if (args.Length > 1 && args[0] == "summarize")
{
    var clock = System.Diagnostics.Stopwatch.StartNew();
    using var store = PolicyTrail.Ledger.DuckDb.DuckDbLedgerStore.Open(args[1]);
    Console.WriteLine($"opened and summarized in {clock.Elapsed.TotalSeconds:F2} s; recount differs in {store.FlowSummaryMismatches()} rows ({clock.Elapsed.TotalSeconds:F2} s with the recount)");
    return 0;
}
// "sql STORE QUERY|@FILE [rounds]" times a query on a read-only handle of a store (to see what DuckDB itself costs).
if (args.Length > 2 && args[0] is "sql" or "sql-write")
{
    var mode = args[0] == "sql" ? "READ_ONLY" : "READ_WRITE";
    using var connection = new DuckDB.NET.Data.DuckDBConnection($"Data Source={args[1]};ACCESS_MODE={mode};memory_limit={PolicyTrail.Ledger.DuckDb.DuckDbLedgerStore.QueryMemoryLimit}");
    connection.Open();
    for (var round = 0; round < (args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3); round++)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var command = connection.CreateCommand();
        command.CommandText = args[2].StartsWith('@') ? File.ReadAllText(args[2][1..]) : args[2];
        using var reader = command.ExecuteReader();
        long rows = 0;
        var shown = new List<string>();
        while (reader.Read())
        {
            if (++rows <= 3)
            {
                shown.Add(string.Join('\t', Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetValue(i))));
            }
        }
        Console.WriteLine($"{clock.Elapsed.TotalSeconds:F2} s  {rows:N0} rows");
        shown.ForEach(Console.WriteLine);
    }
    return 0;
}
// "store-size FILE [entries] [seed]" appends synthetic flow entries to a new DuckDB store and prints bytes per entry.
// "verify-stages FILE [entries]" times verify's stages apart on one thread (read, rebuild, leaf hash, tree).
if (args.Length > 1 && args[0] == "verify-stages")
{
    return VerifyStages.Run(args[1], args.Length > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : long.MaxValue);
}
// "read-entries FILE" times a bare ordered read of every entry through the store contract (verify's reading share).
if (args.Length > 1 && args[0] == "read-entries")
{
    using var store = PolicyTrail.Ledger.DuckDb.DuckDbLedgerStore.Open(args[1], readOnly: true);
    var clock = System.Diagnostics.Stopwatch.StartNew();
    long rows = 0;
    foreach (var row in store.ReadEntries(0, long.MaxValue))
    {
        rows += row.LeafTag == 42 ? 2 : 1;
    }
    Console.WriteLine($"{rows:N0} rows in {clock.Elapsed.TotalSeconds:F2} s: {rows / clock.Elapsed.TotalSeconds:N0} rows/s");
    // Yardstick: DuckDB scanning the same table with no per-row work in .NET.
    using (var connection = new DuckDB.NET.Data.DuckDBConnection($"Data Source={args[1]};ACCESS_MODE=READ_ONLY"))
    {
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM entries ORDER BY idx";
        clock.Restart();
        using var reader = command.ExecuteReader();
        long scanned = 0;
        while (reader.Read())
        {
            scanned++;
        }
        Console.WriteLine($"bare DuckDB scan in index order: {scanned:N0} rows in {clock.Elapsed.TotalSeconds:F2} s");
    }
    return 0;
}
// "prove FILE [count]" times proving count entries (default 10,000) of a store against its latest checkpoint with one
// InclusionProver: spread evenly over the log, then consecutive; and InclusionProof.Create per entry for comparison.
if (args.Length > 1 && args[0] == "prove")
{
    using var store = PolicyTrail.Ledger.DuckDb.DuckDbLedgerStore.Open(args[1], readOnly: true);
    var count = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10_000;
    long size;
    using (var probe = PolicyTrail.Ledger.Verification.InclusionProver.ForLatestCheckpoint(store))
    {
        size = probe.TreeSize;
    }
    foreach (var (name, indexes) in new[]
    {
        ("spread", Enumerable.Range(0, count).Select(i => i * (size / count)).ToArray()),
        ("consecutive", Enumerable.Range(0, count).Select(i => size / 3 + i).ToArray()),
    })
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var prover = PolicyTrail.Ledger.Verification.InclusionProver.ForLatestCheckpoint(store);
        long hashes = 0;
        foreach (var index in indexes)
        {
            hashes += prover.Prove(index).Path.Count;
        }
        Console.WriteLine($"{name}: {count:N0} proofs of a {size:N0}-entry log in {clock.Elapsed.TotalSeconds:F2} s: {count / clock.Elapsed.TotalSeconds:N0} proofs/s ({prover.ChunksRead:N0} chunks read, {hashes:N0} path hashes)");
    }
    var single = System.Diagnostics.Stopwatch.StartNew();
    const int Singles = 20;
    for (var i = 0; i < Singles; i++)
    {
        _ = PolicyTrail.Ledger.Verification.InclusionProof.Create(store, i * (size / Singles));
    }
    Console.WriteLine($"InclusionProof.Create, one prover per proof: {Singles} proofs in {single.Elapsed.TotalSeconds:F2} s: {Singles / single.Elapsed.TotalSeconds:N1} proofs/s");
    return 0;
}
// "watch-replay FILE [events] [seed]" records that many watch events of a churning cluster into a new DuckDB store.
if (args.Length > 1 && args[0] == "watch-replay")
{
    return WatchReplay.Run(args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1_000_000,
        args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 7);
}
if (args.Length > 1 && args[0] == "store-info")
{
    return StoreSize.Describe(args[1]);
}
if (args.Length > 1 && args[0] == "store-size")
{
    return StoreSize.Run(args[1], args.Length > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : 1_000_000,
        args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 7);
}
// "identity [pods] [seed]" builds a 30-day identity history (default 100,000 pods) and times TryGet over random lookups.
if (args.Length > 0 && args[0] == "identity")
{
    return IdentityHistory.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 42);
}
// "answers STORE [rounds] [to]" times access, talkers and denied (and the grouped read under them) on an existing store.
if (args.Length > 1 && args[0] == "answers")
{
    return Answers.Run(args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3, args.Length > 3 ? args[3] : null);
}
BenchmarkSwitcher.FromAssembly(typeof(DecisionBenchmarks).Assembly).Run(args);
return 0;
