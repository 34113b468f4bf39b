using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Identity.Snapshots;

namespace PolicyTrail.Identity.Tests.Snapshots;

/// <summary>Reading AdminNetworkPolicy / BaselineAdminNetworkPolicy: the model, and refusals the API server would make.</summary>
public class AdminPolicyReaderTests
{
    private const string Valid = """
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: AdminNetworkPolicy
        metadata: {name: sample, resourceVersion: "42"}
        spec:
          priority: 30
          subject: {pods: {namespaceSelector: {matchLabels: {team: a}}, podSelector: {}}}
          ingress:
          - name: from-monitoring
            action: Allow
            from: [{namespaces: {matchLabels: {team: monitoring}}}]
            ports: [{portNumber: {protocol: UDP, port: 53}}, {namedPort: metrics}, {portRange: {start: 8000, end: 8080}}]
          egress:
          - {action: Pass, to: [{networks: ["10.0.0.0/8"]}, {nodes: {matchExpressions: [{key: role, operator: Exists}]}}]}
        ---
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: BaselineAdminNetworkPolicy
        metadata: {name: default}
        spec:
          subject: {namespaces: {}}
          egress: [{name: deny, action: Deny, to: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}}]}]
        """;

    [Fact]
    public void A_valid_pair_is_read_into_the_model()
    {
        var snapshot = KubectlOutputReader.ReadText(Valid, "anp.yaml").Snapshot;
        var anp = Assert.Single(snapshot.AdminNetworkPolicies);
        Assert.Equal(("sample", 30, "42"), (anp.Name, anp.Priority, anp.ResourceVersion));
        Assert.Equal("a", anp.Subject.NamespaceSelector!.MatchLabels["team"]);
        Assert.True(anp.Subject.PodSelector!.IsEmpty);
        var rule = Assert.Single(anp.Ingress);
        Assert.Equal(("from-monitoring", AdminAction.Allow), (rule.Name, rule.Action));
        Assert.Null(Assert.Single(rule.Peers).PodSelector);
        Assert.Equal(
            [new AdminPortInfo(Protocol.Udp, 53, 53, null), new AdminPortInfo(Protocol.Unknown, 0, 0, "metrics"), new AdminPortInfo(Protocol.Tcp, 8000, 8080, null)],
            rule.Ports!);
        var egress = Assert.Single(anp.Egress);
        Assert.Equal(AdminAction.Pass, egress.Action);
        Assert.Null(egress.Name);
        Assert.Equal(["10.0.0.0/8"], egress.Peers[0].NetworksText!);
        Assert.NotNull(egress.Peers[1].Nodes);
        var banp = snapshot.BaselineAdminNetworkPolicy!;
        Assert.Equal(AdminPolicyKind.BaselineAdminNetworkPolicy, banp.Kind);
        Assert.Equal(AdminAction.Deny, Assert.Single(banp.Egress).Action);
    }

    [Fact]
    public void Other_versions_are_skipped_and_counted()
    {
        var result = KubectlOutputReader.ReadText("""
            {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "AdminNetworkPolicy", "metadata": {"name": "x"}, "spec": {}}
            """);
        Assert.Empty(result.Snapshot.AdminNetworkPolicies);
        Assert.Equal(1, result.SkippedKinds["AdminNetworkPolicy (policy.networking.k8s.io/v1alpha2)"]);
    }

    public static TheoryData<string, string, string> Refusals() => new()
    {
        { "priority: 1001", "AdminNetworkPolicy p: spec.priority: 1001 must be between 0 and 1000", "ANP" },
        { "priority: high", "AdminNetworkPolicy p: spec.priority: must be an integer, not 'high'", "ANP" },
        { "", "AdminNetworkPolicy p: spec.priority: Required value", "ANP" },
        { "subject: null", "AdminNetworkPolicy p: spec.subject: Required value", "ANP-NOSUBJECT" },
        { "subject: {namespaces: {}, pods: {namespaceSelector: {}, podSelector: {}}}", "AdminNetworkPolicy p: spec.subject: exactly one of namespaces or pods may be set", "ANP-NOSUBJECT" },
        { "subject: {pods: {podSelector: {}}}", "AdminNetworkPolicy p: spec.subject.pods.namespaceSelector: Required value", "ANP-NOSUBJECT" },
        { "ingress: [{action: Drop, from: [{namespaces: {}}]}]", "AdminNetworkPolicy p: spec.ingress[0].action: 'Drop' is not an action (Allow, Deny or Pass)", "ANP" },
        { "ingress: [{action: Allow, from: []}]", "AdminNetworkPolicy p: spec.ingress[0].from: must have at least 1 peer", "ANP" },
        { "ingress: [{action: Allow}]", "AdminNetworkPolicy p: spec.ingress[0].from: Required value", "ANP" },
        { "ingress: [{action: Allow, from: [{networks: [10.0.0.0/8]}]}]", "AdminNetworkPolicy p: spec.ingress[0].from[0]: one of namespaces, pods is required", "ANP" },
        { "egress: [{action: Allow, to: [{namespaces: {}, nodes: {}}]}]", "AdminNetworkPolicy p: spec.egress[0].to[0]: exactly one of namespaces, pods, nodes, networks may be set", "ANP" },
        { "egress: [{action: Allow, to: [{networks: [10.0.0.0]}]}]", "AdminNetworkPolicy p: spec.egress[0].to[0].networks[0]: '10.0.0.0' is not a CIDR (missing /prefix)", "ANP" },
        { "egress: [{action: Allow, to: [{namespaces: {}}], ports: [{portRange: {start: 90, end: 80}}]}]", "AdminNetworkPolicy p: spec.egress[0].ports[0].portRange: Start port must be less than End port (start 90, end 80)", "ANP" },
        { "egress: [{action: Allow, to: [{namespaces: {}}], ports: [{portNumber: {port: 0}}]}]", "AdminNetworkPolicy p: spec.egress[0].ports[0].portNumber.port: port 0 is outside 1..65535", "ANP" },
        { "egress: [{action: Allow, to: [{namespaces: {}}], ports: [{portNumber: {protocol: ICMP, port: 1}}]}]", "AdminNetworkPolicy p: spec.egress[0].ports[0].portNumber.protocol: 'ICMP' is not a protocol (TCP, UDP or SCTP)", "ANP" },
        { "egress: [{action: Allow, to: [{namespaces: {}}], ports: [{namedPort: http, portNumber: {port: 80}}]}]", "AdminNetworkPolicy p: spec.egress[0].ports[0]: exactly one of portNumber, namedPort or portRange may be set", "ANP" },
        { "egress: [{action: Pass, to: [{namespaces: {}}]}]", "BaselineAdminNetworkPolicy default: spec.egress[0].action: 'Pass' is not an action (Allow or Deny)", "BANP" },
        { "", "BaselineAdminNetworkPolicy other: metadata.name: only one baseline admin network policy with metadata.name=\"default\" can be created in the cluster", "BANP-OTHER" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Invalid_objects_are_refused_with_file_line_kind_name_and_field(string fragment, string expected, string shape)
    {
        var (kind, name, priority, subject) = shape switch
        {
            "ANP" => ("AdminNetworkPolicy", "p", fragment.StartsWith("priority", StringComparison.Ordinal) || fragment.Length == 0 ? "" : "priority: 1", "subject: {namespaces: {}}"),
            "ANP-NOSUBJECT" => ("AdminNetworkPolicy", "p", "priority: 1", ""),
            "BANP" => ("BaselineAdminNetworkPolicy", "default", "", "subject: {namespaces: {}}"),
            _ => ("BaselineAdminNetworkPolicy", "other", "", "subject: {namespaces: {}}"),
        };
        var yaml = $"""
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: {kind}
            metadata: {"{"}name: {name}{"}"}
            spec:
              {priority}
              {subject}
              {fragment}
            """;
        var e = Assert.Throws<SnapshotFormatException>(() => KubectlOutputReader.ReadText(yaml, "anp.yaml"));
        var problem = Assert.Single(e.Problems);
        Assert.Matches(@"^anp\.yaml:\d+: ", problem);
        Assert.EndsWith(expected, problem, StringComparison.Ordinal);
    }
}
