using System.Text;
using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;
using PolicyTrail.Policy.Explanation;
using PolicyTrail.Policy.Tests.Support;
using static PolicyTrail.Core.Verdict;

namespace PolicyTrail.Policy.Tests.Evaluation;

/// <summary>AdminNetworkPolicy and BaselineAdminNetworkPolicy on the e2e 3x3 model: tier order, Pass, ports, peers.</summary>
public class AdminPolicyTests
{
    /// <summary>An ANP on the pods of namespace y with one ingress rule from namespace x.</summary>
    private static string IngressFromX(string name, int priority, string action, string ports = "") => $$$"""
        ---
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: AdminNetworkPolicy
        metadata: {name: {{{name}}}}
        spec:
          priority: {{{priority}}}
          subject: {namespaces: {matchLabels: {ns: y} } }
          ingress:
          - name: {{{action.ToLowerInvariant()}}}-from-x
            action: {{{action}}}
            from: [{namespaces: {matchLabels: {ns: x} } }]
            {{{ports}}}

        """;

    private static string BaselineIngressFromX(string action) => $$$"""
        ---
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: BaselineAdminNetworkPolicy
        metadata: {name: default}
        spec:
          subject: {namespaces: {matchLabels: {ns: y} } }
          ingress:
          - {name: baseline-{{{action.ToLowerInvariant()}}}, action: {{{action}}}, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {pod: a} } } }]}

        """;

    private const string NetworkPolicyDenyAllY = """
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny-all, namespace: y}
        spec: {podSelector: {}}

        """;

    private const string NetworkPolicyAllowXToY = """
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: allow-x, namespace: y}
        spec:
          podSelector: {}
          ingress: [{from: [{namespaceSelector: {matchLabels: {ns: x}}}]}]

        """;

    public class Priority
    {
        [Fact]
        public void The_lower_priority_number_decides()
        {
            var engine = TestCluster.Engine(IngressFromX("deny", 10, "Deny") + IngressFromX("allow", 5, "Allow"));
            var d = engine.Explain("x/a", "y/b", 80);
            Assert.Equal(Allow, d.Verdict);
            Assert.Equal(DecisionTier.Admin, d.Ingress.Tier);
            Assert.Equal("allow", d.Ingress.DecidedBy!.Policy);
            Assert.Equal(AdminAction.Allow, d.Ingress.DecidedBy.Action);
        }

        [Fact]
        public void Swapping_priorities_swaps_the_verdict()
        {
            var engine = TestCluster.Engine(IngressFromX("deny", 5, "Deny") + IngressFromX("allow", 10, "Allow"));
            var d = engine.Explain("x/a", "y/b", 80);
            Assert.Equal(Deny, d.Verdict);
            Assert.Equal(new AdminRuleMatch(AdminPolicyKind.AdminNetworkPolicy, "deny", null, 0, "deny-from-x", AdminAction.Deny), d.Ingress.DecidedBy);
        }

        [Fact]
        public void Equal_priorities_are_ordered_by_name()
        {
            var engine = TestCluster.Engine(IngressFromX("b-deny", 7, "Deny") + IngressFromX("a-allow", 7, "Allow"));
            Assert.Equal("a-allow", engine.Explain("x/a", "y/b", 80).Ingress.DecidedBy!.Policy);
        }

        [Fact]
        public void Within_a_policy_the_first_matching_rule_decides()
        {
            var engine = TestCluster.Engine("""
                apiVersion: policy.networking.k8s.io/v1alpha1
                kind: AdminNetworkPolicy
                metadata: {name: ordered}
                spec:
                  priority: 1
                  subject: {pods: {namespaceSelector: {matchLabels: {ns: x}}, podSelector: {matchLabels: {pod: a}}}}
                  egress:
                  - {name: allow-b, action: Allow, to: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {pod: b}}}}]}
                  - {name: deny-all, action: Deny, to: [{namespaces: {}}]}
                """);
            Assert.Equal(Allow, engine.Verdict("x/a", "y/b", 80));
            var d = engine.Explain("x/a", "y/c", 80);
            Assert.Equal(Deny, d.Verdict);
            Assert.Equal(1, d.Egress.DecidedBy!.Rule);
            Assert.Equal("denied: egress of x/a denied by AdminNetworkPolicy ordered rule 1 (deny-all)", d.Explanation);
            Assert.Equal(Allow, engine.Verdict("x/b", "y/c", 80));
        }

        [Fact]
        public void Admin_allow_overrides_a_NetworkPolicy_deny()
        {
            var d = TestCluster.Engine(NetworkPolicyDenyAllY + IngressFromX("allow", 1, "Allow")).Explain("x/a", "y/b", 80);
            Assert.Equal(Allow, d.Verdict);
            Assert.True(d.Ingress.Isolated);
            Assert.Empty(d.Ingress.AllowedBy);
            Assert.Equal(DecisionTier.Admin, d.Ingress.Tier);
            Assert.Contains("ingress of y/b allowed by AdminNetworkPolicy allow rule 0 (allow-from-x)", d.Explanation, StringComparison.Ordinal);
        }

        [Fact]
        public void Admin_deny_overrides_a_NetworkPolicy_allow()
        {
            var d = TestCluster.Engine(NetworkPolicyAllowXToY + IngressFromX("deny", 1, "Deny")).Explain("x/a", "y/b", 80);
            Assert.Equal(Deny, d.Verdict);
            Assert.Equal("denied: ingress of y/b denied by AdminNetworkPolicy deny rule 0 (deny-from-x)", d.Explanation);
        }
    }

    public class Pass
    {
        [Fact]
        public void Pass_skips_lower_admin_policies_and_NetworkPolicy_decides()
        {
            var engine = TestCluster.Engine(IngressFromX("pass", 1, "Pass") + IngressFromX("allow", 2, "Allow") + NetworkPolicyDenyAllY);
            var d = engine.Explain("x/a", "y/b", 80);
            Assert.Equal(Deny, d.Verdict);
            Assert.Equal(DecisionTier.NetworkPolicy, d.Ingress.Tier);
            Assert.Null(d.Ingress.DecidedBy);
            Assert.Equal("pass", d.Ingress.PassedBy!.Policy);
            Assert.Equal(AdminAction.Pass, d.Ingress.PassedBy.Action);
            Assert.EndsWith(", after AdminNetworkPolicy pass rule 0 (pass-from-x) passed", d.Explanation, StringComparison.Ordinal);
        }

        [Fact]
        public void Pass_without_NetworkPolicy_goes_to_the_baseline()
        {
            var d = TestCluster.Engine(IngressFromX("pass", 1, "Pass") + BaselineIngressFromX("Deny")).Explain("x/a", "y/b", 80);
            Assert.Equal(Deny, d.Verdict);
            Assert.Equal(DecisionTier.Baseline, d.Ingress.Tier);
            Assert.Equal(AdminPolicyKind.BaselineAdminNetworkPolicy, d.Ingress.DecidedBy!.Kind);
            Assert.Equal("pass", d.Ingress.PassedBy!.Policy);
        }

        [Fact]
        public void Pass_with_nothing_below_is_allowed()
        {
            var d = TestCluster.Engine(IngressFromX("pass", 1, "Pass")).Explain("x/a", "y/b", 80);
            Assert.Equal(Allow, d.Verdict);
            Assert.Equal(DecisionTier.None, d.Ingress.Tier);
            Assert.NotNull(d.Ingress.PassedBy);
        }
    }

    public class Baseline
    {
        [Fact]
        public void Baseline_applies_when_no_NetworkPolicy_isolates()
        {
            var engine = TestCluster.Engine(BaselineIngressFromX("Deny"));
            var d = engine.Explain("x/a", "y/b", 80);
            Assert.Equal(Deny, d.Verdict);
            Assert.Equal("denied: ingress of y/b denied by BaselineAdminNetworkPolicy default rule 0 (baseline-deny)", d.Explanation);
            Assert.Equal(Allow, engine.Verdict("x/b", "y/b", 80));
            Assert.Equal(Allow, engine.Verdict("y/a", "x/b", 80));
        }

        [Fact]
        public void A_NetworkPolicy_that_isolates_hides_the_baseline()
        {
            var engine = TestCluster.Engine(BaselineIngressFromX("Deny") + NetworkPolicyAllowXToY);
            var d = engine.Explain("x/a", "y/b", 80);
            Assert.Equal(Allow, d.Verdict);
            Assert.Equal(DecisionTier.NetworkPolicy, d.Ingress.Tier);
            // Isolated by the NetworkPolicy, not admitted by it: denied by NetworkPolicy, never reaching the baseline allow.
            var engine2 = TestCluster.Engine(BaselineIngressFromX("Allow") + NetworkPolicyDenyAllY);
            Assert.Equal(Deny, engine2.Verdict("x/a", "y/b", 80));
        }

        [Fact]
        public void An_admin_policy_decides_before_the_baseline()
        {
            var d = TestCluster.Engine(BaselineIngressFromX("Deny") + IngressFromX("allow", 3, "Allow")).Explain("x/a", "y/b", 80);
            Assert.Equal(Allow, d.Verdict);
            Assert.Equal(DecisionTier.Admin, d.Ingress.Tier);
        }
    }

    public class Ports
    {
        [Fact]
        public void Named_port_resolves_on_the_destination_pod()
        {
            var engine = TestCluster.Engine(IngressFromX("deny", 1, "Deny", "ports: [{namedPort: serve-81-tcp}]"));
            Assert.Equal(Deny, engine.Verdict("x/a", "y/b", 81));
            Assert.Equal(Allow, engine.Verdict("x/a", "y/b", 80));
            Assert.Equal(Allow, engine.Verdict("x/a", "y/b", 80, Protocol.Udp));
        }

        [Fact]
        public void Port_range_is_inclusive_and_keeps_its_protocol()
        {
            var engine = TestCluster.Engine(IngressFromX("deny", 1, "Deny", "ports: [{portRange: {protocol: UDP, start: 80, end: 81}}]"));
            Assert.Equal(Deny, engine.Verdict("x/a", "y/b", 80, Protocol.Udp));
            Assert.Equal(Deny, engine.Verdict("x/a", "y/b", 81, Protocol.Udp));
            Assert.Equal(Allow, engine.Verdict("x/a", "y/b", 82, Protocol.Udp));
            Assert.Equal(Allow, engine.Verdict("x/a", "y/b", 80));
        }

        [Fact]
        public void Port_number_defaults_to_TCP()
        {
            var engine = TestCluster.Engine(IngressFromX("deny", 1, "Deny", "ports: [{portNumber: {port: 80}}]"));
            Assert.Equal(Deny, engine.Verdict("x/a", "y/b", 80));
            Assert.Equal(Allow, engine.Verdict("x/a", "y/b", 80, Protocol.Udp));
        }
    }

    public class Peers
    {
        private const string DenyNetworks = """
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: AdminNetworkPolicy
            metadata: {name: cidr}
            spec:
              priority: 1
              subject: {namespaces: {matchLabels: {ns: x}}}
              egress:
              - {name: deny-net, action: Deny, to: [{networks: ["10.244.2.12/32", "192.0.2.0/24"]}]}
            """;

        [Fact]
        public void Networks_select_pod_addresses_when_ipBlocks_do()
        {
            Assert.Equal(Deny, TestCluster.Engine(DenyNetworks).Verdict("x/a", "y/b", 80));
            Assert.Equal(Allow, TestCluster.Engine(DenyNetworks).Verdict("x/a", "y/c", 80));
            Assert.Equal(Deny, TestCluster.Engine(DenyNetworks).Verdict("x/a", "192.0.2.9", 80));
        }

        [Fact]
        public void Networks_skip_pods_when_ipBlocks_do()
        {
            var engine = TestCluster.Engine(DenyNetworks, new PolicyEngineOptions { IpBlockSelectsPods = false });
            Assert.Equal(Allow, engine.Verdict("x/a", "y/b", 80));
            Assert.Equal(Deny, engine.Verdict("x/a", "192.0.2.9", 80));
        }

        [Fact]
        public void Nodes_match_the_addresses_of_nodes_with_the_labels()
        {
            var engine = TestCluster.Engine("""
                apiVersion: v1
                kind: Node
                metadata: {name: worker-1, labels: {role: worker}}
                status: {addresses: [{type: InternalIP, address: 172.18.0.2}]}
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: control, labels: {role: control-plane}}
                status: {addresses: [{type: InternalIP, address: 172.18.0.3}]}
                ---
                apiVersion: policy.networking.k8s.io/v1alpha1
                kind: AdminNetworkPolicy
                metadata: {name: nodes}
                spec:
                  priority: 1
                  subject: {namespaces: {}}
                  egress:
                  - {name: deny-workers, action: Deny, to: [{nodes: {matchLabels: {role: worker}}}]}
                """);
            // Traffic to a node stays "unknown" overall (node traffic is reported, never guessed); the pod's egress side is decided.
            var denied = engine.Explain("x/a", "172.18.0.2", 10250);
            Assert.Equal(Deny, denied.Egress.Verdict);
            Assert.Equal("deny-workers", denied.Egress.DecidedBy!.RuleName);
            Assert.Equal(Allow, engine.Explain("x/a", "172.18.0.3", 10250).Egress.Verdict);
        }
    }

    public class Json
    {
        [Fact]
        public void Directions_carry_tier_decidedBy_and_passedBy()
        {
            var engine = TestCluster.Engine(IngressFromX("pass", 1, "Pass") + BaselineIngressFromX("Deny"));
            var d = engine.Explain("x/a", "y/b", 80);
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream))
            {
                DecisionJsonWriter.WriteProbe(writer, "x/a", "y/b", PortRef.FromNumber(80), d);
            }
            using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(stream.ToArray()));
            var ingress = doc.RootElement.GetProperty("ingress");
            Assert.Equal("baseline", ingress.GetProperty("tier").GetString());
            var decided = ingress.GetProperty("decidedBy");
            Assert.Equal("BaselineAdminNetworkPolicy", decided.GetProperty("kind").GetString());
            Assert.Equal("default", decided.GetProperty("name").GetString());
            Assert.Equal(0, decided.GetProperty("rule").GetInt32());
            Assert.Equal("baseline-deny", decided.GetProperty("ruleName").GetString());
            Assert.Equal("Deny", decided.GetProperty("action").GetString());
            Assert.Equal("Pass", ingress.GetProperty("passedBy").GetProperty("action").GetString());
            Assert.Equal("none", doc.RootElement.GetProperty("egress").GetProperty("tier").GetString());
            Assert.False(doc.RootElement.GetProperty("egress").TryGetProperty("decidedBy", out _));
            Assert.True(ingress.TryGetProperty("allowedBy", out _));
        }
    }
}
