using CsCheck;
using PolicyTrail.Core.Decisions;
using PolicyTrail.Identity.History;
using static PolicyTrail.Identity.Tests.History.Fixtures;

namespace PolicyTrail.Identity.Tests.History;

/// <summary>
/// TryGet and SnapshotAt against a brute-force model over random histories: pods on a few shared addresses, each
/// created at a known time and ending not at all, by an exact deletion, by a deletion found only within a window, or
/// by running to completion.
/// </summary>
public class ClusterTimelinePropertyTests
{
    private enum Ending { None, Deleted, DeletedWithinWindow, Succeeded }

    private sealed record RandomPod(int Address, int Created, Ending Ending, int Lifetime, int WindowStart)
    {
        public long PossibleEnd => Ending == Ending.None ? long.MaxValue : T(Created + Lifetime);

        public long CertainEnd => Ending == Ending.DeletedWithinWindow ? T(Created + (WindowStart % Lifetime)) + 1 : PossibleEnd;

        public bool Possibly(long t) => T(Created) <= t && t < PossibleEnd;

        public bool Certainly(long t) => T(Created) <= t && t < CertainEnd;
    }

    private static readonly Gen<RandomPod> Pod = Gen.Select(Gen.Int[0, 3], Gen.Int[0, 100], Gen.Enum<Ending>(), Gen.Int[1, 100], Gen.Int[0, 99])
        .Select((a, c, e, l, w) => new RandomPod(a, c, e, l, w));

    private static string Address(int i) => $"10.2.0.{i + 1}";

    private static ClusterTimeline Timeline(RandomPod[] pods)
    {
        var changes = new List<ClusterChange>();
        for (var i = 0; i < pods.Length; i++)
        {
            var p = pods[i];
            var running = Fixtures.Pod("ns", $"pod-{i}", $"u-{i}", Address(p.Address), p.Created);
            changes.Add(Change(ChangeType.Added, p.Created, running));
            var end = p.Created + p.Lifetime;
            switch (p.Ending)
            {
                case Ending.Deleted:
                    changes.Add(Change(ChangeType.Deleted, end, running));
                    break;
                case Ending.DeletedWithinWindow:
                    changes.Add(Change(ChangeType.Deleted, end, running, notBefore: p.Created + (p.WindowStart % p.Lifetime)));
                    break;
                case Ending.Succeeded:
                    changes.Add(Change(ChangeType.Modified, end + 5, Fixtures.Pod("ns", $"pod-{i}", $"u-{i}", Address(p.Address), p.Created, phase: "Succeeded", finished: end)));
                    break;
            }
        }
        var builder = new ClusterTimelineBuilder();
        // Sources interleave: the builder must not depend on the order changes arrive in.
        builder.AddRange(changes.AsEnumerable().Reverse());
        return builder.Build();
    }

    [Fact]
    public void TryGet_agrees_with_a_linear_scan_of_every_pod()
    {
        Gen.Select(Pod.Array[1, 12], Gen.Int[-5, 260].Array[25]).Sample((pods, times) =>
        {
            var timeline = Timeline(pods);
            foreach (var seconds in times)
            {
                var t = T(seconds);
                for (var a = 0; a < 4; a++)
                {
                    var holders = Enumerable.Range(0, pods.Length).Where(i => pods[i].Address == a && pods[i].Possibly(t)).ToList();
                    timeline.TryGet(System.Net.IPAddress.Parse(Address(a)), t, out var endpoint);
                    switch (holders.Count)
                    {
                        case 0:
                            Assert.Equal(EndpointKind.External, endpoint.Kind);
                            break;
                        case 1:
                            Assert.Equal(EndpointKind.Pod, endpoint.Kind);
                            Assert.Equal($"pod-{holders[0]}", endpoint.Pod!.Name);
                            Assert.Equal(!pods[holders[0]].Certainly(t), endpoint.Uncertain);
                            break;
                        default:
                            Assert.Equal(EndpointKind.Ambiguous, endpoint.Kind);
                            Assert.Equal(holders.Select(i => $"pod-{i}").Order(), endpoint.Candidates.Select(c => c.Name).Order());
                            break;
                    }
                    var inSnapshot = timeline.SnapshotAt(t).Pods.Where(p => p.IPs.Any(ip => ip.ToString() == Address(a))).Select(p => p.Name);
                    Assert.Equal(holders.Select(i => $"pod-{i}").Order(), inSnapshot.Order());
                }
                var epoch = timeline.EpochAt(t);
                Assert.True(epoch.Start <= t && t < epoch.End);
            }
        });
    }

    [Fact]
    public void Instants_of_one_epoch_get_the_same_snapshot()
    {
        Gen.Select(Pod.Array[1, 12], Gen.Int[-5, 260]).Sample((pods, seconds) =>
        {
            var timeline = Timeline(pods);
            var epoch = timeline.EpochAt(T(seconds));
            var last = epoch.End == long.MaxValue ? T(400) : epoch.End - 1;
            var first = epoch.Start == long.MinValue ? T(-10) : epoch.Start;
            static string Describe(PolicyTrail.Core.Cluster.ClusterSnapshot s) =>
                string.Join(";", s.Pods.Select(p => $"{p.Name}={string.Join(",", p.IPs)}").Order());
            Assert.Equal(Describe(timeline.SnapshotAt(first)), Describe(timeline.SnapshotAt(last)));
            Assert.Equal(epoch, timeline.EpochAt(last));
        });
    }
}
