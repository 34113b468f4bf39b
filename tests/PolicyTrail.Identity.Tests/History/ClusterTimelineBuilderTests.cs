using PolicyTrail.Core.Decisions;
using PolicyTrail.Identity.History;
using PolicyTrail.Identity.Snapshots;
using static PolicyTrail.Identity.Tests.History.Fixtures;

namespace PolicyTrail.Identity.Tests.History;

public class ClusterTimelineBuilderTests
{
    private const string Ip = "10.1.0.7";

    private static IReadOnlyList<KubeObject> Objects(params string[] json) =>
        KubectlOutputReader.ReadObjectsText($$"""{"apiVersion": "v1", "kind": "List", "items": [{{string.Join(",", json)}}]}""", "snapshot.json").Objects;

    public class Given_two_snapshots_with_a_pod_gone_and_its_address_reused
    {
        // Snapshot 1 at 1000 sees cart-1 (created at 0); snapshot 2 at 2000 sees ledger-1 (created at 1500) with its address.
        private readonly ClusterTimelineBuilder _builder = new();
        private readonly IReadOnlyList<ClusterChange> _first;
        private readonly IReadOnlyList<ClusterChange> _second;
        private readonly ClusterTimeline _timeline;

        public Given_two_snapshots_with_a_pod_gone_and_its_address_reused()
        {
            _first = _builder.ApplySnapshot(T(1000), Objects(Pod("shop", "cart-1", "u-cart", Ip, 0), Namespace("shop", new() { ["team"] = "red" })), "snapshot one.json");
            _second = _builder.ApplySnapshot(T(2000), Objects(Pod("bank", "ledger-1", "u-ledger", Ip, 1500), Namespace("shop", new() { ["team"] = "red" })), "snapshot two.json");
            _timeline = _builder.Build();
        }

        [Fact]
        public void The_first_snapshot_adds_what_it_sees_at_its_creation_time()
        {
            // With a creation time the addition is exact; without one, the object existed since some unknown time.
            Assert.All(_first, c => Assert.Equal(ChangeType.Added, c.Type));
            Assert.All(_first, c => Assert.Equal(c.ObjectJson!.Contains("creationTimestamp", StringComparison.Ordinal) ? null : long.MinValue, c.NotBefore));
            var pod = Assert.Single(_first, c => c.Kind == ObjectKinds.Pod);
            Assert.Equal((T(0), (long?)null), (pod.Time, pod.NotBefore));
            Assert.Contains("\"u-cart\"", _first[0].ObjectJson, StringComparison.Ordinal);
        }

        [Fact]
        public void The_second_adds_the_new_pod_at_its_creation_and_deletes_the_gone_one_within_the_window()
        {
            Assert.Equal(2, _second.Count);
            var added = Assert.Single(_second, c => c.Type == ChangeType.Added);
            var deleted = Assert.Single(_second, c => c.Type == ChangeType.Deleted);

            Assert.Equal(("ledger-1", T(1500), (long?)null), (added.Name, added.Time, added.NotBefore));
            Assert.Equal(("cart-1", "u-cart", T(2000), (long?)T(1000)), (deleted.Name, deleted.Uid, deleted.Time, deleted.NotBefore));
            Assert.Equal("snapshot two.json", deleted.Origin);
        }

        [Theory]
        [InlineData(500, EndpointKind.Pod, "cart-1", false)]
        [InlineData(1000, EndpointKind.Pod, "cart-1", false)]
        [InlineData(1200, EndpointKind.Pod, "cart-1", true)]
        [InlineData(1500, EndpointKind.Ambiguous, null, false)]
        [InlineData(1999, EndpointKind.Ambiguous, null, false)]
        [InlineData(2000, EndpointKind.Pod, "ledger-1", false)]
        [InlineData(9000, EndpointKind.Pod, "ledger-1", false)]
        public void Lookups_are_ambiguous_inside_the_window_only_where_both_may_hold_it(double at, EndpointKind kind, string? pod, bool uncertain)
        {
            var endpoint = Lookup(_timeline, Ip, at);

            Assert.Equal((kind, pod, uncertain), (endpoint.Kind, endpoint.Pod?.Name, endpoint.Uncertain));
            if (kind == EndpointKind.Ambiguous)
            {
                Assert.Equal(["cart-1", "ledger-1"], endpoint.Candidates.Select(c => c.Name));
            }
        }
    }

    public class Given_a_snapshot_of_a_changed_object_without_creation_times
    {
        [Fact]
        public void Changed_objects_are_modified_and_new_ones_added_within_the_window()
        {
            var builder = new ClusterTimelineBuilder();
            builder.ApplySnapshot(T(1000), Objects(NetworkPolicy("shop", "allow", "5", "web")), "one");

            var changes = builder.DiffSnapshot(T(2000), Objects(NetworkPolicy("shop", "allow", "9", "api"), NetworkPolicy("shop", "deny", "3", "db")), "two");

            var modified = Assert.Single(changes, c => c.Type == ChangeType.Modified);
            var added = Assert.Single(changes, c => c.Type == ChangeType.Added);
            Assert.Equal(("allow", "9", T(2000), (long?)T(1000)), (modified.Name, modified.ResourceVersion, modified.Time, modified.NotBefore));
            Assert.Equal(("deny", T(2000), (long?)T(1000)), (added.Name, added.Time, added.NotBefore));
        }

        [Fact]
        public void An_unchanged_object_gives_no_change_and_kinds_the_snapshot_did_not_cover_are_not_gone()
        {
            var builder = new ClusterTimelineBuilder();
            builder.ApplySnapshot(T(1000), Objects(NetworkPolicy("shop", "allow", "5", "web"), Namespace("shop", new() { ["a"] = "b" })), "one");

            var changes = builder.DiffSnapshot(T(2000), Objects(NetworkPolicy("shop", "allow", "5", "web")), "two");
            var explicitKinds = builder.DiffSnapshot(T(2000), Objects(NetworkPolicy("shop", "allow", "5", "web")), "two", [ObjectKinds.NetworkPolicy, ObjectKinds.Namespace]);

            Assert.Empty(changes);
            Assert.Equal(("shop", ChangeType.Deleted), (Assert.Single(explicitKinds).Name, explicitKinds[0].Type));
        }

        [Fact]
        public void A_pod_recreated_under_its_name_ends_the_old_one_and_starts_the_new_one()
        {
            var builder = new ClusterTimelineBuilder();
            builder.ApplySnapshot(T(1000), Objects(Pod("db", "pg-0", "u-old", Ip, 0, owner: ("StatefulSet", "pg"))), "one");
            var changes = builder.ApplySnapshot(T(2000), Objects(Pod("db", "pg-0", "u-new", "10.1.0.9", 1800, owner: ("StatefulSet", "pg"))), "two");
            var timeline = builder.Build();

            Assert.Equal([(ChangeType.Deleted, "u-old"), (ChangeType.Added, "u-new")], changes.Select(c => (c.Type, c.Uid!)));
            Assert.Equal("u-old", Lookup(timeline, Ip, 900).Pod!.Uid);
            Assert.Equal(EndpointKind.External, Lookup(timeline, Ip, 1900).Kind);
            Assert.Equal("u-new", Lookup(timeline, "10.1.0.9", 1900).Pod!.Uid);
            Assert.Equal(2, timeline.PodHistory("db", "pg-0").Count);
        }
    }

    public class Given_a_completed_job_pod_first_seen_in_a_snapshot
    {
        [Fact]
        public void It_held_its_address_from_its_start_until_it_finished()
        {
            var builder = new ClusterTimelineBuilder();
            builder.ApplySnapshot(T(1000), Objects(Pod("batch", "report-1-x", "u-job", Ip, 100, phase: "Succeeded", owner: ("Job", "report-1"), finished: 400)), "one");
            var timeline = builder.Build();

            Assert.Equal(EndpointKind.External, Lookup(timeline, Ip, 50).Kind);
            Assert.Equal(("report-1-x", false), (Lookup(timeline, Ip, 300).Pod!.Name, Lookup(timeline, Ip, 300).Uncertain));
            Assert.Equal(EndpointKind.External, Lookup(timeline, Ip, 400).Kind);
        }
    }

    public class Given_a_calico_network_policy
    {
        [Fact]
        public void Only_the_upstream_kind_is_kept()
        {
            var objects = Objects(
                """{"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy", "metadata": {"name": "calico", "namespace": "shop"}, "spec": {}}""",
                NetworkPolicy("shop", "k8s", "1", "web"));

            Assert.Equal("k8s", Assert.Single(objects).Name);
        }
    }

    public class Given_yaml_input
    {
        [Fact]
        public void The_reader_keeps_every_followed_object_with_its_identity_and_json()
        {
            var result = KubectlOutputReader.ReadObjectsText("""
                apiVersion: apps/v1
                kind: ReplicaSet
                metadata: {name: web-5c9d8, namespace: shop, uid: rs-1, resourceVersion: "77", creationTimestamp: "2026-01-01T00:00:00Z"}
                ---
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop, uid: ns-1}
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings, namespace: shop}
                """, "dump.yaml");

            Assert.Equal(2, result.Objects.Count);
            var rs = result.Objects[0];
            Assert.Equal(("ReplicaSet", "shop", "web-5c9d8", "rs-1", "77", Epoch), (rs.Kind, rs.Namespace, rs.Name, rs.Uid, rs.ResourceVersion, rs.CreationTime));
            Assert.Contains("\"web-5c9d8\"", rs.Json, StringComparison.Ordinal);
            Assert.Equal(("Namespace", (string?)null), (result.Objects[1].Kind, result.Objects[1].Namespace));
            Assert.Single(result.Snapshot.Namespaces);
            Assert.Empty(KubectlOutputReader.ReadText("kind: Namespace\nmetadata: {name: x}\n").Objects);
        }
    }
}
