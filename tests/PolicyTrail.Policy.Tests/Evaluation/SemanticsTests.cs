using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;
using PolicyTrail.Policy.Tests.Support;
using static PolicyTrail.Core.Verdict;

namespace PolicyTrail.Policy.Tests.Evaluation;

/// <summary>One test per semantic point of networking.k8s.io/v1 NetworkPolicy; the cluster is the e2e 3x3 model.</summary>
public class SemanticsTests
{
    private const string DenyAllIngressY = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny-all, namespace: y}
        spec:
          podSelector: {}
        """;

    public class PolicyTypes
    {
        [Fact]
        public void Without_policies_everything_is_allowed_and_nothing_isolated()
        {
            var d = TestCluster.Engine().Explain("x/a", "y/b", 80);
            Assert.Equal(Allow, d.Verdict);
            Assert.False(d.Ingress.Isolated);
            Assert.False(d.Egress.Isolated);
        }

        [Fact]
        public void Absent_policyTypes_with_only_ingress_rules_isolates_ingress_only()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]
                """);
            Assert.Equal(Deny, engine.Verdict("x/c", "x/a", 80));
            Assert.Equal(Allow, engine.Verdict("x/b", "x/a", 80));
            var egress = engine.Explain("x/a", "y/c", 80);
            Assert.Equal(Allow, egress.Verdict);
            Assert.False(egress.Egress.Isolated);
        }

        [Fact]
        public void Absent_policyTypes_with_egress_rules_isolates_both_directions()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  egress: [{to: [{podSelector: {matchLabels: {pod: b}}}]}]
                """);
            Assert.Equal(Allow, engine.Verdict("x/a", "x/b", 80));
            Assert.Equal(Deny, engine.Verdict("x/a", "x/c", 80));
            // Ingress is isolated too, and with no ingress rules nothing may come in.
            var d = engine.Explain("x/b", "x/a", 80);
            Assert.Equal(Deny, d.Verdict);
            Assert.True(d.Ingress.Isolated);
        }

        [Fact]
        public void Empty_egress_list_without_policyTypes_does_not_isolate_egress()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {}
                  egress: []
                """);
            Assert.False(engine.Explain("x/a", "y/a", 80).Egress.Isolated);
        }

        [Fact]
        public void Egress_type_without_rules_denies_all_egress_but_leaves_ingress_open()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: deny-egress, namespace: x}
                spec:
                  podSelector: {}
                  policyTypes: [Egress]
                """);
            Assert.Equal(Deny, engine.Verdict("x/a", "y/a", 80));
            Assert.Equal(Deny, engine.Verdict("x/a", "8.8.8.8", 53, Protocol.Udp));
            Assert.Equal(Allow, engine.Verdict("y/a", "x/a", 80));
        }

        [Fact]
        public void Ingress_rules_are_ignored_when_policyTypes_names_only_Egress()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {}
                  policyTypes: [Egress]
                  ingress: [{from: [{podSelector: {matchLabels: {pod: nobody}}}]}]
                  egress: [{}]
                """);
            var d = engine.Explain("y/a", "x/a", 80);
            Assert.Equal(Allow, d.Verdict);
            Assert.False(d.Ingress.Isolated);
        }

        [Fact]
        public void A_rule_with_no_from_and_no_ports_admits_everything()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: allow-all, namespace: y}
                spec:
                  podSelector: {}
                  ingress: [{}]
                """);
            var d = engine.Explain("x/a", "y/b", 12345, Protocol.Udp);
            Assert.Equal(Allow, d.Verdict);
            Assert.Equal(new RuleMatch(new PolicyRef("y", "allow-all", null), 0, null, null), Assert.Single(d.Ingress.AllowedBy));
            Assert.Equal(Allow, engine.Verdict("203.0.113.1", "y/b", 80));
        }

        [Fact]
        public void An_empty_from_list_means_all_sources()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: y}
                spec:
                  podSelector: {}
                  ingress: [{from: [], ports: [{port: 80}]}]
                """);
            Assert.Equal(Allow, engine.Verdict("z/c", "y/a", 80));
            Assert.Equal(Deny, engine.Verdict("z/c", "y/a", 81));
        }
    }

    public class Selectors
    {
        [Fact]
        public void Empty_podSelector_selects_every_pod_of_its_namespace_only()
        {
            var engine = TestCluster.Engine(DenyAllIngressY);
            foreach (var pod in TestCluster.Pods)
            {
                Assert.Equal(Deny, engine.Verdict("x/a", $"y/{pod}", 80));
                Assert.Equal(Allow, engine.Verdict("x/a", $"z/{pod}", 80));
            }
        }

        [Fact]
        public void PodSelector_alone_means_pods_of_the_policy_namespace()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: y}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]
                """);
            Assert.Equal(Allow, engine.Verdict("y/b", "y/a", 80));
            Assert.Equal(Deny, engine.Verdict("x/b", "y/a", 80));
        }

        [Fact]
        public void NamespaceSelector_alone_means_every_pod_of_the_matching_namespaces()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: y}
                spec:
                  podSelector: {}
                  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: x}}}]}]
                """);
            Assert.Equal(Allow, engine.Verdict("x/c", "y/a", 80));
            Assert.Equal(Deny, engine.Verdict("y/c", "y/a", 80));
            Assert.Equal(Deny, engine.Verdict("z/c", "y/a", 80));
        }

        [Fact]
        public void Both_selectors_in_one_peer_are_ANDed_but_two_peers_are_ORed()
        {
            var and = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: y}
                spec:
                  podSelector: {}
                  ingress:
                  - from:
                    - namespaceSelector: {matchLabels: {ns: x}}
                      podSelector: {matchLabels: {pod: b}}
                """);
            Assert.Equal(Allow, and.Verdict("x/b", "y/a", 80));
            Assert.Equal(Deny, and.Verdict("x/a", "y/a", 80));
            Assert.Equal(Deny, and.Verdict("z/b", "y/a", 80));

            var or = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: y}
                spec:
                  podSelector: {}
                  ingress:
                  - from:
                    - namespaceSelector: {matchLabels: {ns: x}}
                    - podSelector: {matchLabels: {pod: b}}
                """);
            Assert.Equal(Allow, or.Verdict("x/a", "y/a", 80));
            Assert.Equal(Allow, or.Verdict("y/b", "y/a", 80));
            Assert.Equal(Deny, or.Verdict("z/b", "y/a", 80));
        }

        [Fact]
        public void MatchExpressions_select_pods_and_namespaces()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: y}
                spec:
                  podSelector: {matchExpressions: [{key: pod, operator: NotIn, values: [c]}]}
                  ingress:
                  - from:
                    - namespaceSelector: {matchExpressions: [{key: ns, operator: In, values: [x, z]}]}
                      podSelector: {matchExpressions: [{key: pod, operator: Exists}, {key: role, operator: DoesNotExist}]}
                """);
            Assert.Equal(Allow, engine.Verdict("x/a", "y/a", 80));
            Assert.Equal(Allow, engine.Verdict("z/c", "y/b", 80));
            Assert.Equal(Deny, engine.Verdict("y/a", "y/b", 80));
            // y/c is not selected by the policy, so it is not isolated.
            Assert.Equal(Allow, engine.Verdict("y/a", "y/c", 80));
        }
    }

    public class IpBlocks
    {
        private const string EgressToCidr = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: egress-cidr, namespace: x}
            spec:
              podSelector: {matchLabels: {pod: a}}
              policyTypes: [Egress]
              egress:
              - to:
                - ipBlock: {cidr: 10.244.2.0/24, except: [10.244.2.12/32]}
                - ipBlock: {cidr: 2001:db8::/64, except: ["2001:db8::ff/128"]}
                - ipBlock: {cidr: 192.0.2.0/24}
            """;

        [Fact]
        public void IpBlock_with_except_admits_the_cidr_less_the_exceptions()
        {
            var engine = TestCluster.Engine(EgressToCidr);
            Assert.Equal(Allow, engine.Verdict("x/a", "192.0.2.77", 443));
            Assert.Equal(Deny, engine.Verdict("x/a", "198.51.100.1", 443));
            Assert.Equal(Allow, engine.Verdict("x/a", "2001:db8::1", 443));
            Assert.Equal(Deny, engine.Verdict("x/a", "2001:db8::ff", 443));
            Assert.Equal(Deny, engine.Verdict("x/a", "2001:db9::1", 443));
        }

        [Fact]
        public void Upstream_ipBlocks_match_pod_addresses()
        {
            var engine = TestCluster.Engine(EgressToCidr);
            Assert.Equal(Allow, engine.Verdict("x/a", "y/a", 80));
            Assert.Equal(Deny, engine.Verdict("x/a", "y/b", 80));
            Assert.Equal(Deny, engine.Verdict("x/a", "z/a", 80));
        }

        [Fact]
        public void The_switch_makes_ipBlocks_match_only_non_pod_addresses()
        {
            var engine = TestCluster.Engine(EgressToCidr, new PolicyEngineOptions { IpBlockSelectsPods = false });
            Assert.Equal(Deny, engine.Verdict("x/a", "y/a", 80));
            Assert.Equal(Allow, engine.Verdict("x/a", "192.0.2.77", 80));
        }

        [Fact]
        public void Ingress_from_an_external_address_is_matched_by_ipBlock_only()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: y}
                spec:
                  podSelector: {}
                  ingress:
                  - from: [{namespaceSelector: {}}]
                  - from: [{ipBlock: {cidr: 203.0.113.0/24}}]
                """);
            var d = engine.Explain("203.0.113.9", "y/a", 80);
            Assert.Equal(Allow, d.Verdict);
            Assert.Equal(1, Assert.Single(d.Ingress.AllowedBy).Rule);
            Assert.False(d.Egress.Applies);
            Assert.Equal(Deny, engine.Verdict("198.51.100.9", "y/a", 80));
        }
    }

    public class Ports
    {
        [Fact]
        public void A_port_entry_without_protocol_means_TCP()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: y}
                spec:
                  podSelector: {}
                  ingress: [{ports: [{port: 80}]}]
                """);
            Assert.Equal(Allow, engine.Verdict("x/a", "y/a", 80));
            Assert.Equal(Deny, engine.Verdict("x/a", "y/a", 80, Protocol.Udp));
            Assert.Equal(Deny, engine.Verdict("x/a", "y/a", 80, Protocol.Sctp));
            Assert.Equal(Deny, engine.Verdict("x/a", "y/a", 81));
        }

        [Fact]
        public void A_protocol_without_port_admits_every_port_of_that_protocol()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: y}
                spec:
                  podSelector: {}
                  ingress: [{ports: [{protocol: SCTP}]}]
                """);
            Assert.Equal(Allow, engine.Verdict("x/a", "y/a", 80, Protocol.Sctp));
            Assert.Equal(Allow, engine.Verdict("x/a", "y/a", 9999, Protocol.Sctp));
            Assert.Equal(Deny, engine.Verdict("x/a", "y/a", 80, Protocol.Tcp));
        }

        [Fact]
        public void EndPort_ranges_include_both_ends()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: y}
                spec:
                  podSelector: {}
                  ingress: [{ports: [{protocol: TCP, port: 8000, endPort: 8080}]}]
                """);
            Assert.Equal(Deny, engine.Verdict("x/a", "y/a", 7999));
            Assert.Equal(Allow, engine.Verdict("x/a", "y/a", 8000));
            Assert.Equal(Allow, engine.Verdict("x/a", "y/a", 8080));
            Assert.Equal(Deny, engine.Verdict("x/a", "y/a", 8081));
        }

        [Fact]
        public void Named_ports_resolve_on_the_destination_pods_container_ports_with_their_protocol()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: y}
                spec:
                  podSelector: {}
                  ingress: [{ports: [{port: serve-81-tcp}, {port: serve-80-udp, protocol: UDP}, {port: serve-80-udp}]}]
                """);
            Assert.Equal(Allow, engine.Verdict("x/a", "y/a", 81));
            Assert.Equal(Deny, engine.Verdict("x/a", "y/a", 80));
            var udp = engine.Explain("x/a", "y/a", 80, Protocol.Udp);
            Assert.Equal(Allow, udp.Verdict);
            // Only the UDP entry matches: "serve-80-udp" with the default protocol TCP names no TCP port.
            Assert.Equal(1, Assert.Single(udp.Ingress.AllowedBy).Port);
        }

        [Fact]
        public void Egress_named_ports_resolve_on_the_destination_pod()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {}
                  policyTypes: [Egress]
                  egress: [{ports: [{port: serve-81-tcp}]}]
                """);
            Assert.Equal(Allow, engine.Verdict("x/a", "y/a", 81));
            Assert.Equal(Deny, engine.Verdict("x/a", "y/a", 80));
            // An external address has no named ports.
            Assert.Equal(Deny, engine.Verdict("x/a", "192.0.2.1", 81));
        }

        [Fact]
        public void A_probe_port_given_by_name_is_resolved_on_the_destination()
        {
            var engine = TestCluster.Engine(DenyAllIngressY);
            var d = engine.Explain("x/a", "z/b", PortRef.FromName("serve-81-tcp"));
            Assert.Equal(81, d.Port);
            Assert.Equal(Allow, d.Verdict);
            var bad = engine.Explain("x/a", "z/b", PortRef.FromName("nope"));
            Assert.Equal(Unknown, bad.Verdict);
            Assert.Contains("no TCP container port named 'nope'", bad.Error, StringComparison.Ordinal);
        }

        [Fact]
        public void Ports_rules_never_admit_ICMP_but_portless_rules_do()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: y}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{ports: [{port: 80}]}]
                ---
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: q, namespace: y}
                spec:
                  podSelector: {matchLabels: {pod: b}}
                  ingress: [{from: [{namespaceSelector: {}}]}]
                """);
            Assert.Equal(Deny, engine.Verdict("x/a", "y/a", 0, Protocol.IcmpV4));
            Assert.Equal(Allow, engine.Verdict("x/a", "y/b", 0, Protocol.IcmpV4));
        }
    }

    public class BothDirections
    {
        [Fact]
        public void A_connection_needs_the_sources_egress_and_the_destinations_ingress()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: allow-in, namespace: y}
                spec:
                  podSelector: {}
                  ingress: [{}]
                ---
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: no-out, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  policyTypes: [Egress]
                """);
            var d = engine.Explain("x/a", "y/a", 80);
            Assert.Equal(Deny, d.Verdict);
            Assert.Equal(Deny, d.Egress.Verdict);
            Assert.Equal(Allow, d.Ingress.Verdict);
            Assert.Equal("x/no-out", Assert.Single(d.Egress.SelectedBy).Key);
            Assert.Equal(Allow, engine.Verdict("x/b", "y/a", 80));
        }

        [Fact]
        public void Every_admitting_policy_rule_peer_and_port_is_named()
        {
            var engine = TestCluster.Engine("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p1, namespace: y, resourceVersion: "42"}
                spec:
                  podSelector: {}
                  ingress:
                  - from: [{podSelector: {matchLabels: {pod: nobody}}}, {namespaceSelector: {matchLabels: {ns: x}}}, {namespaceSelector: {}}]
                    ports: [{port: 81}, {port: 80}, {port: 1, endPort: 100}]
                  - ports: [{port: 80}]
                ---
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p2, namespace: y}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{from: [{ipBlock: {cidr: 10.244.1.0/24}}]}]
                """);
            var d = engine.Explain("x/a", "y/a", 80);
            var p1 = new PolicyRef("y", "p1", "42");
            var p2 = new PolicyRef("y", "p2", null);
            Assert.Equal(
                [
                    new RuleMatch(p1, 0, 1, 1), new RuleMatch(p1, 0, 1, 2), new RuleMatch(p1, 0, 2, 1), new RuleMatch(p1, 0, 2, 2),
                    new RuleMatch(p1, 1, null, 0), new RuleMatch(p2, 0, 0, null),
                ],
                d.Ingress.AllowedBy);
            Assert.Equal(["y/p1", "y/p2"], d.Ingress.SelectedBy.Select(p => p.Key));
        }

        [Fact]
        public void A_deny_names_the_isolating_policies_in_one_line()
        {
            var engine = TestCluster.Engine(DenyAllIngressY + """

                ---
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: allow-web, namespace: y}
                spec:
                  podSelector: {matchLabels: {pod: b}}
                  ingress: [{ports: [{port: 80}]}]
                """);
            var d = engine.Explain("x/a", "y/b", 81);
            Assert.Equal(
                "denied: y/b is isolated for ingress by y/deny-all and y/allow-web; no ingress rule admits TCP 81 from x/a",
                d.Explanation);
        }
    }

    public class Addresses
    {
        private const string Extras = """
            apiVersion: v1
            kind: Node
            metadata: {name: node-1}
            spec: {podCIDRs: [10.244.1.0/24]}
            status: {addresses: [{type: InternalIP, address: 172.18.0.2}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: agent, namespace: z}
            spec: {hostNetwork: true, nodeName: node-1, containers: [{name: c}]}
            status: {phase: Running, podIP: 172.18.0.2}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: job-old, namespace: z}
            spec: {containers: [{name: c}]}
            status: {phase: Succeeded, podIP: 10.244.3.50}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: twin-1, namespace: z}
            spec: {containers: [{name: c}]}
            status: {phase: Running, podIP: 10.244.3.60}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: twin-2, namespace: x}
            spec: {containers: [{name: c}]}
            status: {phase: Running, podIP: 10.244.3.60}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: new-job, namespace: x}
            spec: {containers: [{name: c}]}
            status: {phase: Running, podIP: 10.244.3.50}
            """;

        [Fact]
        public void Pod_addresses_resolve_to_the_pod()
        {
            var d = TestCluster.Engine(Extras).Explain("10.244.1.11", TestCluster.Ip("y/c"), 80);
            Assert.Equal(EndpointKind.Pod, d.Source.Kind);
            Assert.Equal("x/a", d.Source.Display);
            Assert.Equal("y/c", d.Destination.Display);
        }

        [Fact]
        public void A_terminated_pod_no_longer_holds_its_address()
        {
            var d = TestCluster.Engine(Extras).Explain("10.244.3.50", "y/a", 80);
            Assert.Equal("x/new-job", d.Source.Display);
        }

        [Fact]
        public void Host_network_pods_and_node_addresses_are_unknown_with_the_reason()
        {
            var engine = TestCluster.Engine(Extras);
            var byName = engine.Explain("z/agent", "y/a", 80);
            Assert.Equal(Unknown, byName.Verdict);
            Assert.Contains("host network", byName.Explanation, StringComparison.Ordinal);
            var byAddress = engine.Explain("x/a", "172.18.0.2", 10250);
            Assert.Equal(Unknown, byAddress.Verdict);
            Assert.Equal(EndpointKind.Node, byAddress.Destination.Kind);
            Assert.Contains("node node-1", byAddress.Explanation, StringComparison.Ordinal);
        }

        [Fact]
        public void An_unheld_address_in_a_pod_cidr_is_unknown_not_external()
        {
            var d = TestCluster.Engine(Extras).Explain("10.244.1.99", "y/a", 80);
            Assert.Equal(Unknown, d.Verdict);
            Assert.Equal(EndpointKind.Unknown, d.Source.Kind);
            Assert.Contains("pod CIDR 10.244.1.0/24", d.Explanation, StringComparison.Ordinal);
        }

        [Fact]
        public void An_address_two_running_pods_claim_is_ambiguous_and_names_both()
        {
            var d = TestCluster.Engine(Extras).Explain("10.244.3.60", "y/a", 80);
            Assert.Equal(Unknown, d.Verdict);
            Assert.Contains("z/twin-1 and x/twin-2", d.Explanation, StringComparison.Ordinal);
        }

        [Fact]
        public void Unknown_pods_and_bad_references_give_an_error()
        {
            var engine = TestCluster.Engine();
            Assert.Equal("no pod or service x/zz in the cluster snapshot", engine.Explain("x/zz", "y/a", 80).Error);
            Assert.Contains("neither namespace/pod nor an IP address", engine.Explain("x/a", "not-a-ref", 80).Error, StringComparison.Ordinal);
            Assert.Contains("outside 1..65535", engine.Explain("x/a", "y/a", 70000).Error, StringComparison.Ordinal);
        }
    }

    public class Services
    {
        private const string Service = """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: y}
            spec:
              clusterIP: 10.96.0.50
              selector: {pod: a}
              ports:
              - {name: http, port: 8080, targetPort: serve-80-tcp}
              - {name: alt, port: 9090, targetPort: 81}
            """;

        private const string Slice = """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-abc, namespace: y, labels: {kubernetes.io/service-name: web}}
            addressType: IPv4
            ports: [{name: http, port: 80, protocol: TCP}, {name: alt, port: 81, protocol: TCP}]
            endpoints:
            - addresses: [10.244.2.11]
              conditions: {ready: true}
              targetRef: {kind: Pod, name: a, namespace: y}
            - addresses: [10.244.2.12]
              conditions: {ready: true}
              targetRef: {kind: Pod, name: b, namespace: y}
            - addresses: [10.244.2.13]
              conditions: {ready: false}
              targetRef: {kind: Pod, name: c, namespace: y}
            """;

        private const string OnlyPort80ToA = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: p, namespace: y}
            spec:
              podSelector: {}
              ingress: [{ports: [{port: 80}]}]
            """;

        [Fact]
        public void A_cluster_IP_is_evaluated_against_each_ready_backend_after_translation()
        {
            var engine = TestCluster.Engine(Service + "\n---\n" + Slice + "\n---\n" + OnlyPort80ToA);
            var http = engine.Explain("x/a", "10.96.0.50", 8080);
            Assert.Equal(Allow, http.Verdict);
            Assert.Equal(["y/a", "y/b"], http.Backends!.Select(b => b.Destination.Display));
            Assert.All(http.Backends!, b => Assert.Equal(80, b.Port));
            var alt = engine.Explain("x/a", "10.96.0.50", 9090);
            Assert.Equal(Deny, alt.Verdict);
        }

        [Fact]
        public void Without_slices_the_selector_and_named_targetPort_give_the_backends()
        {
            var engine = TestCluster.Engine(Service + "\n---\n" + OnlyPort80ToA);
            var d = engine.Explain("x/a", "service:y/web", PortRef.FromName("http"));
            Assert.Equal(Allow, d.Verdict);
            var backend = Assert.Single(d.Backends!);
            Assert.Equal("y/a", backend.Destination.Display);
            Assert.Equal(80, backend.Port);
        }

        [Fact]
        public void Backends_that_disagree_give_unknown_with_each_answer()
        {
            var engine = TestCluster.Engine(Service + "\n---\n" + Slice + """

                ---
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: only-a, namespace: y}
                spec:
                  podSelector: {matchLabels: {pod: b}}
                """);
            var d = engine.Explain("x/a", "10.96.0.50", 8080);
            Assert.Equal(Unknown, d.Verdict);
            Assert.Equal([Allow, Deny], d.Backends!.Select(b => b.Verdict));
        }

        [Fact]
        public void A_service_port_that_does_not_exist_is_an_error()
        {
            var engine = TestCluster.Engine(Service);
            Assert.Contains("has no TCP port 1234", engine.Explain("x/a", "10.96.0.50", 1234).Error, StringComparison.Ordinal);
        }
    }
}
