using PolicyTrail.Core.Decisions;
using PolicyTrail.Identity.History;
using static PolicyTrail.Identity.Tests.History.Fixtures;

namespace PolicyTrail.Identity.Tests.History;

public class ClusterTimelineTests
{
    private const string Ip = "10.1.0.7";

    public class Given_a_completed_job_pod_and_a_new_pod_with_its_address
    {
        // The Job's pod ran from 0 to 100 (finishedAt), the change showing "Succeeded" came at 105 and the pod stays in
        // the API; a new pod got its address at 110.
        private readonly ClusterTimeline _timeline = Build(
            Change(ChangeType.Added, 0, Pod("batch", "report-1-abcde", "u-job", null, 0, phase: "Pending", owner: ("Job", "report-1"))),
            Change(ChangeType.Modified, 2, Pod("batch", "report-1-abcde", "u-job", Ip, 0, owner: ("Job", "report-1"))),
            Change(ChangeType.Modified, 105, Pod("batch", "report-1-abcde", "u-job", Ip, 0, phase: "Succeeded", owner: ("Job", "report-1"), finished: 100)),
            Change(ChangeType.Added, 110, Pod("web", "api-0", "u-api", Ip, 110, owner: ("StatefulSet", "api"))),
            Change(ChangeType.Added, 0, Node("n1", "192.168.0.1", "10.1.0.0/24")));

        [Fact]
        public void While_it_ran_the_address_is_the_job_pod()
        {
            var endpoint = Lookup(_timeline, Ip, 50);

            Assert.Equal(EndpointKind.Pod, endpoint.Kind);
            Assert.Equal("report-1-abcde", endpoint.Pod!.Name);
            Assert.False(endpoint.Uncertain);
        }

        [Fact]
        public void After_it_finished_no_pod_holds_the_address_even_before_the_change_said_so()
        {
            var endpoint = Lookup(_timeline, Ip, 102);

            Assert.Equal(EndpointKind.Unknown, endpoint.Kind);
            Assert.Equal("n1", endpoint.Node);
            Assert.Contains("no pod", endpoint.Reason, StringComparison.Ordinal);
        }

        [Fact]
        public void The_new_pod_holds_it_alone_while_the_completed_one_stays_in_the_api()
        {
            var endpoint = Lookup(_timeline, Ip, 200);
            var snapshot = _timeline.SnapshotAt(T(200));

            Assert.Equal(("web", "api-0", "u-api"), (endpoint.Pod!.Namespace, endpoint.Pod.Name, endpoint.Pod.Uid));
            var job = Assert.Single(snapshot.Pods, p => p.Name == "report-1-abcde");
            Assert.Empty(job.IPs);
            Assert.Single(snapshot.Pods, p => p.IPs.Any(a => a.ToString() == Ip));
        }
    }

    public class Given_a_pod_deleted_and_its_address_given_to_a_pod_of_another_namespace_ten_seconds_later
    {
        private readonly ClusterTimeline _timeline = Build(
            Change(ChangeType.Added, 0, Pod("shop", "cart-1", "u-cart", Ip, 0)),
            Change(ChangeType.Deleted, 100, Pod("shop", "cart-1", "u-cart", Ip, 0)),
            Change(ChangeType.Added, 110, Pod("bank", "ledger-1", "u-ledger", Ip, 110)));

        [Theory]
        [InlineData(0, "shop/cart-1")]
        [InlineData(99.999, "shop/cart-1")]
        [InlineData(110, "bank/ledger-1")]
        [InlineData(5000, "bank/ledger-1")]
        public void Flows_before_and_after_resolve_to_the_pod_that_held_the_address(double at, string expected)
        {
            var found = _timeline.TryGet(System.Net.IPAddress.Parse(Ip), T(at), out var endpoint);

            Assert.True(found);
            Assert.Equal(expected, $"{endpoint.Pod!.Namespace}/{endpoint.Pod.Name}");
            Assert.False(endpoint.Uncertain);
        }

        [Theory]
        [InlineData(100)]
        [InlineData(105)]
        public void Flows_in_between_resolve_to_no_pod(double at)
        {
            var found = _timeline.TryGet(System.Net.IPAddress.Parse(Ip), T(at), out var endpoint);

            Assert.False(found);
            Assert.Equal(EndpointKind.External, endpoint.Kind);
            Assert.Null(endpoint.Pod);
        }

        [Fact]
        public void The_allocation_free_key_gives_the_same_answer()
        {
            _timeline.TryGet(AddressKey.OfV4(0x0A010007), T(50), out var endpoint);

            Assert.Equal("cart-1", endpoint.Pod!.Name);
        }
    }

    public class Given_a_deletion_known_only_within_a_window_and_a_new_holder_inside_it
    {
        // Observed alive at 100, found gone at 200; the new pod was created at 150.
        private readonly ClusterTimeline _timeline = Build(
            Change(ChangeType.Added, 0, Pod("shop", "cart-1", "u-cart", Ip, 0)),
            Change(ChangeType.Added, 150, Pod("bank", "ledger-1", "u-ledger", Ip, 150)),
            Change(ChangeType.Deleted, 200, Pod("shop", "cart-1", "u-cart", Ip, 0), notBefore: 100));

        [Fact]
        public void Before_the_window_the_old_pod_certainly_held_it()
        {
            var endpoint = Lookup(_timeline, Ip, 100);

            Assert.Equal(("cart-1", false), (endpoint.Pod!.Name, endpoint.Uncertain));
        }

        [Fact]
        public void In_the_window_before_the_new_pod_the_old_one_possibly_held_it()
        {
            var endpoint = Lookup(_timeline, Ip, 120);

            Assert.Equal(EndpointKind.Pod, endpoint.Kind);
            Assert.Equal(("cart-1", true), (endpoint.Pod!.Name, endpoint.Uncertain));
            Assert.Equal((T(100), T(200)), (endpoint.WindowFrom, endpoint.WindowTo));
            Assert.Contains("possibly", endpoint.Reason, StringComparison.Ordinal);
        }

        [Fact]
        public void In_the_window_with_the_new_pod_it_is_ambiguous_between_both()
        {
            var found = _timeline.TryGet(System.Net.IPAddress.Parse(Ip), T(170), out var endpoint);

            Assert.False(found);
            Assert.Equal(EndpointKind.Ambiguous, endpoint.Kind);
            Assert.Equal(["cart-1", "ledger-1"], endpoint.Candidates.Select(c => c.Name));
            Assert.Contains("between shop/cart-1 (uid u-cart) and bank/ledger-1 (uid u-ledger)", endpoint.Reason, StringComparison.Ordinal);
            Assert.Equal(2, _timeline.SnapshotAt(T(170)).Pods.Count(p => p.IPs.Any(a => a.ToString() == Ip)));
        }

        [Fact]
        public void After_the_window_the_new_pod_certainly_holds_it()
        {
            var endpoint = Lookup(_timeline, Ip, 200);

            Assert.Equal(("ledger-1", false), (endpoint.Pod!.Name, endpoint.Uncertain));
            Assert.DoesNotContain(_timeline.SnapshotAt(T(200)).Pods, p => p.Name == "cart-1");
        }
    }

    public class Given_a_pod_with_a_deletion_deadline
    {
        [Fact]
        public void A_pod_found_gone_released_its_address_by_its_deletion_timestamp_at_the_latest()
        {
            var timeline = Build(
                Change(ChangeType.Added, 0, Pod("shop", "cart-1", "u-cart", Ip, 0)),
                Change(ChangeType.Modified, 100, Pod("shop", "cart-1", "u-cart", Ip, 0, deletion: 130)),
                Change(ChangeType.Deleted, 300, Pod("shop", "cart-1", "u-cart", Ip, 0, deletion: 130), notBefore: 100));

            Assert.True(Lookup(timeline, Ip, 120).Uncertain);
            Assert.Equal(EndpointKind.External, Lookup(timeline, Ip, 130).Kind);
        }
    }

    public class Given_labels_that_change
    {
        private readonly ClusterTimeline _timeline = Build(
            Change(ChangeType.Added, 0, Namespace("shop", new() { ["team"] = "red" })),
            Change(ChangeType.Added, 0, Pod("shop", "cart-1", "u-cart", Ip, 0, labels: new() { ["app"] = "cart", ["tier"] = "web" })),
            Change(ChangeType.Modified, 100, Pod("shop", "cart-1", "u-cart", Ip, 0, labels: new() { ["app"] = "cart", ["tier"] = "pci" })),
            Change(ChangeType.Modified, 100, Namespace("shop", new() { ["team"] = "blue" })),
            Change(ChangeType.Modified, 300, Pod("shop", "cart-1", "u-cart", Ip, 0, labels: new() { ["app"] = "cart", ["tier"] = "gold" }), notBefore: 200));

        [Fact]
        public void A_lookup_gives_the_pods_labels_as_they_were_at_the_instant()
        {
            Assert.Equal("web", Lookup(_timeline, Ip, 50).Pod!.Labels["tier"]);
            Assert.Equal("pci", Lookup(_timeline, Ip, 150).Pod!.Labels["tier"]);
            Assert.Equal("gold", Lookup(_timeline, Ip, 300).Pod!.Labels["tier"]);
        }

        [Fact]
        public void Labels_that_changed_within_a_window_are_flagged_uncertain_there()
        {
            var endpoint = Lookup(_timeline, Ip, 250);

            Assert.Equal("pci", endpoint.Pod!.Labels["tier"]);
            Assert.True(endpoint.Uncertain);
            Assert.Equal((T(200), T(300)), (endpoint.WindowFrom, endpoint.WindowTo));
            Assert.False(Lookup(_timeline, Ip, 200).Uncertain);
        }

        [Fact]
        public void A_snapshot_gives_the_namespaces_labels_as_they_were()
        {
            Assert.Equal("red", Assert.Single(_timeline.SnapshotAt(T(50)).Namespaces).Labels["team"]);
            Assert.Equal("blue", Assert.Single(_timeline.SnapshotAt(T(150)).Namespaces).Labels["team"]);
            Assert.Equal("pci", Assert.Single(_timeline.SnapshotAt(T(150)).Pods).Labels["tier"]);
        }

        [Fact]
        public void The_pods_history_lists_every_version_with_its_validity()
        {
            var versions = _timeline.PodHistory("shop", "cart-1");

            Assert.Equal(["web", "pci", "gold"], versions.Select(v => v.Labels["tier"]));
            Assert.Equal((T(100), T(300), long.MaxValue), (versions[0].ValidTo, versions[1].ValidTo, versions[2].ValidTo));
            Assert.Equal(T(200), versions[2].ChangedNotBefore);
        }
    }

    public class Given_a_network_policy_changed_between_two_times
    {
        private readonly ClusterTimeline _timeline = Build(
            Change(ChangeType.Added, 10, NetworkPolicy("shop", "allow-web", "5", "web"), user: "alice"),
            Change(ChangeType.Modified, 100, NetworkPolicy("shop", "allow-web", "9", "api"), user: "bob"),
            Change(ChangeType.Deleted, 500, NetworkPolicy("shop", "allow-web", "9", "api"), user: "carol"));

        [Fact]
        public void Each_time_gets_its_version_with_resource_version_and_who_changed_it()
        {
            var early = Assert.Single(_timeline.PoliciesAt(T(50)));
            var late = Assert.Single(_timeline.PoliciesAt(T(150)));

            Assert.Equal(("5", "alice", T(10), T(100)), (early.ResourceVersion, early.ChangedBy, early.ValidFrom, early.ValidTo));
            Assert.Equal(("9", "bob", T(100), T(500)), (late.ResourceVersion, late.ChangedBy, late.ValidFrom, late.ValidTo));
            Assert.Equal("web", early.NetworkPolicy!.PodSelector.MatchLabels!["app"]);
            Assert.Empty(_timeline.PoliciesAt(T(5)));
            Assert.Empty(_timeline.PoliciesAt(T(500)));
        }

        [Fact]
        public void Snapshots_carry_the_version_in_force()
        {
            Assert.Equal("5", Assert.Single(_timeline.SnapshotAt(T(50)).NetworkPolicies).ResourceVersion);
            Assert.Equal("9", Assert.Single(_timeline.SnapshotAt(T(150)).NetworkPolicies).ResourceVersion);
            Assert.Empty(_timeline.SnapshotAt(T(600)).NetworkPolicies);
            Assert.Equal(2, _timeline.PolicyHistory(ObjectKinds.NetworkPolicy, "shop", "allow-web").Count);
        }

        [Fact]
        public void Epochs_split_where_the_policy_changed_and_only_there()
        {
            var first = _timeline.EpochAt(T(50));
            var second = _timeline.EpochAt(T(150));

            Assert.Equal((T(10), T(100)), (first.Start, first.End));
            Assert.Equal((T(100), T(500)), (second.Start, second.End));
            Assert.Equal(first, _timeline.EpochAt(T(99)));
            Assert.NotEqual(first.Id, second.Id);
            Assert.Equal(long.MinValue, _timeline.EpochAt(T(0)).Start);
        }
    }

    public class Given_pods_of_every_kind_of_workload
    {
        private static readonly Dictionary<string, string> Hash = new() { ["pod-template-hash"] = "5c9d8" };

        private readonly ClusterTimeline _timeline = Build(
            Change(ChangeType.Added, 0, Owned("ReplicaSet", "shop", "web-5c9d8", ("Deployment", "web"))),
            Change(ChangeType.Added, 1, Pod("shop", "web-5c9d8-x1", "u1", "10.1.0.1", 1, labels: Hash, owner: ("ReplicaSet", "web-5c9d8"))),
            Change(ChangeType.Added, 1, Pod("shop", "api-5c9d8-x1", "u2", "10.1.0.2", 1, labels: Hash, owner: ("ReplicaSet", "api-5c9d8"))),
            Change(ChangeType.Added, 0, Owned("Job", "ops", "backup-29400000", ("CronJob", "backup"))),
            Change(ChangeType.Added, 1, Pod("ops", "backup-29400000-q", "u3", "10.1.0.3", 1, owner: ("Job", "backup-29400000"))),
            Change(ChangeType.Added, 1, Pod("ops", "sweep-29400000-q", "u4", "10.1.0.4", 1, owner: ("Job", "sweep-29400000"))),
            Change(ChangeType.Added, 1, Pod("ops", "migrate-q", "u5", "10.1.0.5", 1, owner: ("Job", "migrate"))),
            Change(ChangeType.Added, 1, Pod("db", "pg-0", "u6", "10.1.0.6", 1, owner: ("StatefulSet", "pg"))),
            Change(ChangeType.Added, 1, Pod("kube-system", "agent-7xk", "u7", "10.1.0.7", 1, owner: ("DaemonSet", "agent"))),
            Change(ChangeType.Added, 1, Pod("default", "debug", "u8", "10.1.0.8", 1)));

        [Theory]
        [InlineData("10.1.0.1", "Deployment", "web", false, "ReplicaSet/web-5c9d8")]
        [InlineData("10.1.0.2", "Deployment", "api", true, "ReplicaSet/api-5c9d8")]
        [InlineData("10.1.0.3", "CronJob", "backup", false, "Job/backup-29400000")]
        [InlineData("10.1.0.4", "CronJob", "sweep", true, "Job/sweep-29400000")]
        [InlineData("10.1.0.5", "Job", "migrate", false, null)]
        [InlineData("10.1.0.6", "StatefulSet", "pg", false, null)]
        [InlineData("10.1.0.7", "DaemonSet", "agent", false, null)]
        [InlineData("10.1.0.8", "Pod", "debug", false, null)]
        public void The_workload_is_the_one_a_person_names_and_an_inference_says_so(string ip, string kind, string name, bool inferred, string? via)
        {
            var workload = Lookup(_timeline, ip, 10).Pod!.Workload;

            Assert.Equal(new WorkloadRef(kind, name, inferred, via), workload);
        }
    }

    public class Given_a_host_network_pod_and_a_service
    {
        private readonly ClusterTimeline _timeline = Build(
            Change(ChangeType.Added, 0, Node("n1", "192.168.0.1", "10.1.0.0/24")),
            Change(ChangeType.Added, 0, Pod("kube-system", "proxy-n2", "u-p", "192.168.0.2", 0, node: "n2", hostNetwork: true)),
            Change(ChangeType.Added, 0, Pod("kube-system", "proxy-n1", "u-q", "192.168.0.1", 0, node: "n1", hostNetwork: true)),
            Change(ChangeType.Added, 0, Service("shop", "web", "10.96.0.10")));

        [Fact]
        public void The_pods_address_is_its_nodes_address()
        {
            Assert.True(_timeline.TryGet(System.Net.IPAddress.Parse("192.168.0.1"), T(10), out var known));
            Assert.True(_timeline.TryGet(System.Net.IPAddress.Parse("192.168.0.2"), T(10), out var learned));

            Assert.Equal((EndpointKind.Node, "n1"), (known.Kind, known.Node));
            Assert.Equal((EndpointKind.Node, "n2"), (learned.Kind, learned.Node));
            Assert.Null(learned.Pod);
            Assert.Contains("node n2", learned.Reason, StringComparison.Ordinal);
        }

        [Fact]
        public void A_cluster_ip_is_the_service_and_other_addresses_are_external()
        {
            var service = Lookup(_timeline, "10.96.0.10", 10);

            Assert.Equal((EndpointKind.Service, "web"), (service.Kind, service.Service!.Name));
            Assert.Equal(EndpointKind.External, Lookup(_timeline, "8.8.8.8", 10).Kind);
            Assert.Equal(EndpointKind.External, Lookup(_timeline, "10.96.0.10", -10).Kind);
        }
    }

    public class Given_a_fake_lookup
    {
        [Fact]
        public void It_answers_from_its_delegate_and_external_otherwise()
        {
            IEndpointLookup lookup = new DelegateEndpointLookup((address, at) =>
                address == AddressKey.OfV4(0x0A000001) ? new EndpointAt { Kind = EndpointKind.Node, Node = "n1", Address = address, At = at, Candidates = [] } : null);

            Assert.True(lookup.TryGet(System.Net.IPAddress.Parse("10.0.0.1"), 5, out var node));
            Assert.False(lookup.TryGet(System.Net.IPAddress.Parse("10.0.0.2"), 5, out var other));
            Assert.Equal(("n1", EndpointKind.External), (node.Node, other.Kind));
        }
    }
}
