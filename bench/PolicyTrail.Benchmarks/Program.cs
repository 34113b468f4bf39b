using System.Globalization;
using BenchmarkDotNet.Running;
using PolicyTrail.Benchmarks;

// "generate DIR [pods] [namespaces] [policies] [probes] [seed]" writes a synthetic cluster and probes for the
// end-to-end batch measurement; anything else goes to BenchmarkDotNet (e.g. --filter '*Decision*').
if (args.Length > 0 && args[0] == "generate")
{
    int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : fallback;
    var directory = args.Length > 1 ? args[1] : "bench-data";
    var cluster = SyntheticCluster.Generate(seed: Arg(6, 42), namespaces: Arg(3, 500), pods: Arg(2, 5000), policies: Arg(4, 2000));
    cluster.Write(directory, probes: Arg(5, 1_000_000), seed: Arg(6, 42) + 1);
    Console.WriteLine($"wrote {directory}/cluster.json and {directory}/probes.jsonl");
    return 0;
}
if (args.Length > 0 && args[0] == "time-file")
{
    var snapshot = PolicyTrail.Identity.Snapshots.KubectlOutputReader.Read([args[1]]).Snapshot;
    var engine = PolicyTrail.Policy.Evaluation.PolicyEngine.Create(snapshot);
    if (Environment.GetEnvironmentVariable("PT_GC") == "1") { GC.Collect(2, GCCollectionMode.Forced, true, true); }
    var synthetic = SyntheticCluster.Generate(42, 500, 5000, 2000);
    var probes = synthetic.Probes(43, 20000).ToArray();
    foreach (var e in new[] { engine, PolicyTrail.Policy.Evaluation.PolicyEngine.Create(synthetic.Snapshot) })
    {
        for (var round = 0; round < 3; round++)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            foreach (var p in probes)
            {
                e.Explain(p.From, p.To, PolicyTrail.Core.Cluster.PortRef.FromNumber(p.Port), p.Protocol);
            }
            Console.WriteLine($"{sw.Elapsed.TotalMilliseconds * 1000 / probes.Length:F2} us/probe");
        }
        var same = probes[0];
        var sw2 = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < probes.Length; i++)
        {
            e.Explain(same.From, same.To, PolicyTrail.Core.Cluster.PortRef.FromNumber(same.Port), same.Protocol);
        }
        Console.WriteLine($"same probe: {sw2.Elapsed.TotalMilliseconds * 1000 / probes.Length:F2} us/probe");
        var gc0 = GC.CollectionCount(0);
        var alloc = GC.GetAllocatedBytesForCurrentThread();
        foreach (var p in probes)
        {
            e.Explain(p.From, p.To, PolicyTrail.Core.Cluster.PortRef.FromNumber(p.Port), p.Protocol);
        }
        Console.WriteLine($"alloc {(GC.GetAllocatedBytesForCurrentThread() - alloc) / probes.Length} B/probe, gen0 {GC.CollectionCount(0) - gc0}, gen2 {GC.CollectionCount(2)}");
    }
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(DecisionBenchmarks).Assembly).Run(args);
return 0;
