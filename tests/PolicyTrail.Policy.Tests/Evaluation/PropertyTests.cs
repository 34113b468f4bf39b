using CsCheck;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;
using PolicyTrail.Policy.Evaluation;
using PolicyTrail.Policy.Tests.Support;

namespace PolicyTrail.Policy.Tests.Evaluation;

/// <summary>Properties the evaluator must have on any cluster, checked on random ones (CsCheck shrinks failures).</summary>
public class PropertyTests
{
    private const long Iterations = 400;

    private static Decision Explain(PolicyEngine engine, RandomProbe probe) =>
        engine.Explain(probe.From, probe.To, PortRef.FromNumber(probe.Port), probe.Protocol);

    [Fact]
    public void Adding_an_allow_rule_never_turns_an_allow_into_a_deny() =>
        Gen.Select(RandomClusters.Case, RandomClusters.Rule, Gen.Int[0, 100], Gen.Bool).Sample((c, rule, which, ingress) =>
        {
            if (c.Snapshot.NetworkPolicies.Count == 0)
            {
                return;
            }
            var policies = c.Snapshot.NetworkPolicies.ToArray();
            var index = which % policies.Length;
            var target = policies[index];
            var direction = ingress ? PolicyDirection.Ingress : PolicyDirection.Egress;
            if (!target.Affects(direction))
            {
                // A rule in a direction the policy did not isolate would isolate it: that is not "adding an allow".
                return;
            }
            policies[index] = ingress
                ? target with { Ingress = [.. target.Ingress ?? [], rule] }
                : target with { Egress = [.. target.Egress ?? [], rule] };
            var before = PolicyEngine.Create(c.Snapshot);
            var after = PolicyEngine.Create(c.Snapshot with { NetworkPolicies = policies });
            foreach (var probe in c.Probes)
            {
                if (Explain(before, probe).Verdict == Verdict.Allow)
                {
                    Assert.Equal(Verdict.Allow, Explain(after, probe).Verdict);
                }
            }
        }, iter: Iterations);

    [Fact]
    public void A_pod_no_policy_selects_is_never_isolated() =>
        RandomClusters.Case.Sample(c =>
        {
            var engine = PolicyEngine.Create(c.Snapshot);
            foreach (var probe in c.Probes)
            {
                var decision = Explain(engine, probe);
                AssertSideIsolation(c.Snapshot, decision.Source, decision.Egress, PolicyDirection.Egress);
                AssertSideIsolation(c.Snapshot, decision.Destination, decision.Ingress, PolicyDirection.Ingress);
            }
        }, iter: Iterations);

    [Fact]
    public void Results_do_not_depend_on_the_order_of_policies_or_pods() =>
        Gen.Select(RandomClusters.Case, Gen.Int.Array[16]).Sample((c, keys) =>
        {
            var shuffled = c.Snapshot with
            {
                NetworkPolicies = c.Snapshot.NetworkPolicies.Select((p, i) => (p, keys[i % keys.Length] ^ i)).OrderBy(t => t.Item2).Select(t => t.p).ToArray(),
                Pods = c.Snapshot.Pods.Reverse().ToArray(),
                Namespaces = c.Snapshot.Namespaces.Reverse().ToArray(),
            };
            var a = PolicyEngine.Create(c.Snapshot);
            var b = PolicyEngine.Create(shuffled);
            foreach (var probe in c.Probes)
            {
                var x = Explain(a, probe);
                var y = Explain(b, probe);
                Assert.Equal(x.Verdict, y.Verdict);
                foreach (var (p, q) in new[] { (x.Ingress, y.Ingress), (x.Egress, y.Egress) })
                {
                    Assert.Equal(p.Isolated, q.Isolated);
                    Assert.Equal(p.SelectedBy.Select(s => s.Key).Order(), q.SelectedBy.Select(s => s.Key).Order());
                    Assert.Equal(p.AllowedBy.ToHashSet(), q.AllowedBy.ToHashSet());
                }
            }
        }, iter: Iterations);

    [Fact]
    public void Allow_means_both_sides_allow_and_every_allow_names_a_rule_or_no_isolation() =>
        RandomClusters.Case.Sample(c =>
        {
            var engine = PolicyEngine.Create(c.Snapshot);
            foreach (var probe in c.Probes)
            {
                var d = Explain(engine, probe);
                Assert.Equal(d.Verdict == Verdict.Allow, d.Ingress.Verdict == Verdict.Allow && d.Egress.Verdict == Verdict.Allow);
                foreach (var side in new[] { d.Ingress, d.Egress })
                {
                    Assert.Equal(side.Verdict == Verdict.Allow, !side.Isolated || side.AllowedBy.Count > 0);
                }
            }
        }, iter: Iterations);

    private static void AssertSideIsolation(ClusterSnapshot snapshot, Endpoint endpoint, DirectionDecision side, PolicyDirection direction)
    {
        if (endpoint.Kind != EndpointKind.Pod)
        {
            Assert.False(side.Isolated);
            return;
        }
        var pod = snapshot.Pods.Single(p => p.Namespace == endpoint.Namespace && p.Name == endpoint.Name);
        var selecting = snapshot.NetworkPolicies.Any(p => p.Namespace == pod.Namespace && p.PodSelector.Matches(pod.Labels) && p.Affects(direction));
        Assert.Equal(selecting, side.Isolated);
    }
}
