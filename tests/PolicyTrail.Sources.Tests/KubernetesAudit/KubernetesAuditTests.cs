using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.KubernetesAudit;
using PolicyTrail.Sources.Tests.Support;

namespace PolicyTrail.Sources.Tests.KubernetesAudit;

public class KubernetesAuditTests
{
    private const string Sample = "k8s-audit-netpol.jsonl";

    private static List<PolicyChangeRecord> Changes(ParseOutcome outcome) => outcome.Records.OfType<PolicyChangeRecord>().ToList();

    private static PolicyChangeRecord ChangeAt(int line) =>
        Changes(Harness.ParseFiles([Fixtures.PathOrSkip(Sample)])).Single(c => c.Source.Line == line);

    private static JsonNode Object(PolicyChangeRecord change) => JsonNode.Parse(change.ObjectJson!)!;

    public class Given_the_real_samples
    {
        [Fact]
        public void Every_line_is_read_eight_changes_and_one_read_only_request()
        {
            var outcome = Harness.ParseFiles([Fixtures.PathOrSkip(Sample)]);
            var audit = outcome.Summary.Formats["k8s-audit"];
            Assert.Equal(9, audit.Read);
            Assert.Empty(outcome.Rejects);
            Assert.Equal(8, audit.Other);
            Assert.Equal(0, audit.Flows);
            Assert.Equal(new Dictionary<string, long> { ["read-only verb"] = 1 }, audit.Skipped);
            Assert.Equal(8, Changes(outcome).Count);
        }

        [Fact]
        public void A_v1beta1_create_is_read_field_by_field()
        {
            var change = ChangeAt(1);
            Assert.Equal("2019-05-03T17:11:06.090802Z", change.Time.ToString());
            Assert.Equal(6, change.Time.FractionDigits);
            Assert.Equal("create", change.Verb);
            Assert.Equal(("networking.k8s.io", "v1", "networkpolicies"), (change.ApiGroup, change.ApiVersion, change.Resource));
            Assert.Equal(("default", "test-audit-k8s-policy"), (change.Namespace, change.Name));
            Assert.Equal("jane", change.User);
            Assert.Equal(["system:authenticated"], change.UserGroups);
            Assert.Null(change.ImpersonatedUser);
            Assert.Equal(201, change.ResponseCode);
            Assert.True(change.Succeeded);
            Assert.Equal("afef1ad8-f8a5-43aa-a58d-fa9586c104ea", change.AuditId);
            Assert.Equal("ResponseComplete", change.Stage);
            Assert.Equal("520624", change.ResourceVersion);
            Assert.Equal("k8s-audit", change.Source.Format);
            Assert.Null(change.Source.Node);
            Assert.Equal(64, change.Source.Sha256!.Length);
        }

        [Fact]
        public void The_object_is_the_response_object_verbatim()
        {
            var change = ChangeAt(1);
            var line = File.ReadLines(Fixtures.PathOrSkip(Sample)).First();
            Assert.Contains("\"responseObject\":" + change.ObjectJson + ",\"requestReceivedTimestamp\"", line, StringComparison.Ordinal);
            Assert.Equal("6ff57ab1-6dc6-11e9-af27-42010a8000a7", (string?)Object(change)["metadata"]!["uid"]);
            Assert.Equal(1, (int?)Object(change)["metadata"]!["generation"]);
        }

        [Fact]
        public void An_update_carries_the_version_after_the_change_not_the_one_it_started_from()
        {
            // objectRef.resourceVersion and requestObject say 520624 (the version the client read); the response 520695.
            var change = ChangeAt(2);
            Assert.Equal("update", change.Verb);
            Assert.Equal("520695", change.ResourceVersion);
            Assert.Equal(2, (int?)Object(change)["metadata"]!["generation"]);
            Assert.Equal("2019-05-03T17:11:55.687872Z", change.Time.ToString());
        }

        [Fact]
        public void A_delete_answered_with_a_Status_has_no_object_and_no_version()
        {
            var change = ChangeAt(3);
            Assert.Equal("delete", change.Verb);
            Assert.Equal(200, change.ResponseCode);
            Assert.True(change.Succeeded);
            Assert.Null(change.ObjectJson);
            Assert.Null(change.ResourceVersion);
            Assert.Equal("test-audit-k8s-policy", change.Name);
        }

        [Fact]
        public void The_extensions_v1beta1_group_is_a_network_policy_too_and_the_same_uid_is_changed_through_v1()
        {
            var created = ChangeAt(4);
            Assert.Equal(("extensions", "v1beta1", "networkpolicies"), (created.ApiGroup, created.ApiVersion, created.Resource));
            Assert.Equal("kubernetes-admin", created.User);
            Assert.Equal(["system:masters", "system:authenticated"], created.UserGroups);
            var updated = ChangeAt(5);
            Assert.Equal("networking.k8s.io", updated.ApiGroup);
            Assert.Equal((string?)Object(created)["metadata"]!["uid"], (string?)Object(updated)["metadata"]!["uid"]);
            Assert.Equal("delete", ChangeAt(6).Verb);
        }

        [Fact]
        public void A_Calico_v3_network_policy_is_told_apart_by_its_api_group()
        {
            var change = ChangeAt(7);
            Assert.Equal(("projectcalico.org", "v3", "networkpolicies"), (change.ApiGroup, change.ApiVersion, change.Resource));
            Assert.Equal(("default", "default.test-audit-policy"), (change.Namespace, change.Name));
            Assert.Equal("2019-05-03T17:08:58.901546Z", change.Time.ToString());
        }

        [Fact]
        public void A_rejected_change_is_recorded_as_not_succeeded_with_the_object_it_tried_to_write()
        {
            var change = ChangeAt(8);
            Assert.Equal(("update", "globalnetworkpolicies"), (change.Verb, change.Resource));
            Assert.Null(change.Namespace);
            Assert.Equal(422, change.ResponseCode);
            Assert.False(change.Succeeded);
            // The response is a Status: the object is the request's, and no version came out of it.
            Assert.Equal("GlobalNetworkPolicy", (string?)Object(change)["kind"]);
            Assert.Null(change.ResourceVersion);
        }

        [Fact]
        public void The_v1_list_at_ResponseStarted_is_skipped_as_a_read()
        {
            var outcome = Harness.ParseText(File.ReadLines(Fixtures.PathOrSkip(Sample)).Last());
            Assert.Empty(outcome.Records);
            Assert.Equal(1, outcome.Summary.Formats["k8s-audit"].Skipped["read-only verb"]);
        }

        [Fact]
        public void The_Elasticsearch_hits_read_the_same_as_the_bare_events()
        {
            var hits = ElasticsearchHits(Fixtures.PathOrSkip("k8s-audit-netpol.pretty.txt"));
            Assert.Equal(8, hits.Count);
            Assert.All(hits, h => Assert.StartsWith("{\"_index\":", h, StringComparison.Ordinal));
            var wrapped = Harness.ParseText(string.Join('\n', hits));
            Assert.Empty(wrapped.Rejects);
            var bare = Changes(Harness.ParseFiles([Fixtures.PathOrSkip(Sample)]));
            var fromHits = Changes(wrapped);
            Assert.Equal(8, fromHits.Count);
            for (var i = 0; i < 8; i++)
            {
                // The hits' "fields" hold millisecond copies of the times; the time must come from _source.
                Assert.Equal(6, fromHits[i].Time.FractionDigits);
                Assert.Equal(RecordJson.Of(bare[i] with { ObjectJson = null }, withSource: false), RecordJson.Of(fromHits[i] with { ObjectJson = null }, withSource: false));
                Assert.True(JsonNode.DeepEquals(bare[i].ObjectJson is null ? null : JsonNode.Parse(bare[i].ObjectJson!), fromHits[i].ObjectJson is null ? null : JsonNode.Parse(fromHits[i].ObjectJson!)));
            }
        }

        [Fact]
        public void Every_truncation_of_a_real_line_is_rejected_with_a_reason_never_a_crash()
        {
            var line = File.ReadLines(Fixtures.PathOrSkip(Sample)).First();
            var cuts = Enumerable.Range(1, line.Length - 1).Where(n => n % 7 == 0).Select(n => line[..n]).ToList();
            var outcome = Harness.ParseText(string.Join('\n', cuts), format: "k8s-audit");
            Assert.Equal(cuts.Count, outcome.Rejects.Count);
            Assert.DoesNotContain(outcome.Rejects, r => r.Reason.Contains("parser failed", StringComparison.Ordinal));
        }

        /// <summary>Blocks 1-8 of the pretty file (whole Elasticsearch hits), each made one line.</summary>
        private static List<string> ElasticsearchHits(string path)
        {
            var blocks = new List<string>();
            StringBuilder? current = null;
            foreach (var text in File.ReadLines(path))
            {
                if (text.StartsWith("##### BLOCK", StringComparison.Ordinal))
                {
                    if (current is not null) { blocks.Add(current.ToString()); }
                    current = new StringBuilder();
                    continue;
                }
                current?.AppendLine(text);
            }
            if (current is not null) { blocks.Add(current.ToString()); }
            var options = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            return blocks.Select(b => JsonSerializer.Serialize(JsonDocument.Parse(b).RootElement, options))
                .Where(b => b.Contains("\"_source\"", StringComparison.Ordinal)).ToList();
        }
    }

    public class Given_written_v1_events
    {
        // No verifiable public audit.k8s.io/v1 event for a NetworkPolicy write exists (../shared k8s-audit-netpol.md):
        // these are written from k8s.io/apiserver/pkg/apis/audit/v1/types.go and pkg/audit/request.go (objectRef filled
        // from the request object; a patch logged as its raw body; MicroTime with six fraction digits; responseStatus
        // with only the code on success).
        private const string Create = """
            {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"0b5a7c1e-3f1d-4c55-9d0e-6a1f2b3c4d01","stage":"ResponseComplete","requestURI":"/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies?fieldManager=kubectl-client-side-apply\u0026fieldValidation=Strict","verb":"create","user":{"username":"alice@example.com","groups":["devs","system:authenticated"],"extra":{"authentication.kubernetes.io/credential-id":["X509SHA256=ab12"]}},"sourceIPs":["2001:db8::7"],"userAgent":"kubectl/v1.31.0 (linux/amd64) kubernetes/9bd3d3e","objectRef":{"resource":"networkpolicies","namespace":"shop","name":"allow-web","apiGroup":"networking.k8s.io","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"NetworkPolicy","apiVersion":"networking.k8s.io/v1","metadata":{"name":"allow-web","namespace":"shop"},"spec":{"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{"ports":[{"protocol":"TCP","port":80}]}],"policyTypes":["Ingress"]}},"responseObject":{"kind":"NetworkPolicy","apiVersion":"networking.k8s.io/v1","metadata":{"name":"allow-web","namespace":"shop","uid":"5d1c9a7e-8b2f-4e3a-9c4d-1e2f3a4b5c6d","resourceVersion":"100234","generation":1,"creationTimestamp":"2025-03-04T10:20:30Z"},"spec":{"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{"ports":[{"protocol":"TCP","port":80}]}],"policyTypes":["Ingress"]}},"requestReceivedTimestamp":"2025-03-04T10:20:30.123456Z","stageTimestamp":"2025-03-04T10:20:30.131072Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \"netpol-admin/shop\" of ClusterRole \"admin\" to Group \"devs\""}}
            """;

        private const string CreateReceived = """
            {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"0b5a7c1e-3f1d-4c55-9d0e-6a1f2b3c4d01","stage":"RequestReceived","requestURI":"/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies?fieldManager=kubectl-client-side-apply\u0026fieldValidation=Strict","verb":"create","user":{"username":"alice@example.com","groups":["devs","system:authenticated"]},"sourceIPs":["2001:db8::7"],"userAgent":"kubectl/v1.31.0 (linux/amd64) kubernetes/9bd3d3e","objectRef":{"resource":"networkpolicies","namespace":"shop","name":"allow-web","apiGroup":"networking.k8s.io","apiVersion":"v1"},"requestReceivedTimestamp":"2025-03-04T10:20:30.123456Z","stageTimestamp":"2025-03-04T10:20:30.123456Z"}
            """;

        private const string Update = """
            {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"0b5a7c1e-3f1d-4c55-9d0e-6a1f2b3c4d02","stage":"ResponseComplete","requestURI":"/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/allow-web","verb":"update","user":{"username":"system:serviceaccount:argocd:argocd-application-controller","uid":"7e1a","groups":["system:serviceaccounts","system:serviceaccounts:argocd","system:authenticated"]},"sourceIPs":["10.244.1.17"],"userAgent":"argocd-controller/v2.13.0","objectRef":{"resource":"networkpolicies","namespace":"shop","name":"allow-web","uid":"5d1c9a7e-8b2f-4e3a-9c4d-1e2f3a4b5c6d","apiGroup":"networking.k8s.io","apiVersion":"v1","resourceVersion":"100234"},"responseStatus":{"metadata":{},"code":200},"requestObject":{"kind":"NetworkPolicy","apiVersion":"networking.k8s.io/v1","metadata":{"name":"allow-web","namespace":"shop","uid":"5d1c9a7e-8b2f-4e3a-9c4d-1e2f3a4b5c6d","resourceVersion":"100234"},"spec":{"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{"ports":[{"protocol":"TCP","port":8080}]}],"policyTypes":["Ingress"]}},"responseObject":{"kind":"NetworkPolicy","apiVersion":"networking.k8s.io/v1","metadata":{"name":"allow-web","namespace":"shop","uid":"5d1c9a7e-8b2f-4e3a-9c4d-1e2f3a4b5c6d","resourceVersion":"100411","generation":2,"creationTimestamp":"2025-03-04T10:20:30Z"},"spec":{"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{"ports":[{"protocol":"TCP","port":8080}]}],"policyTypes":["Ingress"]}},"requestReceivedTimestamp":"2025-03-04T11:00:00.000001Z","stageTimestamp":"2025-03-04T11:00:00.004200Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"argocd-application-controller\" of ClusterRole \"argocd-application-controller\" to ServiceAccount \"argocd-application-controller/argocd\""}}
            """;

        private const string Patch = """
            {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"0b5a7c1e-3f1d-4c55-9d0e-6a1f2b3c4d03","stage":"ResponseComplete","requestURI":"/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/allow-web","verb":"patch","user":{"username":"admin","groups":["system:masters","system:authenticated"]},"impersonatedUser":{"username":"bob","groups":["ops"]},"sourceIPs":["192.0.2.10"],"userAgent":"kubectl/v1.31.0 (linux/amd64) kubernetes/9bd3d3e","objectRef":{"resource":"networkpolicies","namespace":"shop","name":"allow-web","apiGroup":"networking.k8s.io","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestObject":{"spec":{"ingress":[{"ports":[{"port":8443,"protocol":"TCP"}]}]}},"responseObject":{"kind":"NetworkPolicy","apiVersion":"networking.k8s.io/v1","metadata":{"name":"allow-web","namespace":"shop","uid":"5d1c9a7e-8b2f-4e3a-9c4d-1e2f3a4b5c6d","resourceVersion":"100502","generation":3,"creationTimestamp":"2025-03-04T10:20:30Z"},"spec":{"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{"ports":[{"protocol":"TCP","port":8443}]}],"policyTypes":["Ingress"]}},"requestReceivedTimestamp":"2025-03-04T12:00:00.500000Z","stageTimestamp":"2025-03-04T12:00:00.507311Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \"ops/shop\" of ClusterRole \"edit\" to User \"bob\""}}
            """;

        private const string PatchAtRequestLevel = """
            {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"0b5a7c1e-3f1d-4c55-9d0e-6a1f2b3c4d04","stage":"ResponseComplete","requestURI":"/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/allow-web","verb":"patch","user":{"username":"carol","groups":["system:authenticated"]},"sourceIPs":["192.0.2.11"],"userAgent":"kubectl/v1.31.0 (linux/amd64) kubernetes/9bd3d3e","objectRef":{"resource":"networkpolicies","namespace":"shop","name":"allow-web","apiGroup":"networking.k8s.io","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestObject":[{"op":"replace","path":"/spec/ingress/0/ports/0/port","value":9443}],"requestReceivedTimestamp":"2025-03-04T12:30:00.000000Z","stageTimestamp":"2025-03-04T12:30:00.006000Z"}
            """;

        private const string Delete = """
            {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"0b5a7c1e-3f1d-4c55-9d0e-6a1f2b3c4d05","stage":"ResponseComplete","requestURI":"/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/allow-web","verb":"delete","user":{"username":"alice@example.com","groups":["devs","system:authenticated"]},"sourceIPs":["2001:db8::7"],"userAgent":"kubectl/v1.31.0 (linux/amd64) kubernetes/9bd3d3e","objectRef":{"resource":"networkpolicies","namespace":"shop","name":"allow-web","apiGroup":"networking.k8s.io","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Success","code":200},"requestObject":{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/__internal","propagationPolicy":"Background"},"responseObject":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"allow-web","group":"networking.k8s.io","kind":"networkpolicies","uid":"5d1c9a7e-8b2f-4e3a-9c4d-1e2f3a4b5c6d"}},"requestReceivedTimestamp":"2025-03-04T13:00:00.100000Z","stageTimestamp":"2025-03-04T13:00:00.104321Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \"netpol-admin/shop\" of ClusterRole \"admin\" to Group \"devs\""}}
            """;

        private const string CreateAtMetadataLevel = """
            {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"0b5a7c1e-3f1d-4c55-9d0e-6a1f2b3c4d06","stage":"ResponseComplete","requestURI":"/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies","verb":"create","user":{"username":"dave","groups":["system:authenticated"]},"sourceIPs":["192.0.2.12"],"userAgent":"kubectl/v1.31.0 (linux/amd64) kubernetes/9bd3d3e","objectRef":{"resource":"networkpolicies","namespace":"shop","name":"deny-all","apiGroup":"networking.k8s.io","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Failure","reason":"Forbidden","code":403},"requestReceivedTimestamp":"2025-03-04T14:00:00.000000Z","stageTimestamp":"2025-03-04T14:00:00.001000Z","annotations":{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":""}}
            """;

        [Fact]
        public void A_create_is_read_field_by_field()
        {
            var change = Assert.Single(Changes(Harness.ParseText(Create)));
            Assert.Equal("2025-03-04T10:20:30.131072Z", change.Time.ToString());
            Assert.Equal(("create", "networking.k8s.io", "v1", "networkpolicies"), (change.Verb, change.ApiGroup, change.ApiVersion, change.Resource));
            Assert.Equal(("shop", "allow-web"), (change.Namespace, change.Name));
            Assert.Equal("alice@example.com", change.User);
            Assert.Equal(["devs", "system:authenticated"], change.UserGroups);
            Assert.Equal((201, true), (change.ResponseCode, change.Succeeded));
            Assert.Equal("100234", change.ResourceVersion);
            Assert.Equal("5d1c9a7e-8b2f-4e3a-9c4d-1e2f3a4b5c6d", (string?)Object(change)["metadata"]!["uid"]);
        }

        [Fact]
        public void Only_the_completed_stage_of_a_request_is_a_change()
        {
            var outcome = Harness.ParseText(CreateReceived + "\n" + Create);
            var change = Assert.Single(Changes(outcome));
            Assert.Equal(2, change.Source.Line);
            Assert.Equal(new Dictionary<string, long> { ["stage RequestReceived"] = 1 }, outcome.Summary.Formats["k8s-audit"].Skipped);
        }

        [Fact]
        public void An_update_by_a_service_account_has_the_new_version_and_object()
        {
            var change = Assert.Single(Changes(Harness.ParseText(Update)));
            Assert.Equal("update", change.Verb);
            Assert.Equal("system:serviceaccount:argocd:argocd-application-controller", change.User);
            Assert.Equal(3, change.UserGroups.Count);
            Assert.Equal("100411", change.ResourceVersion);
            Assert.Equal(8080, (int?)Object(change)["spec"]!["ingress"]![0]!["ports"]![0]!["port"]);
        }

        [Fact]
        public void A_patch_keeps_the_impersonated_user_and_the_patched_object_not_the_patch()
        {
            var change = Assert.Single(Changes(Harness.ParseText(Patch)));
            Assert.Equal("patch", change.Verb);
            Assert.Equal(("admin", "bob"), (change.User, change.ImpersonatedUser));
            Assert.Equal("100502", change.ResourceVersion);
            Assert.Equal("NetworkPolicy", (string?)Object(change)["kind"]);
        }

        [Fact]
        public void A_patch_at_Request_level_keeps_the_patch_body_and_has_no_version()
        {
            var change = Assert.Single(Changes(Harness.ParseText(PatchAtRequestLevel)));
            Assert.Equal("""[{"op":"replace","path":"/spec/ingress/0/ports/0/port","value":9443}]""", change.ObjectJson);
            Assert.Null(change.ResourceVersion);
            Assert.True(change.Succeeded);
        }

        [Fact]
        public void A_delete_has_neither_the_DeleteOptions_nor_the_Status_as_its_object()
        {
            var change = Assert.Single(Changes(Harness.ParseText(Delete)));
            Assert.Equal(("delete", "allow-web", 200), (change.Verb, change.Name, change.ResponseCode));
            Assert.Null(change.ObjectJson);
            Assert.Null(change.ResourceVersion);
        }

        [Fact]
        public void A_forbidden_create_at_Metadata_level_is_recorded_without_object()
        {
            var change = Assert.Single(Changes(Harness.ParseText(CreateAtMetadataLevel)));
            Assert.Equal((403, false), (change.ResponseCode, change.Succeeded));
            Assert.Equal("deny-all", change.Name);
            Assert.Null(change.ObjectJson);
            Assert.Null(change.ResourceVersion);
        }

        [Fact]
        public void The_four_verbs_read_as_one_history_of_one_policy()
        {
            var changes = Changes(Harness.ParseText(string.Join('\n', Create, Update, Patch, Delete)));
            Assert.Equal(["create", "update", "patch", "delete"], changes.Select(c => c.Verb));
            Assert.All(changes, c => Assert.Equal("shop/allow-web", $"{c.Namespace}/{c.Name}"));
            Assert.Equal(["100234", "100411", "100502", null], changes.Select(c => c.ResourceVersion));
        }

        [Fact]
        public void The_node_option_names_the_source_node()
        {
            var change = Assert.Single(Changes(Harness.ParseText(Create, options: new FormatOptions { Node = "control-plane-1" })));
            Assert.Equal("control-plane-1", change.Source.Node);
        }
    }

    public class Given_resources_verbs_and_stages
    {
        // Written from the v1 types (see Given_written_v1_events): one short event per case.
        private static string Event(string verb, string resource, string? group, string? name = "x", string? ns = "team",
            string stage = "ResponseComplete", int code = 200, string? subresource = null, string uri = "/apis/x",
            string extra = "") =>
            "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\",\"auditID\":\"a1\",\"stage\":\"" + stage
            + "\",\"requestURI\":\"" + uri + "\",\"verb\":\"" + verb + "\",\"user\":{\"username\":\"u\"},\"objectRef\":{\"resource\":\"" + resource + "\""
            + (ns is null ? "" : ",\"namespace\":\"" + ns + "\"") + (name is null ? "" : ",\"name\":\"" + name + "\"")
            + (group is null ? "" : ",\"apiGroup\":\"" + group + "\"") + ",\"apiVersion\":\"v1\""
            + (subresource is null ? "" : ",\"subresource\":\"" + subresource + "\"")
            + "},\"responseStatus\":{\"metadata\":{},\"code\":" + code + "}" + extra
            + ",\"requestReceivedTimestamp\":\"2025-01-01T00:00:00.000001Z\",\"stageTimestamp\":\"2025-01-01T00:00:00.000002Z\"}";

        [Theory]
        [InlineData("policy.networking.k8s.io", "adminnetworkpolicies")]
        [InlineData("policy.networking.k8s.io", "baselineadminnetworkpolicies")]
        [InlineData("policy.networking.k8s.io", "clusternetworkpolicies")]
        [InlineData("crd.projectcalico.org", "globalnetworkpolicies")]
        [InlineData("crd.projectcalico.org", "networkpolicies")]
        [InlineData("crd.projectcalico.org", "tiers")]
        [InlineData("projectcalico.org", "stagednetworkpolicies")]
        [InlineData("projectcalico.org", "globalnetworksets")]
        [InlineData("cilium.io", "ciliumnetworkpolicies")]
        [InlineData("cilium.io", "ciliumclusterwidenetworkpolicies")]
        [InlineData("cilium.io", "ciliumcidrgroups")]
        [InlineData("extensions", "networkpolicies")]
        public void Policy_resources_of_every_group_are_changes(string group, string resource)
        {
            var change = Assert.Single(Changes(Harness.ParseText(Event("update", resource, group))));
            Assert.Equal((group, resource), (change.ApiGroup, change.Resource));
        }

        [Fact]
        public void A_namespace_label_patch_is_a_change_in_the_core_group()
        {
            // objectRef.apiGroup is omitted (omitempty) for the core group.
            var line = Event("patch", "namespaces", group: null, name: "team", ns: "team",
                extra: ",\"requestObject\":{\"metadata\":{\"labels\":{\"env\":\"prod\"}}}");
            var change = Assert.Single(Changes(Harness.ParseText(line)));
            Assert.Equal(("", "namespaces", "team"), (change.ApiGroup, change.Resource, change.Name));
            Assert.Equal("prod", (string?)Object(change)["metadata"]!["labels"]!["env"]);
        }

        [Fact]
        public void A_deletecollection_has_no_name()
        {
            var change = Assert.Single(Changes(Harness.ParseText(Event("deletecollection", "networkpolicies", "networking.k8s.io", name: null))));
            Assert.Equal("deletecollection", change.Verb);
            Assert.Null(change.Name);
            Assert.Equal("team", change.Namespace);
        }

        [Fact]
        public void A_generateName_create_takes_its_name_from_the_created_object()
        {
            var line = Event("create", "ciliumnetworkpolicies", "cilium.io", name: null,
                extra: ",\"responseObject\":{\"kind\":\"CiliumNetworkPolicy\",\"metadata\":{\"name\":\"gen-7xk2p\",\"resourceVersion\":\"42\"}}");
            var change = Assert.Single(Changes(Harness.ParseText(line)));
            Assert.Equal(("gen-7xk2p", "42"), (change.Name, change.ResourceVersion));
        }

        [Fact]
        public void A_delete_answered_with_the_deleted_object_keeps_it()
        {
            var line = Event("delete", "ciliumclusterwidenetworkpolicies", "cilium.io", ns: null,
                extra: ",\"responseObject\":{\"kind\":\"CiliumClusterwideNetworkPolicy\",\"metadata\":{\"name\":\"x\",\"resourceVersion\":\"77\"}}");
            var change = Assert.Single(Changes(Harness.ParseText(line)));
            Assert.Equal("77", change.ResourceVersion);
            Assert.Equal("CiliumClusterwideNetworkPolicy", (string?)Object(change)["kind"]);
        }

        [Fact]
        public void A_panic_is_recorded_as_a_failed_change()
        {
            var change = Assert.Single(Changes(Harness.ParseText(Event("update", "networkpolicies", "networking.k8s.io", stage: "Panic", code: 500))));
            Assert.Equal(("Panic", 500, false), (change.Stage, change.ResponseCode, change.Succeeded));
        }

        [Theory]
        [InlineData("get", "networkpolicies", "networking.k8s.io", null, "/apis/x", "read-only verb")]
        [InlineData("watch", "namespaces", null, null, "/api/v1/namespaces?watch=1", "read-only verb")]
        [InlineData("create", "pods", null, null, "/api/v1/namespaces/team/pods", "other resource")]
        [InlineData("update", "networkpolicies", "crd.antrea.io", null, "/apis/x", "other resource")]
        [InlineData("update", "namespaces", null, "status", "/api/v1/namespaces/team/status", "subresource")]
        [InlineData("update", "ciliumnetworkpolicies", "cilium.io", "status", "/apis/x", "subresource")]
        [InlineData("impersonate", "networkpolicies", "networking.k8s.io", null, "/apis/x", "other verb")]
        [InlineData("create", "networkpolicies", "networking.k8s.io", null, "/apis/networking.k8s.io/v1/namespaces/team/networkpolicies?dryRun=All\\u0026fieldManager=kubectl", "dry run")]
        public void Other_events_are_skipped_by_category(string verb, string resource, string? group, string? subresource, string uri, string category)
        {
            var outcome = Harness.ParseText(Event(verb, resource, group, subresource: subresource, uri: uri));
            Assert.Empty(outcome.Records);
            Assert.Empty(outcome.Rejects);
            Assert.Equal(new Dictionary<string, long> { [category] = 1 }, outcome.Summary.Formats["k8s-audit"].Skipped);
        }

        [Fact]
        public void A_stage_other_than_ResponseComplete_is_skipped_by_its_name()
        {
            var outcome = Harness.ParseText(Event("delete", "networkpolicies", "networking.k8s.io", stage: "ResponseStarted"));
            Assert.Equal(1, outcome.Summary.Formats["k8s-audit"].Skipped["stage ResponseStarted"]);
        }

        [Fact]
        public void A_non_resource_request_is_skipped()
        {
            const string line = """{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a2","stage":"ResponseComplete","requestURI":"/healthz","verb":"get","user":{"username":"system:anonymous","groups":["system:unauthenticated"]},"sourceIPs":["10.0.0.1"],"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2025-01-01T00:00:00.000001Z","stageTimestamp":"2025-01-01T00:00:00.000002Z"}""";
            Assert.Equal(1, Harness.ParseText(line).Summary.Formats["k8s-audit"].Skipped["non-resource request"]);
        }

        [Fact]
        public void Without_a_stage_timestamp_the_received_time_is_used_and_v1beta1_timestamp_last()
        {
            var received = Event("update", "networkpolicies", "networking.k8s.io").Replace(",\"stageTimestamp\":\"2025-01-01T00:00:00.000002Z\"", "", StringComparison.Ordinal);
            Assert.Equal("2025-01-01T00:00:00.000001Z", Assert.Single(Changes(Harness.ParseText(received))).Time.ToString());
            var legacy = received.Replace("audit.k8s.io/v1", "audit.k8s.io/v1beta1", StringComparison.Ordinal)
                .Replace("\"requestReceivedTimestamp\":\"2025-01-01T00:00:00.000001Z\"", "\"timestamp\":\"2025-01-01T00:00:07Z\"", StringComparison.Ordinal);
            var time = Assert.Single(Changes(Harness.ParseText(legacy))).Time;
            Assert.Equal(("2025-01-01T00:00:07Z", (byte)0), (time.ToString(), time.FractionDigits));
        }

        [Fact]
        public void A_v1alpha1_object_reference_with_group_in_apiVersion_is_split()
        {
            const string line = """{"kind":"Event","apiVersion":"audit.k8s.io/v1alpha1","level":"Metadata","timestamp":"2018-01-01T00:00:00Z","auditID":"a3","stage":"ResponseComplete","requestURI":"/apis/networking.k8s.io/v1/namespaces/team/networkpolicies/x","verb":"delete","user":{"username":"u"},"objectRef":{"resource":"networkpolicies","namespace":"team","name":"x","apiVersion":"networking.k8s.io/v1"},"responseStatus":{"metadata":{},"code":200}}""";
            var change = Assert.Single(Changes(Harness.ParseText(line)));
            Assert.Equal(("networking.k8s.io", "v1"), (change.ApiGroup, change.ApiVersion));
        }

        [Fact]
        public void A_webhook_EventList_line_emits_each_change_and_skips_once_when_none()
        {
            var item1 = Event("create", "networkpolicies", "networking.k8s.io", name: "a").Replace("\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",", "", StringComparison.Ordinal);
            var item2 = Event("get", "pods", null);
            var item3 = Event("delete", "globalnetworkpolicies", "crd.projectcalico.org", name: "b", ns: null);
            var list = "{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"metadata\":{},\"items\":[" + string.Join(',', item1, item2, item3) + "]}";
            var empty = "{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"metadata\":{},\"items\":[" + item2 + "]}";
            var outcome = Harness.ParseText(list + "\n" + empty);
            Assert.Equal(["a", "b"], Changes(outcome).Select(c => c.Name));
            Assert.All(Changes(outcome), c => Assert.Equal(1, c.Source.Line));
            Assert.Equal(new Dictionary<string, long> { ["event list without policy changes"] = 1 }, outcome.Summary.Formats["k8s-audit"].Skipped);
        }

        [Fact]
        public void An_event_without_kind_and_apiVersion_is_still_read_when_it_has_auditID_stage_and_verb()
        {
            var line = Event("update", "networkpolicies", "networking.k8s.io").Replace("\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",", "", StringComparison.Ordinal);
            Assert.Single(Changes(Harness.ParseText(line, format: "k8s-audit")));
        }

        [Theory]
        [InlineData("""{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"create""", "invalid or truncated JSON")]
        [InlineData("[1,2]", "not a JSON object")]
        [InlineData("""{"kind":"Pod","apiVersion":"audit.k8s.io/v1"}""", "not a Kubernetes audit event (kind 'Pod')")]
        [InlineData("""{"kind":"Event","apiVersion":"v1","reason":"Scheduled"}""", "not a Kubernetes audit event (apiVersion 'v1')")]
        [InlineData("""{"flow":{"verdict":"DROPPED"}}""", "not a Kubernetes audit event (no kind")]
        [InlineData("""{"kind":"Event","apiVersion":"audit.k8s.io/v1","stage":"ResponseComplete"}""", "event has no verb")]
        [InlineData("""{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"create"}""", "event has no stage")]
        [InlineData("""{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"create","stage":"ResponseComplete","objectRef":{"namespace":"a"}}""", "objectRef has no resource")]
        [InlineData("""{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"create","stage":"ResponseComplete","objectRef":{"resource":"networkpolicies","apiGroup":"networking.k8s.io"},"stageTimestamp":"yesterday"}""", "bad stageTimestamp 'yesterday'")]
        [InlineData("""{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"create","stage":"ResponseComplete","objectRef":{"resource":"networkpolicies","apiGroup":"networking.k8s.io"}}""", "event has no stageTimestamp, requestReceivedTimestamp or timestamp")]
        [InlineData("""{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"create","stage":"ResponseComplete","objectRef":{"resource":"networkpolicies","apiGroup":"networking.k8s.io"},"responseStatus":{"code":"Created"},"stageTimestamp":"2025-01-01T00:00:00.000001Z"}""", "responseStatus.code is not a number ('Created')")]
        [InlineData("""{"_index":"audit","_source":"{}"}""", "\"_source\" is not an object")]
        [InlineData("""{"kind":"Event","apiVersion":"audit.k8s.io/v1","items":[]}""", "\"items\" outside an audit.k8s.io EventList")]
        [InlineData("""{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"verb":"create","stage":"ResponseComplete","objectRef":{"resource":"tiers","apiGroup":"crd.projectcalico.org"}}]}""", "items[0]: event has no stageTimestamp")]
        [InlineData("""{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[1]}""", "items[0] is not an object")]
        [InlineData("""{"kind":"Event"} {}""", "invalid or truncated JSON at byte 18")]
        public void Bad_lines_are_rejected_with_the_reason(string line, string reason)
        {
            var outcome = Harness.ParseText(line, format: "k8s-audit");
            var reject = Assert.Single(outcome.Rejects);
            Assert.Contains(reason, reject.Reason, StringComparison.Ordinal);
            Assert.Equal(line, reject.Raw);
        }
    }

    public class Given_detection
    {
        private static readonly KubernetesAuditFormat Format = new();

        [Theory]
        [InlineData("""{"flow":{"time":"2026-01-02T03:04:05Z","verdict":"FORWARDED"},"node_name":"n1"}""")]
        [InlineData("""{"kind":"Event","apiVersion":"v1","involvedObject":{"kind":"Pod"},"reason":"Scheduled"}""")]
        [InlineData("""{"_index":"tigera_secure_ee_flows","_source":{"start_time":1,"action":"allow"}}""")]
        [InlineData("2024/01/02 03:04:05.123456 AntreaPolicyIngressRule Allow")]
        [InlineData("{not json")]
        [InlineData("")]
        public void Other_lines_score_zero(string line) => Assert.Equal(0, Format.Detect([line]));

        [Fact]
        public void Audit_events_hits_and_lists_are_claimed()
        {
            Assert.True(Format.Detect(["""{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata"}"""]) >= 90);
            Assert.True(Format.Detect(["""{"_index":"audit","_source":{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1"}}"""]) >= 90);
            Assert.True(Format.Detect(["""{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}"""]) >= 90);
            Assert.InRange(Format.Detect(["""{"auditID":"a","stage":"ResponseComplete","verb":"get"}"""]), 1, 89);
        }

        [Fact]
        public void An_event_longer_than_the_detection_sample_is_still_detected()
        {
            var big = new string('a', 100_000);
            var line = "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"RequestResponse\",\"auditID\":\"a4\",\"stage\":\"ResponseComplete\",\"requestURI\":\"/apis/cilium.io/v2/namespaces/t/ciliumnetworkpolicies\",\"verb\":\"create\",\"user\":{\"username\":\"u\"},\"objectRef\":{\"resource\":\"ciliumnetworkpolicies\",\"namespace\":\"t\",\"name\":\"big\",\"apiGroup\":\"cilium.io\",\"apiVersion\":\"v2\"},\"responseStatus\":{\"metadata\":{},\"code\":201},\"requestObject\":{\"metadata\":{\"annotations\":{\"note\":\"" + big + "\"}}},\"requestReceivedTimestamp\":\"2025-01-01T00:00:00.000001Z\",\"stageTimestamp\":\"2025-01-01T00:00:00.000002Z\"}";
            var outcome = Harness.ParseText(line);
            Assert.Contains("k8s-audit", outcome.Summary.Formats.Keys);
            Assert.Equal("big", Assert.Single(Changes(outcome)).Name);
        }
    }
}
