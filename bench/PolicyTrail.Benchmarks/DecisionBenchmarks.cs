using BenchmarkDotNet.Attributes;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;
using PolicyTrail.Policy.Evaluation;

namespace PolicyTrail.Benchmarks;

/// <summary>
/// One decision on the reference cluster (5,000 pods, 500 namespaces, 2,000 policies): uncached over 4,096
/// distinct probes in rotation, and through the decision cache once it is warm.
/// </summary>
[MemoryDiagnoser]
public class DecisionBenchmarks
{
    private const int ProbeCount = 4096;
    private PolicyEngine _engine = null!;
    private DecisionCache _cache = null!;
    private (string From, string To, int Port, Protocol Protocol)[] _probes = [];
    private int _next;

    [Params(5000)]
    public int Pods { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var cluster = SyntheticCluster.Generate(seed: 42, namespaces: 500, pods: Pods, policies: 2000);
        _engine = PolicyEngine.Create(cluster.Snapshot);
        _probes = cluster.Probes(seed: 7, ProbeCount).ToArray();
        _cache = new DecisionCache(_engine);
        foreach (var p in _probes)
        {
            _cache.Explain(p.From, p.To, PortRef.FromNumber(p.Port), p.Protocol);
        }
    }

    [Benchmark(Description = "decision, uncached")]
    public Decision Uncached()
    {
        var p = _probes[_next++ & (ProbeCount - 1)];
        return _engine.Explain(p.From, p.To, PortRef.FromNumber(p.Port), p.Protocol);
    }

    [Benchmark(Description = "decision, cached")]
    public Decision Cached()
    {
        var p = _probes[_next++ & (ProbeCount - 1)];
        return _cache.Explain(p.From, p.To, PortRef.FromNumber(p.Port), p.Protocol);
    }
}

/// <summary>Compiling the reference cluster: selectors to pod sets, policies per pod.</summary>
[MemoryDiagnoser]
public class CompileBenchmarks
{
    private ClusterSnapshot _snapshot = null!;

    [GlobalSetup]
    public void Setup() => _snapshot = SyntheticCluster.Generate(seed: 42, namespaces: 500, pods: 5000, policies: 2000).Snapshot;

    [Benchmark(Description = "compile 5,000 pods / 2,000 policies")]
    public PolicyEngine Compile() => PolicyEngine.Create(_snapshot);
}
