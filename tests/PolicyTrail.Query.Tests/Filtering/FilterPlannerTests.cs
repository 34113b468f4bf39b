using PolicyTrail.Ledger.DuckDb;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Store;
using PolicyTrail.Query.Filtering;

namespace PolicyTrail.Query.Tests.Filtering;

public sealed class FilterPlannerTests
{
    // A small cluster: frontend/web (two versions: labels changed), payments/api, payments/postgres, an external address.
    private readonly Fixture _f = new();
    private readonly uint _webV1, _webV2, _api, _postgres, _external, _apiVip, _ipv6;
    private readonly uint _tcpAllow, _tcpDeny, _udpUnknown, _disagree, _toService, _icmp6, _gap;
    private readonly uint _allowedByApiIngress, _isolatedByDefaultDeny, _adminDeny, _openSide;

    private static readonly Dictionary<long, IReadOnlyDictionary<string, string>> Versions = new()
    {
        [1] = new Dictionary<string, string> { ["app"] = "web", ["track"] = "stable" },
        [2] = new Dictionary<string, string> { ["app"] = "web", ["track"] = "canary" },
        [3] = new Dictionary<string, string> { ["app"] = "api", ["tier"] = "backend" },
        [4] = new Dictionary<string, string> { ["app"] = "postgres", ["tier"] = "data" },
    };

    private readonly FakeInventory _inventory = new(
        labels: i => Versions.GetValueOrDefault(i),
        backends: s => s == "payments/api" ? new HashSet<(string, string)> { ("payments", "api-5f6c8d-k9j2q") } : new HashSet<(string, string)>());

    public FilterPlannerTests()
    {
        _webV1 = _f.Endpoint("10.244.1.10", "frontend", "web-7d4b9c-x2x7p", inventory: 1);
        _webV2 = _f.Endpoint("10.244.1.10", "frontend", "web-7d4b9c-x2x7p", inventory: 2);
        _api = _f.Endpoint("10.244.1.20", "payments", "api-5f6c8d-k9j2q", inventory: 3);
        _postgres = _f.Endpoint("10.244.2.21", "payments", "postgres-0", inventory: 4);
        _external = _f.Endpoint("203.0.113.7");
        _apiVip = _f.Endpoint("10.96.100.20", "payments", null, service: "payments/api", kind: "service");
        _ipv6 = _f.Endpoint("fd00::20", "payments", "api-5f6c8d-zzzzz", inventory: 3);
        _tcpAllow = _f.Flow();
        _tcpDeny = _f.Flow(verdict: "deny");
        _udpUnknown = _f.Flow(protocol: "UDP", verdict: "unknown", agreement: "undecided");
        _disagree = _f.Flow(verdict: "deny", agreement: "disagree");
        _toService = _f.Flow(service: "payments/api");
        _icmp6 = _f.Flow(protocol: "ICMPv6");
        _gap = _f.Gap();
        _allowedByApiIngress = _f.Side("allow", selectedBy: ["payments/default-deny", "payments/api-ingress"], allowedBy: ["payments/api-ingress"]);
        _isolatedByDefaultDeny = _f.Side("deny", selectedBy: ["payments/default-deny"]);
        _adminDeny = _f.Side("deny", selectedBy: ["payments/default-deny"], decidedBy: "block-monitoring");
        _openSide = _f.Side("allow");
    }

    // Ids in ascending order: fixtures are created in the order the assertions name them.
    private static uint[] Only(FilterPlan plan, FragmentColumn column)
    {
        var clause = Assert.Single(plan.Clauses);
        var term = Assert.Single(clause.AnyOf);
        Assert.Equal(column, term.Column);
        return Sorted(term.Ids);
    }

    private static uint[] Sorted(IReadOnlySet<uint> ids) => [.. ids.Order()];

    [Fact]
    public void No_criteria_plan_nothing()
    {
        var plan = _f.Plan(new FlowCriteria());
        Assert.True(new FlowCriteria().IsEmpty);
        Assert.Empty(plan.Clauses);
        Assert.Null(plan.DstPorts);
        Assert.Null(plan.SeparateGroups);
        var filter = new EntryFilter { Limit = 3 };
        Assert.Equal(filter, plan.Apply(filter));
    }

    [Fact]
    public void Namespaces_pods_and_addresses_select_endpoint_fragments_on_their_side()
    {
        Assert.Equal([_webV1, _webV2], Only(_f.Plan(new FlowCriteria { FromNamespaces = ["frontend"] }), FragmentColumn.Src));
        Assert.Equal([_api, _postgres, _apiVip, _ipv6], Only(_f.Plan(new FlowCriteria { ToNamespaces = ["payments"] }), FragmentColumn.Dst));
        Assert.Equal([_webV1, _webV2, _api, _postgres, _apiVip, _ipv6], Only(_f.Plan(new FlowCriteria { ToNamespaces = ["payments", "frontend"] }), FragmentColumn.Dst));
        Assert.Equal([_api, _ipv6], Only(_f.Plan(new FlowCriteria { FromPods = [PodPattern.Parse("payments/api-")] }), FragmentColumn.Src));
        Assert.Equal([_api, _postgres, _ipv6], Only(_f.Plan(new FlowCriteria { FromPods = [PodPattern.Parse("api"), PodPattern.Parse("postgres")] }), FragmentColumn.Src));
        Assert.Equal([_api, _postgres, _ipv6], Only(_f.Plan(new FlowCriteria { ToPods = [PodPattern.Parse("payments/")] }), FragmentColumn.Dst));
        Assert.Empty(Only(_f.Plan(new FlowCriteria { ToPods = [PodPattern.Parse("frontend/api")] }), FragmentColumn.Dst));
        Assert.Equal([_webV1, _webV2, _api], Only(_f.Plan(new FlowCriteria { FromIps = [IpPrefix.Parse("10.244.1.0/24")] }), FragmentColumn.Src));
        Assert.Equal([_external, _ipv6], Only(_f.Plan(new FlowCriteria { ToIps = [IpPrefix.Parse("203.0.113.7"), IpPrefix.Parse("fd00::/8")] }), FragmentColumn.Dst));
    }

    [Fact]
    public void Labels_are_the_pods_labels_of_the_version_the_flow_was_resolved_against()
    {
        Assert.Equal([_webV1], Only(_f.Plan(new FlowCriteria { FromLabels = [LabelSelector.Parse("app=web,track=stable")] }, _inventory), FragmentColumn.Src));
        Assert.Equal([_webV2], Only(_f.Plan(new FlowCriteria { FromLabels = [LabelSelector.Parse("app=web,track notin (stable)")] }, _inventory), FragmentColumn.Src));
        Assert.Equal([_api, _postgres, _ipv6], Only(_f.Plan(new FlowCriteria { ToLabels = [LabelSelector.Parse("tier")] }, _inventory), FragmentColumn.Dst));
        Assert.Equal([_webV1, _webV2, _postgres], Only(_f.Plan(new FlowCriteria { ToLabels = [LabelSelector.Parse("app=web"), LabelSelector.Parse("tier=data")] }, _inventory), FragmentColumn.Dst));
        // Addresses that are no pod (no inventory entry) have no labels: not even "!x" selects them.
        Assert.DoesNotContain(_external, Only(_f.Plan(new FlowCriteria { ToLabels = [LabelSelector.Parse("!x")] }, _inventory), FragmentColumn.Dst));
    }

    [Fact]
    public void Protocol_verdict_and_disagreement_select_flow_root_templates_only()
    {
        Assert.Equal([_udpUnknown], Only(_f.Plan(new FlowCriteria { Protocols = ["UDP"] }), FragmentColumn.Template));
        Assert.Equal([_tcpAllow, _tcpDeny, _disagree, _toService, _icmp6], Only(_f.Plan(new FlowCriteria { Protocols = ["TCP", "ICMPv6"] }), FragmentColumn.Template));
        Assert.Equal([_tcpDeny, _disagree], Only(_f.Plan(new FlowCriteria { Verdicts = ["deny"] }), FragmentColumn.Template));
        Assert.Equal([_tcpDeny, _udpUnknown, _disagree], Only(_f.Plan(new FlowCriteria { Verdicts = ["deny", "unknown"] }), FragmentColumn.Template));
        Assert.Equal([_disagree], Only(_f.Plan(new FlowCriteria { Disagreement = true }), FragmentColumn.Template));
        Assert.DoesNotContain(_gap, Only(_f.Plan(new FlowCriteria { Verdicts = ["allow", "deny", "unknown"] }), FragmentColumn.Template));
    }

    [Fact]
    public void A_policy_is_named_by_allowing_by_isolating_a_default_deny_or_by_deciding_in_an_admin_tier_on_either_side()
    {
        FragmentClause Clause(string policy) => Assert.Single(_f.Plan(new FlowCriteria { Policies = [policy] }).Clauses);
        var apiIngress = Clause("payments/api-ingress");
        Assert.Equal([FragmentColumn.Ingress, FragmentColumn.Egress], apiIngress.AnyOf.Select(t => t.Column));
        Assert.All(apiIngress.AnyOf, t => Assert.Equal([_allowedByApiIngress], Sorted(t.Ids)));
        // default-deny selects the allowed side too, but only isolates (decides) the denied one; the admin tier decided the other.
        Assert.Equal([_isolatedByDefaultDeny], Sorted(Clause("payments/default-deny").AnyOf[0].Ids));
        Assert.Equal([_adminDeny], Sorted(Clause("block-monitoring").AnyOf[0].Ids));
        Assert.Empty(Clause("payments/nothing").AnyOf[0].Ids);
        Assert.Equal([_allowedByApiIngress, _isolatedByDefaultDeny],
            Sorted(_f.Plan(new FlowCriteria { Policies = ["payments/api-ingress", "payments/default-deny"] }).Clauses[0].AnyOf[1].Ids));
        Assert.DoesNotContain(_openSide, Clause("payments/default-deny").AnyOf[0].Ids);
    }

    [Fact]
    public void A_service_matches_flows_addressed_to_it_and_flows_to_its_backends()
    {
        var clause = Assert.Single(_f.Plan(new FlowCriteria { Services = ["payments/api"] }, _inventory).Clauses);
        Assert.Equal(FragmentColumn.Template, clause.AnyOf[0].Column);
        Assert.Equal([_toService], Sorted(clause.AnyOf[0].Ids));
        Assert.Equal(FragmentColumn.Dst, clause.AnyOf[1].Column);
        Assert.Equal([_api, _apiVip], Sorted(clause.AnyOf[1].Ids));
        var none = Assert.Single(_f.Plan(new FlowCriteria { Services = ["payments/postgres"] }, _inventory).Clauses);
        Assert.All(none.AnyOf, t => Assert.Empty(t.Ids));
    }

    [Fact]
    public void Cross_namespace_groups_namespaced_endpoints_by_namespace_and_leaves_others_out()
    {
        var groups = _f.Plan(new FlowCriteria { CrossNamespace = true }).SeparateGroups!;
        Assert.False(groups.ContainsKey(_external));
        Assert.Equal(groups[_webV1], groups[_webV2]);
        Assert.Equal(groups[_api], groups[_postgres]);
        Assert.Equal(groups[_api], groups[_apiVip]);
        Assert.NotEqual(groups[_webV1], groups[_api]);
    }

    [Fact]
    public void Different_criteria_are_separate_clauses_and_ports_pass_through()
    {
        var plan = _f.Plan(new FlowCriteria
        {
            FromNamespaces = ["frontend"],
            FromPods = [PodPattern.Parse("web")],
            ToNamespaces = ["payments"],
            Verdicts = ["deny"],
            Ports = [new PortRange(5432, 5432), new PortRange(8443, 8443)],
        });
        Assert.Equal([FragmentColumn.Src, FragmentColumn.Src, FragmentColumn.Dst, FragmentColumn.Template], plan.Clauses.Select(c => Assert.Single(c.AnyOf).Column));
        Assert.Equal([new PortRange(5432, 5432), new PortRange(8443, 8443)], plan.DstPorts);
        var existing = FragmentClause.Of(FragmentColumn.Src, new HashSet<uint> { 99 });
        Assert.Equal(5, plan.Apply(new EntryFilter { Clauses = [existing] }).Clauses!.Count);
    }

    [Fact]
    public void A_plan_applied_by_a_store_ors_values_of_one_filter_and_ands_filters()
    {
        var path = Path.Combine(Path.GetTempPath(), $"policytrail-plan-{Guid.NewGuid():N}.duckdb");
        try
        {
            using var store = DuckDbLedgerStore.Open(path);
            store.Initialize(new LogIdentity("example.com/plan", DateTimeOffset.UnixEpoch));
            EntryRow Row(long i, uint template, uint? src, uint? dst, int? port, uint? ingress = null, uint? egress = null) =>
                new() { Index = i, Template = template, Src = src, Dst = dst, DstPort = port, Ingress = ingress, Egress = egress, Time = (i + 1) * 1000, LeafTag = (uint)i };
            store.Append(new AppendBatch
            {
                Entries =
                [
                    Row(0, _tcpAllow, _webV1, _api, 8443, _allowedByApiIngress, _openSide),
                    Row(1, _tcpDeny, _webV2, _postgres, 5432, _isolatedByDefaultDeny, _openSide),
                    Row(2, _gap, null, null, null),
                    Row(3, _tcpAllow, _api, _postgres, 5432, _openSide, _openSide),
                    Row(4, _udpUnknown, _webV1, _external, 53),
                    Row(5, _toService, _webV2, _apiVip, 443, _allowedByApiIngress, _openSide),
                ],
                Fragments = _f.Table.TakePending(),
                Size = 6,
                Frontier = [],
            });
            long[] Run(FlowCriteria c, EntryFilter? basic = null) => store.Query(FilterPlanner.Plan(c, store.ReadFragments(), _inventory).Apply(basic ?? new EntryFilter())).Select(r => r.Index).ToArray();
            Assert.Equal([0L, 1, 4, 5], Run(new FlowCriteria { FromNamespaces = ["frontend"] }));
            Assert.Equal([1L, 3], Run(new FlowCriteria { ToPods = [PodPattern.Parse("payments/postgres")] }));
            Assert.Equal([0L, 1, 3], Run(new FlowCriteria { ToPods = [PodPattern.Parse("postgres"), PodPattern.Parse("api")] }));
            Assert.Equal([1L], Run(new FlowCriteria { FromNamespaces = ["frontend"], ToPods = [PodPattern.Parse("postgres"), PodPattern.Parse("api")], Verdicts = ["deny"] }));
            Assert.Equal([1L, 5], Run(new FlowCriteria { FromLabels = [LabelSelector.Parse("track=canary")] }));
            Assert.Equal([1L, 3, 5], Run(new FlowCriteria { FromLabels = [LabelSelector.Parse("track=canary"), LabelSelector.Parse("app=api")] }));
            Assert.Equal([3L], Run(new FlowCriteria { FromLabels = [LabelSelector.Parse("tier")], ToLabels = [LabelSelector.Parse("tier in (data)")] }));
            Assert.Equal([0L, 1, 5], Run(new FlowCriteria { CrossNamespace = true }));
            Assert.Equal([1L, 3, 4, 5], Run(new FlowCriteria { Ports = [new PortRange(1, 1023), new PortRange(5432, 5432)] }, new EntryFilter { Since = 2000 }));
            Assert.Equal([4L], Run(new FlowCriteria { Protocols = ["UDP"], ToIps = [IpPrefix.Parse("203.0.113.0/24")] }));
            Assert.Equal([0L, 1, 5], Run(new FlowCriteria { Policies = ["payments/api-ingress", "payments/default-deny"] }));
            Assert.Equal([0L, 5], Run(new FlowCriteria { Services = ["payments/api"] }));
            Assert.Equal([5L, 3], store.Query(FilterPlanner.Plan(new FlowCriteria { Verdicts = ["allow"] }, store.ReadFragments(), _inventory).Apply(new EntryFilter { Descending = true, Limit = 2 })).Select(r => r.Index));
        }
        finally
        {
            foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(path) + "*"))
            {
                File.Delete(file);
            }
        }
    }
}
