using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Ingest.Attribution;
using PolicyTrail.Ingest.Clusters;

namespace PolicyTrail.Ingest.Tests.Attribution;

public sealed class FlowAttributorTests
{
    private static readonly ClusterHistory History = ExampleCluster.History;

    private static FlowRecord Flow(IPAddress from, IPAddress to, int port) => ExampleCluster.Flow(from, to, port);

    [Fact]
    public void Decisions_are_the_engines_and_the_pairs_in_use_survive_a_generation_turning_over()
    {
        var pods = History.Snapshots[0].Snapshot.Pods.Where(p => p.IPs.Count > 0).ToArray();
        Assert.True(pods.Length >= 3, "the example cluster has pods with addresses");
        // Five distinct pairs, k1..k5.
        var keys = new[]
        {
            Flow(pods[0].IPs[0], pods[1].IPs[0], 80),
            Flow(pods[0].IPs[0], pods[2].IPs[0], 80),
            Flow(pods[1].IPs[0], pods[2].IPs[0], 8080),
            Flow(pods[2].IPs[0], pods[0].IPs[0], 443),
            Flow(pods[1].IPs[0], pods[0].IPs[0], 5432),
        };
        var attributor = new FlowAttributor(History, generationCapacity: 3);
        // k1 k2 k3 fill the newer generation; k4 turns it over (k1..k3 become the older); k1 is found there and moves
        // back; k5 fills the newer again; k2 is found in the older, and the turnover it causes drops k3: a miss.
        var sequence = new[] { 0, 1, 2, 3, 0, 4, 1, 2 };
        foreach (var i in sequence)
        {
            var flow = keys[i];
            var attribution = attributor.Attribute(flow);
            var expected = History.At(flow.Time.UnixNanos)!.Engine.Explain(flow.Src.IP!, flow.Dst.IP!, flow.Dst.Port!.Value, Protocol.Tcp);
            Assert.Equal(expected.Verdict, attribution.Verdict);
            Assert.Equal(expected, attribution.Decision);
        }
        Assert.Equal(2, attributor.Hits);
        Assert.Equal(6, attributor.Misses);
    }

    [Fact]
    public void A_pair_has_one_attribution_per_direction_and_reported_verdict_and_keeps_each_when_they_alternate()
    {
        var pods = History.Snapshots[0].Snapshot.Pods.Where(p => p.IPs.Count > 0).ToArray();
        var (a, b) = (pods[0].IPs[0], pods[1].IPs[0]);
        var attributor = new FlowAttributor(History);
        var allowed = ExampleCluster.Flow(a, b, 80);
        var denied = ExampleCluster.Flow(a, b, 80, ReportedVerdict.Denied);
        // The reply of the same connection: decided as the connection (the same pair key), in the other direction.
        var reply = ExampleCluster.Flow(b, a, 40000) with { IsReply = true, Src = new FlowEndpoint { IP = b, Port = 80 }, Dst = new FlowEndpoint { IP = a, Port = 40000 } };

        var first = attributor.Attribute(allowed);
        var second = attributor.Attribute(denied);
        var third = attributor.Attribute(reply);
        Assert.NotSame(first, second);
        Assert.NotSame(first, third);
        Assert.NotSame(second, third);
        Assert.Same(first, attributor.Attribute(allowed));
        Assert.Same(third, attributor.Attribute(reply));
        Assert.Same(second, attributor.Attribute(denied));
        Assert.Same(first, attributor.Attribute(allowed));
        Assert.False(first.EvaluatedAsReply);
        Assert.True(third.EvaluatedAsReply);
        Assert.Equal(FlowAttributor.Compare(ReportedVerdict.Allowed, first.Verdict), first.Agreement);
        Assert.Equal(FlowAttributor.Compare(ReportedVerdict.Denied, second.Verdict), second.Agreement);
        Assert.Same(first.Decision, third.Decision);
        // One decision computed for all of them.
        Assert.Equal(1, attributor.Misses);
        Assert.Equal(6, attributor.Hits);
    }
}
