using System.IO.Compression;
using System.Net;
using System.Text;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Identity.Snapshots;

namespace PolicyTrail.Identity.Tests.Snapshots;

public abstract class KubectlOutputReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("policytrail-snapshot-").FullName;

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private protected string Dir => _dir;

    private protected string Write(string name, string text)
    {
        var path = Path.Combine(Dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private protected const string PodListJson = """
        {
          "apiVersion": "v1",
          "kind": "PodList",
          "metadata": {"resourceVersion": "991"},
          "items": [
            {
              "metadata": {"name": "api-1", "namespace": "shop", "uid": "u-1", "labels": {"app": "api"},
                           "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "api-5c9", "uid": "r", "controller": true}]},
              "spec": {"nodeName": "n1", "serviceAccountName": "api",
                       "containers": [{"name": "api", "ports": [{"name": "http", "containerPort": 8080}, {"containerPort": 53, "protocol": "UDP"}]}],
                       "initContainers": [{"name": "proxy", "ports": [{"name": "admin", "containerPort": 15000}]}]},
              "status": {"phase": "Running", "podIP": "10.1.0.5", "podIPs": [{"ip": "10.1.0.5"}, {"ip": "fd00::5"}]}
            }
          ]
        }
        """;

    public class Given_a_typed_list_without_item_kinds : KubectlOutputReaderTests
    {
        [Fact]
        public void Items_take_the_lists_kind_and_every_field_is_read()
        {
            var result = KubectlOutputReader.Read([Write("pods.json", PodListJson)]);
            var pod = Assert.Single(result.Snapshot.Pods);
            Assert.Equal("shop/api-1", pod.Key);
            Assert.Equal("u-1", pod.Uid);
            Assert.Equal([IPAddress.Parse("10.1.0.5"), IPAddress.Parse("fd00::5")], pod.IPs);
            Assert.Equal(
                [new ContainerPortInfo("http", 8080, Protocol.Tcp), new ContainerPortInfo(null, 53, Protocol.Udp), new ContainerPortInfo("admin", 15000, Protocol.Tcp)],
                pod.Ports);
            Assert.Equal(new OwnerRef("ReplicaSet", "api-5c9"), pod.Owner);
            Assert.Equal("n1", pod.NodeName);
            Assert.Equal("api", pod.ServiceAccount);
            Assert.False(pod.HostNetwork);
        }
    }

    public class Given_multi_document_yaml : KubectlOutputReaderTests
    {
        [Fact]
        public void Every_kind_is_read_and_unknown_kinds_are_counted()
        {
            var path = Write("all.yaml", """
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop, labels: {team: "true"}}
                ---
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: shop, resourceVersion: "77"}
                spec:
                  podSelector: null
                  policyTypes: [Ingress, Egress]
                  ingress:
                  - from:
                    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
                    - namespaceSelector: {}
                      podSelector: {matchExpressions: [{key: app, operator: In, values: [web]}]}
                    ports:
                    - {port: http}
                    - {port: 8000, endPort: 8100, protocol: SCTP}
                  egress:
                  - {}
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: c, namespace: shop}
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: d, namespace: shop}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: api, namespace: shop}
                spec:
                  clusterIP: 10.96.0.9
                  selector: {app: api}
                  ports: [{name: http, port: 80, targetPort: http}, {port: 53, protocol: UDP}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: headless, namespace: shop}
                spec: {clusterIP: None, ports: [{port: 80}]}
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: api-x, namespace: shop, labels: {kubernetes.io/service-name: api}}
                addressType: IPv4
                ports: [{name: http, port: 8080, protocol: TCP}]
                endpoints:
                - {addresses: [10.1.0.5], conditions: {ready: false}, targetRef: {kind: Pod, name: api-1, namespace: shop}}
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: n1}
                spec: {podCIDR: 10.1.0.0/24}
                status: {addresses: [{type: InternalIP, address: 192.168.0.10}, {type: Hostname, address: n1}]}
                ---
                """);
            var result = KubectlOutputReader.Read([path]);
            var s = result.Snapshot;
            Assert.Equal(new Dictionary<string, int> { ["ConfigMap"] = 1, ["Deployment"] = 1 }, result.SkippedKinds);
            var ns = Assert.Single(s.Namespaces);
            Assert.Equal("true", ns.Labels["team"]);
            Assert.Equal("shop", ns.Labels["kubernetes.io/metadata.name"]);

            var policy = Assert.Single(s.NetworkPolicies);
            Assert.Equal("77", policy.ResourceVersion);
            Assert.True(policy.PodSelector.IsEmpty);
            Assert.Equal([PolicyDirection.Ingress, PolicyDirection.Egress], policy.PolicyTypes);
            var rule = Assert.Single(policy.Ingress!);
            Assert.Equal("10.0.0.0/8", rule.Peers![0].IpBlock!.Cidr);
            Assert.True(rule.Peers[0].IpBlock!.Contains(IPAddress.Parse("10.2.0.1")));
            Assert.False(rule.Peers[0].IpBlock!.Contains(IPAddress.Parse("10.1.0.1")));
            Assert.True(rule.Peers[1].NamespaceSelector!.IsEmpty);
            Assert.Equal(SelectorOperator.In, rule.Peers[1].PodSelector!.MatchExpressions[0].Operator);
            Assert.Equal(new PolicyPortInfo(Protocol.Tcp, PortRef.FromName("http"), null), rule.Ports![0]);
            Assert.Equal(new PolicyPortInfo(Protocol.Sctp, PortRef.FromNumber(8000), 8100), rule.Ports[1]);
            var egress = Assert.Single(policy.Egress!);
            Assert.Null(egress.Peers);
            Assert.Null(egress.Ports);

            Assert.Equal(2, s.Services.Count);
            var service = s.Services[0];
            Assert.Equal([IPAddress.Parse("10.96.0.9")], service.ClusterIPs);
            Assert.Equal(PortRef.FromName("http"), service.Ports[0].TargetPort);
            Assert.Equal(new ServicePortInfo(null, 53, Protocol.Udp, PortRef.FromNumber(53)), service.Ports[1]);
            Assert.Empty(s.Services[1].ClusterIPs);

            var slice = Assert.Single(s.EndpointSlices);
            Assert.Equal("api", slice.ServiceName);
            Assert.False(slice.Endpoints[0].Ready);
            Assert.Equal("api-1", slice.Endpoints[0].TargetPodName);

            var node = Assert.Single(s.Nodes);
            Assert.Equal([IPAddress.Parse("192.168.0.10")], node.Addresses);
            Assert.Equal("10.1.0.0/24", node.PodCidrs.Single().ToString());
        }

        [Fact]
        public void A_policy_without_namespace_goes_to_default_as_kubectl_applies_it()
        {
            var result = KubectlOutputReader.ReadText("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p}
                spec: {podSelector: {}}
                """);
            Assert.Equal("default/p", Assert.Single(result.Snapshot.NetworkPolicies).Key);
        }
    }

    public class Given_folders_and_compressed_files : KubectlOutputReaderTests
    {
        [Fact]
        public void Folders_are_read_recursively_in_name_order_and_gzip_is_opened()
        {
            Write("snap/a/pods.json", PodListJson);
            var gz = Path.Combine(Dir, "snap", "b", "policy.yaml.gz");
            Directory.CreateDirectory(Path.GetDirectoryName(gz)!);
            using (var file = File.Create(gz))
            using (var zip = new GZipStream(file, CompressionLevel.Fastest))
            {
                zip.Write(Encoding.UTF8.GetBytes("kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: p, namespace: shop}\nspec: {podSelector: {}}\n"));
            }
            Write("snap/b/notes.txt", "ignored");
            var result = KubectlOutputReader.Read([Path.Combine(Dir, "snap")]);
            Assert.Equal(2, result.Files);
            Assert.Single(result.Snapshot.Pods);
            Assert.Single(result.Snapshot.NetworkPolicies);
        }

        [Fact]
        public void The_same_object_twice_keeps_the_last_and_counts_it()
        {
            var one = Write("one.json", PodListJson);
            var two = Write("two.json", PodListJson.Replace("10.1.0.5", "10.1.0.6", StringComparison.Ordinal));
            var result = KubectlOutputReader.Read([one, two]);
            Assert.Equal(1, result.Duplicates);
            Assert.Equal(IPAddress.Parse("10.1.0.6"), Assert.Single(result.Snapshot.Pods).IPs[0]);
        }

        [Fact]
        public void Concatenated_json_objects_are_all_read()
        {
            var path = Write("two.json", """
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}}
                """);
            Assert.Equal(["a", "b"], KubectlOutputReader.Read([path]).Snapshot.Namespaces.Select(n => n.Name));
        }
    }

    public class Given_malformed_input : KubectlOutputReaderTests
    {
        private string Problem(string name, string text)
        {
            var path = Write(name, text);
            var e = Assert.Throws<SnapshotFormatException>(() => KubectlOutputReader.Read([path]));
            Assert.All(e.Problems, p => Assert.StartsWith(path, p, StringComparison.Ordinal));
            return e.Problems[0][path.Length..];
        }

        [Fact]
        public void Broken_json_names_line_and_column() =>
            Assert.StartsWith(":3:", Problem("bad.json", "{\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": x}\n}"), StringComparison.Ordinal);

        [Fact]
        public void Broken_yaml_names_line_and_column() =>
            Assert.Matches(@"^:3:\d+: invalid YAML: ", Problem("bad.yaml", "kind: Pod\nmetadata:\n  name: [unclosed\n  namespace: x\n"));

        [Fact]
        public void A_wrongly_typed_field_names_its_yaml_line_and_path()
        {
            var problem = Problem("pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    ports:\n    - containerPort: eighty\n");
            Assert.StartsWith(":9: Pod: spec.containers[0].ports[0].containerPort:", problem, StringComparison.Ordinal);
        }

        [Fact]
        public void Semantic_errors_in_policies_are_all_reported_with_positions()
        {
            var path = Write("policy.yaml", """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: y}
                spec:
                  podSelector: {}
                  policyTypes: [Ingres]
                  ingress:
                  - from:
                    - ipBlock: {cidr: 10.0.0.0/33}
                    - podSelector: {matchExpressions: [{key: a, operator: Has}]}
                    ports:
                    - {port: 70000, protocol: TCPX}
                    - {port: http, endPort: 90}
                """);
            var e = Assert.Throws<SnapshotFormatException>(() => KubectlOutputReader.Read([path]));
            var lines = e.Problems.Select(p => p[path.Length..]).ToList();
            Assert.Equal(
            [
                ":6: NetworkPolicy y/p: spec.policyTypes[0]: 'Ingres' is not a policy type (Ingress or Egress)",
                ":9: NetworkPolicy y/p: spec.ingress[0].from[0].ipBlock.cidr: '10.0.0.0/33' is not a CIDR (prefix must be 0..32)",
                ":10: NetworkPolicy y/p: spec.ingress[0].from[1].podSelector.matchExpressions[0].operator: 'Has' is not a selector operator (In, NotIn, Exists, DoesNotExist)",
                ":12: NetworkPolicy y/p: spec.ingress[0].ports[0].protocol: 'TCPX' is not a protocol (TCP, UDP or SCTP)",
                ":12: NetworkPolicy y/p: spec.ingress[0].ports[0].port: port 70000 is outside 1..65535",
                ":13: NetworkPolicy y/p: spec.ingress[0].ports[1].endPort: endPort needs a numeric port",
            ], lines);
        }

        [Fact]
        public void Json_positions_name_the_item_path()
        {
            var problem = Problem("list.json", """{"kind": "List", "items": [{"kind": "Namespace", "metadata": {"name": "ok"}}, {"kind": "Pod", "metadata": {"namespace": "x"}}]}""");
            Assert.Equal(": $.items[1].metadata: Pod: metadata.name is missing", problem);
        }

        [Theory]
        [InlineData("", "file is empty")]
        [InlineData("   \n\n", "file is empty")]
        [InlineData("just a sentence", "expected a Kubernetes object")]
        [InlineData("[1, 2]", "expected a Kubernetes object, found number")]
        public void Empty_and_non_object_input_is_named(string text, string message) =>
            Assert.Contains(message, Problem("odd.yaml", text), StringComparison.Ordinal);

        [Fact]
        public void Binary_input_is_refused_not_parsed() =>
            Assert.Contains("binary data", Problem("bin.json", "\u0000\u0001\u0002garbage"), StringComparison.Ordinal);

        [Fact]
        public void A_missing_path_is_one_clear_line()
        {
            var missing = Path.Combine(Dir, "nope.yaml");
            var e = Assert.Throws<SnapshotFormatException>(() => KubectlOutputReader.Read([missing]));
            Assert.Equal($"{missing}: no such file or folder", e.Message);
        }

        [Fact]
        public void Garbled_and_truncated_input_never_escapes_as_another_exception()
        {
            var random = new Random(7);
            var sources = new[] { PodListJson, "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: b}\nspec: {containers: [{name: c}]}\n" };
            for (var i = 0; i < 300; i++)
            {
                var text = sources[i % 2];
                var bytes = Encoding.UTF8.GetBytes(text);
                var cut = bytes.AsSpan(0, random.Next(bytes.Length)).ToArray();
                for (var flips = random.Next(4); flips > 0 && cut.Length > 0; flips--)
                {
                    cut[random.Next(cut.Length)] = (byte)random.Next(32, 127);
                }
                var path = Write($"fuzz{i % 2}.{(i % 2 == 0 ? "json" : "yaml")}", Encoding.UTF8.GetString(cut));
                try
                {
                    KubectlOutputReader.Read([path]);
                }
                catch (SnapshotFormatException e)
                {
                    Assert.NotEmpty(e.Problems);
                }
            }
        }
    }
}
