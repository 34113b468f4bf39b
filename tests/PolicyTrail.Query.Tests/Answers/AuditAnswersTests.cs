using PolicyTrail.Core.Flows;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Store;
using PolicyTrail.Query.Answers;

namespace PolicyTrail.Query.Tests.Answers;

/// <summary>The audit questions on a store ingested from the example cluster and the answers fixture flows.</summary>
public sealed class AuditAnswersTests(AnswerStore fixture) : IClassFixture<AnswerStore>
{
    private static readonly EntryFilter All = new();

    private static long T(int second) => Timestamp.TryParseRfc3339($"2026-11-26T10:00:{second:00}.000000001Z", out var t) ? t.UnixNanos : throw new InvalidOperationException();

    private static readonly SourceIdentity WebX = new("frontend", "web", "web-7d4b9c-x2x7p", "10.244.1.10");
    private static readonly SourceIdentity WebP = new("frontend", "web", "web-7d4b9c-p8m2z", "10.244.2.10");
    private static readonly SourceIdentity Api = new("payments", "api", "api-5f6c8d-k9j2q", "10.244.1.20");
    private static readonly SourceIdentity Prometheus = new("monitoring", "prometheus", "prometheus-0", "10.244.2.30");
    private static readonly WorkloadIdentity Web = new("frontend", "web", null);
    private static readonly WorkloadIdentity ApiWorkload = new("payments", "api", null);
    private static readonly WorkloadIdentity Postgres = new("payments", "postgres", null);
    private static readonly WorkloadIdentity PrometheusWorkload = new("monitoring", "prometheus", null);
    private static readonly WorkloadIdentity World = new(null, null, "203.0.113.7");

    private IReadOnlyList<AccessRow> Access(string to, EntryFilter? filter = null)
    {
        using var store = fixture.Open();
        return new AuditAnswers(store).Access(AccessTarget.Parse(to, out var error) ?? throw new ArgumentException(error), filter ?? All);
    }

    [Fact]
    public void Access_to_a_pod_lists_each_source_with_counts_times_and_the_deciding_policies_and_leaves_replies_out()
    {
        var rows = Access("payments/api-5f6c8d-k9j2q");
        Assert.Equal(
            [
                new AccessRow(WebX, 3, 3, 0, T(1), T(3), ["payments/api-ingress"]),
                new AccessRow(Prometheus, 1, 1, 0, T(5), T(5), ["payments/api-ingress"]),
            ],
            rows,
            RowComparer.Instance);

        // The api's reply to web (second 4) would make the api a source of web: it is not one.
        var toWeb = Access("pod:frontend/web-7d4b9c-x2x7p");
        Assert.DoesNotContain(toWeb, r => r.Source.Pod == "api-5f6c8d-k9j2q");
        var external = Assert.Single(toWeb, r => r.Source.Namespace is null);
        Assert.Equal(new SourceIdentity(null, null, null, "203.0.113.7"), external.Source);
        Assert.Equal((1L, 0L, 1L), (external.Attempts, external.Allowed, external.Denied));
        Assert.Equal(["frontend/allow-ingress-controller", "frontend/default-deny-ingress"], external.Policies);
        Assert.Equal(3, toWeb.Count);
    }

    [Fact]
    public void Access_to_a_namespace_a_service_and_a_selector_resolve_to_their_pods()
    {
        var ns = Access("payments");
        Assert.Equal([WebX, WebP, Prometheus, Api], ns.Select(r => r.Source));
        Assert.Equal([3L, 2, 1, 1], ns.Select(r => r.Attempts));

        // postgres: targetPort 5432 by number, backends by selector and EndpointSlice.
        var service = Access("svc:payments/postgres");
        Assert.Equal([WebP, Api], service.Select(r => r.Source));
        Assert.Equal((2L, 0L, 2L), (service[0].Attempts, service[0].Allowed, service[0].Denied));
        Assert.Equal(["payments/default-deny", "payments/postgres-ingress"], service[0].Policies);
        Assert.Equal(["payments/api-egress", "payments/postgres-ingress"], service[1].Policies);
        // "ns/name" with no pod of that name is the Service.
        Assert.Equal(service, Access("payments/postgres"), RowComparer.Instance);
        Assert.Equal(service, Access("app=postgres"), RowComparer.Instance);
        Assert.Equal(service, Access("tier in (data),app!=api"), RowComparer.Instance);
        Assert.Empty(Access("app=nothing-has-this"));
    }

    [Fact]
    public void Access_honours_the_time_window_and_names_an_unknown_destination()
    {
        var rows = Access("payments/api-5f6c8d-k9j2q", new EntryFilter { Since = T(2), Until = T(5) });
        var row = Assert.Single(rows);
        Assert.Equal((WebX, 2L, T(2), T(3)), (row.Source, row.Attempts, row.FirstSeen, row.LastSeen));
        var error = Assert.Throws<ArgumentException>(() => Access("payments/nothing"));
        Assert.Contains("payments/nothing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Talkers_counts_workload_pairs_per_port_and_protocol_and_filters_by_namespace()
    {
        using var store = fixture.Open();
        var rows = new AuditAnswers(store).Talkers(All);
        Assert.Equal(7, rows.Count);
        Assert.Equal(new TalkerRow(Web, ApiWorkload, 8443, "TCP", 3, 3, 0), rows[0]);
        Assert.Equal(new TalkerRow(Web, Postgres, 5432, "TCP", 2, 0, 2), rows[1]);
        Assert.Contains(new TalkerRow(World, Web, 8080, "TCP", 1, 0, 1), rows);
        Assert.Contains(new TalkerRow(ApiWorkload, Postgres, 5432, "TCP", 1, 1, 0), rows);
        Assert.DoesNotContain(rows, r => r.Source == ApiWorkload && r.Destination == Web);
        Assert.Equal(rows.Take(2), new AuditAnswers(store).Talkers(All, limit: 2));
        Assert.Empty(new AuditAnswers(store).Talkers(All, limit: 0));

        var monitoring = new AuditAnswers(store).Talkers(new EntryFilter { Namespace = "monitoring", Kind = EntryKind.Flow });
        Assert.Equal(
            [new TalkerRow(PrometheusWorkload, Web, 8080, "TCP", 1, 0, 1), new TalkerRow(PrometheusWorkload, ApiWorkload, 9090, "TCP", 1, 1, 0)],
            monitoring);
    }

    [Fact]
    public void Denied_groups_denied_attempts_with_the_isolating_policies_and_cross_namespace_keeps_pod_pairs_of_two_namespaces()
    {
        using var store = fixture.Open();
        var all = new AuditAnswers(store).Denied(All, crossNamespace: false);
        Assert.Equal(3, all.Count);
        Assert.Equal(new DeniedRow(Web, Postgres, 5432, "TCP", 2, T(6), T(7), ["payments/default-deny", "payments/postgres-ingress"]), all[0], RowComparer.Instance);
        Assert.Contains(all, r => r.Source == World);
        var cross = new AuditAnswers(store).Denied(All, crossNamespace: true);
        Assert.Equal([(Web, Postgres), (PrometheusWorkload, Web)], cross.Select(r => (r.Source, r.Destination)));
        Assert.Equal(["frontend/allow-ingress-controller", "frontend/default-deny-ingress"], cross[1].Policies);
        Assert.Equal(all.Take(2), new AuditAnswers(store).Denied(All, crossNamespace: false, limit: 2), RowComparer.Instance);
        Assert.Empty(new AuditAnswers(store).Denied(new EntryFilter { Since = T(10) }, crossNamespace: true));
    }

    [Fact]
    public void Coverage_lists_pods_a_direction_of_which_no_policy_isolates_and_namespaces_without_policy()
    {
        using var store = fixture.Open();
        var report = new AuditAnswers(store).Coverage(T(30));
        Assert.Equal(["batch", "ingress-nginx", "kube-system", "monitoring"], report.NamespacesWithoutPolicy);
        var web = Assert.Single(report.Pods, p => p.Pod == "web-7d4b9c-x2x7p");
        Assert.Equal(("frontend", "web", true, false), (web.Namespace, web.Workload, web.IngressIsolated, web.EgressIsolated));
        Assert.Contains("frontend/default-deny-ingress", web.IngressPolicies);
        Assert.Empty(web.EgressPolicies);
        // payments: default deny both ways, so its pods are isolated in both directions and not listed.
        Assert.DoesNotContain(report.Pods, p => p.Namespace == "payments");
        Assert.True(Assert.Single(report.Pods, p => p.Pod == "kube-proxy-7xk2p").HostNetwork);
        Assert.Equal(9, report.PodsConsidered);
    }

    /// <summary>Rows compare by value, their policy lists by content.</summary>
    private sealed class RowComparer : IEqualityComparer<AccessRow>, IEqualityComparer<DeniedRow>
    {
        public static readonly RowComparer Instance = new();

        public bool Equals(AccessRow? x, AccessRow? y) =>
            x is not null && y is not null && x with { Policies = [] } == y with { Policies = [] } && x.Policies.SequenceEqual(y.Policies);

        public bool Equals(DeniedRow? x, DeniedRow? y) =>
            x is not null && y is not null && x with { Policies = [] } == y with { Policies = [] } && x.Policies.SequenceEqual(y.Policies);

        public int GetHashCode(AccessRow obj) => obj.Source.GetHashCode();

        public int GetHashCode(DeniedRow obj) => obj.Source.GetHashCode();
    }
}
