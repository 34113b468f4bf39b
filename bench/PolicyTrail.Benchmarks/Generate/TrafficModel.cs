using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Policy.Evaluation;

namespace PolicyTrail.Benchmarks;

/// <summary>One synthetic connection attempt.</summary>
internal sealed record SyntheticFlow(PodInfo Src, PodInfo Dst, int SrcPort, int DstPort, bool Udp, bool Dropped, string Node);

/// <summary>
/// Who talks to whom in the synthetic cluster, the way real clusters do: each pod has a few fixed peers (three in its
/// own namespace, one elsewhere: its dependencies); 2% of flows go to a random pod (scans, misconfigured clients);
/// one in ten is DNS over UDP; one in five was dropped. Deterministic by the random source given.
/// With a policy engine the model follows the policies instead: each pod's peers are pods the policies admit it to (the
/// dependencies a team would have opened), the random 2% are mostly refused, and a flow is dropped exactly when the
/// policies deny it, as an enforcing CNI would.
/// </summary>
internal sealed class TrafficModel
{
    private readonly Random _random;
    private readonly PodInfo[] _pods;
    private readonly PodInfo[][] _peers;
    private readonly PolicyEngine? _policies;
    private readonly Dictionary<(PodInfo, PodInfo, int, bool), bool> _denied = [];

    public TrafficModel(ClusterSnapshot snapshot, Random random, PolicyEngine? policies = null)
    {
        _policies = policies;
        _random = random;
        _pods = snapshot.Pods.Where(p => p.IPs.Count > 0).ToArray();
        var byNamespace = _pods.GroupBy(p => p.Namespace, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        _peers = _pods.Select(p =>
        {
            var local = byNamespace[p.Namespace];
            // A pod's peers are other pods (a pod talking to its own address is rare and not what is modelled here).
            PodInfo Other(PodInfo[] from)
            {
                for (var tries = 0; tries < 8; tries++)
                {
                    var peer = from[random.Next(from.Length)];
                    if (!ReferenceEquals(peer, p))
                    {
                        return peer;
                    }
                }
                return _pods[(Array.IndexOf(_pods, p) + 1) % _pods.Length];
            }
            if (policies is null)
            {
                return new[] { Other(local), Other(local), Other(local), Other(_pods) };
            }
            var admitted = new List<PodInfo>();
            for (var tries = 0; tries < 64 && admitted.Count < 4; tries++)
            {
                var peer = Other(tries % 2 == 0 ? local : _pods);
                if (!admitted.Contains(peer) && !Denied(p, peer, FirstPort(peer), udp: false))
                {
                    admitted.Add(peer);
                }
            }
            while (admitted.Count < 4)
            {
                admitted.Add(Other(local));
            }
            return admitted.ToArray();
        }).ToArray();
    }

    private static int FirstPort(PodInfo pod) => pod.Ports.Count > 0 ? pod.Ports[0].Port : 8080;

    private bool Denied(PodInfo src, PodInfo dst, int port, bool udp)
    {
        if (!_denied.TryGetValue((src, dst, port, udp), out var denied))
        {
            denied = _policies!.Explain(src.IPs[0], dst.IPs[0], port, udp ? Protocol.Udp : Protocol.Tcp).Verdict == Verdict.Deny;
            _denied[(src, dst, port, udp)] = denied;
        }
        return denied;
    }

    public SyntheticFlow Next()
    {
        var from = _random.Next(_pods.Length);
        var src = _pods[from];
        var dst = _random.Next(50) == 0 ? _pods[_random.Next(_pods.Length)] : _peers[from][_random.Next(4)];
        if (_policies is not null)
        {
            // Policy-following traffic is TCP to the peer's first port: the port its policies were written for.
            var tcpPort = FirstPort(dst);
            return new SyntheticFlow(src, dst, 32768 + _random.Next(28000), tcpPort, false, Denied(src, dst, tcpPort, udp: false), $"node-{_random.Next(40):D2}");
        }
        var port = dst.Ports.Count > 0 ? dst.Ports[_random.Next(dst.Ports.Count)].Port : 8080;
        var udp = _random.Next(10) == 0;
        var dropped = _random.Next(5) == 0;
        return new SyntheticFlow(src, dst, 32768 + _random.Next(28000), udp ? 53 : port, udp, dropped, $"node-{_random.Next(40):D2}");
    }
}
