using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Calico;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Tests.Support;

namespace PolicyTrail.Sources.Tests.Calico;

public class GoldmaneTests
{
    // No public Goldmane or Whisker JSON record exists (../shared SUMMARY "Gaps"). Every record here is written by hand
    // from goldmane/proto/api.proto (Flow, FlowKey, PolicyTrace, PolicyHit; FlowResult, FlowListResult) and
    // whisker-backend pkg/apis/v1/flows.go (FlowResponse), with the values of the `calico-node -flows` sample
    // (calico-node-flows.txt) where it has them.

    /// <summary>protojson as `grpcurl` prints Flows.Stream: lowerCamelCase, enums by name, int64 as strings, zeros left out.</summary>
    internal const string ProtoJsonCamel = """
        {"id":"42","flow":{"Key":{"sourceName":"loadgenerator-78cb8f69c8-*","sourceNamespace":"default","sourceType":"WorkloadEndpoint","destName":"coredns-6d4b75cb6d-*","destNamespace":"kube-system","destType":"WorkloadEndpoint","destPort":"53","destServiceName":"kube-dns","destServiceNamespace":"kube-system","destServicePortName":"dns","destServicePort":"53","proto":"udp","reporter":"Src","action":"Allow","policies":{"enforcedPolicies":[{"kind":"CalicoNetworkPolicy","namespace":"default","name":"allow-dns-egress","tier":"default","action":"Allow"}],"pendingPolicies":[{"kind":"CalicoNetworkPolicy","namespace":"default","name":"allow-dns-egress","tier":"default","action":"Allow"}]}},"startTime":"1744408258","endTime":"1744408273","sourceLabels":["app=loadgenerator"],"destLabels":["k8s-app=kube-dns"],"packetsIn":"12","packetsOut":"12","bytesIn":"1818","bytesOut":"960","numConnectionsStarted":"6","numConnectionsLive":"6"}}
        """;

    /// <summary>protojson with proto field names; a deny at the end of the tier (the sample's second, truncated record).</summary>
    internal const string ProtoJsonSnakeDeny = """
        {"id":"7","flow":{"Key":{"source_name":"loadgenerator-78cb8f69c8-*","source_namespace":"default","source_type":"WorkloadEndpoint","dest_name":"pvt","dest_type":"Network","dest_port":"80","proto":"tcp","reporter":"Src","action":"Deny","policies":{"enforced_policies":[{"kind":"EndOfTier","tier":"default","action":"Deny","rule_index":"-1","trigger":{"kind":"NetworkPolicy","namespace":"default","name":"restrict-egress","tier":"default"}}]}},"start_time":"1744408258","end_time":"1744408273","packets_out":"3","bytes_out":"180","num_connections_started":"1"}}
        """;

    /// <summary>The Goldmane emitter's Go encoding/json: "Key" capitalised, snake_case tags, enums as numbers.</summary>
    internal const string EmitterNumbers = """
        {"Key":{"source_name":"api-5f7b9c-*","source_namespace":"shop","source_type":1,"dest_name":"db-0-*","dest_namespace":"shop","dest_type":1,"dest_port":5432,"proto":"tcp","reporter":2,"action":1,"policies":{"enforced_policies":[{"kind":6,"namespace":"shop","name":"db-ingress","tier":"default","action":1,"policy_index":1,"rule_index":1},{"kind":2,"name":"platform-pass","tier":"platform","action":3,"policy_index":0,"rule_index":0}],"pending_policies":[{"kind":5,"namespace":"shop","name":"db-lockdown","tier":"default","action":2,"policy_index":0,"rule_index":0}]}},"start_time":1744408300,"end_time":1744408315,"source_labels":null,"dest_labels":["app=db"],"packets_in":10,"packets_out":8,"bytes_in":1000,"bytes_out":800,"num_connections_started":2,"num_connections_completed":2,"num_connections_live":0}
        """;

    /// <summary>Whisker's server-sent event: flat FlowResponse, RFC 3339 times, "protocol", labels joined into one string.</summary>
    internal const string WhiskerSse = """
        data: {"start_time":"2025-04-11T21:50:58Z","end_time":"2025-04-11T21:51:13Z","action":"Deny","source_name":"loadgenerator-78cb8f69c8-*","source_namespace":"default","source_labels":"app=loadgenerator, tier=test","dest_name":"pub","dest_namespace":"","dest_labels":"","protocol":"tcp","dest_port":443,"reporter":"Src","policies":{"enforced":[{"kind":"GlobalNetworkPolicy","name":"deny-internet","namespace":"","tier":"security","action":"Deny","policy_index":0,"rule_index":0,"trigger":null}],"pending":[]},"packets_in":0,"packets_out":6,"bytes_in":0,"bytes_out":360}
        """;

    /// <summary>FlowListResult (Flows.List) on one line: two flows.</summary>
    internal const string ListResult = """
        {"meta":{"totalPages":"1","totalResults":"2"},"flows":[{"id":"1","flow":{"Key":{"sourceName":"a-*","sourceNamespace":"x","destName":"b-*","destNamespace":"y","destPort":"8080","proto":"tcp","reporter":"Dst","action":"Allow"},"startTime":"1744408000","endTime":"1744408015"}},{"id":"2","flow":{"Key":{"sourceName":"c-*","sourceNamespace":"x","destName":"b-*","destNamespace":"y","proto":"icmp","reporter":"Dst","action":"Deny"},"startTime":"1744408015","endTime":"1744408030"}}]}
        """;

    public class Given_written_records
    {
        [Fact]
        public void ProtoJSON_in_lowerCamelCase_reads_key_window_counters_service_and_both_hit_lists()
        {
            var outcome = Harness.ParseText(ProtoJsonCamel);
            var flow = Assert.Single(outcome.Flows);
            Assert.Equal("calico-goldmane", flow.Source.Format);
            Assert.Equal("2025-04-11T21:50:58Z", flow.Time.ToString());
            Assert.Equal("2025-04-11T21:51:13Z", flow.WindowEnd.ToString());
            Assert.Equal(flow.Time, flow.WindowStart);
            Assert.Null(flow.Src.Pod);
            Assert.Null(flow.Src.IP);
            Assert.Null(flow.Src.Port);
            Assert.Equal(("loadgenerator-78cb8f69c8-*", "default", (string?)null), (flow.Src.Workload, flow.Src.Namespace, flow.Src.WorkloadKind));
            Assert.Equal("loadgenerator", flow.Src.Labels!["app"]);
            Assert.Equal(("coredns-6d4b75cb6d-*", "kube-system", 53), (flow.Dst.Workload, flow.Dst.Namespace, flow.Dst.Port));
            Assert.Equal("kube-system/kube-dns", flow.Dst.Service);
            Assert.Equal(Protocol.Udp, flow.Protocol);
            Assert.Equal(FlowDirection.Egress, flow.Direction);
            Assert.Equal((ReportedVerdict.Allowed, "Allow"), (flow.Reported.Verdict, flow.Reported.RawVerdict));
            Assert.Equal(["default/allow-dns-egress"], flow.Reported.Policies);
            var enforced = new PolicyHit { Kind = "CalicoNetworkPolicy", Namespace = "default", Name = "allow-dns-egress", Tier = "default", RuleIndex = 0, Action = "allow", Pending = false };
            Assert.Equal([enforced, enforced with { Pending = true }], flow.Reported.Hits!);
            Assert.Equal((6L, 24L, 2778L), (flow.Count, flow.Packets, flow.Bytes));
        }

        [Fact]
        public void An_end_of_tier_deny_names_the_triggering_policy_with_rule_minus_1()
        {
            var flow = Assert.Single(Harness.ParseText(ProtoJsonSnakeDeny).Flows);
            Assert.Equal((ReportedVerdict.Denied, "Deny"), (flow.Reported.Verdict, flow.Reported.RawVerdict));
            Assert.Equal(("pvt", "Network", (string?)null), (flow.Dst.Workload, flow.Dst.WorkloadKind, flow.Dst.Namespace));
            Assert.Equal(80, flow.Dst.Port);
            Assert.Equal(Protocol.Tcp, flow.Protocol);
            Assert.Equal(["default/restrict-egress"], flow.Reported.Policies);
            Assert.Equal(new PolicyHit { Kind = "NetworkPolicy", Namespace = "default", Name = "restrict-egress", Tier = "default", RuleIndex = -1, Action = "deny", Pending = false },
                Assert.Single(flow.Reported.Hits!));
            Assert.Equal((1L, 3L, 180L), (flow.Count, flow.Packets, flow.Bytes));
        }

        [Fact]
        public void The_emitter_form_with_numeric_enums_reads_the_same_vocabulary()
        {
            var flow = Assert.Single(Harness.ParseText(EmitterNumbers).Flows);
            Assert.Equal(FlowDirection.Ingress, flow.Direction);
            Assert.Equal((ReportedVerdict.Allowed, "Allow"), (flow.Reported.Verdict, flow.Reported.RawVerdict));
            Assert.Null(flow.Src.Labels);
            Assert.Equal("db", flow.Dst.Labels!["app"]);
            Assert.Equal(["platform-pass", "shop/db-ingress"], flow.Reported.Policies);
            Assert.Equal(
                [
                    new PolicyHit { Kind = "GlobalNetworkPolicy", Name = "platform-pass", Tier = "platform", RuleIndex = 0, Action = "pass", Pending = false },
                    new PolicyHit { Kind = "NetworkPolicy", Namespace = "shop", Name = "db-ingress", Tier = "default", RuleIndex = 1, Action = "allow", Pending = false },
                    new PolicyHit { Kind = "StagedKubernetesNetworkPolicy", Namespace = "shop", Name = "db-lockdown", Tier = "default", RuleIndex = 0, Action = "deny", Pending = true },
                ],
                flow.Reported.Hits!);
            Assert.Equal((2L, 18L, 1800L), (flow.Count, flow.Packets, flow.Bytes));
        }

        [Fact]
        public void A_Whisker_event_reads_RFC3339_times_and_joined_labels()
        {
            var flow = Assert.Single(Harness.ParseText(WhiskerSse).Flows);
            Assert.Equal("2025-04-11T21:50:58Z", flow.Time.ToString());
            Assert.Equal("2025-04-11T21:51:13Z", flow.WindowEnd.ToString());
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
            Assert.Equal(new Dictionary<string, string> { ["app"] = "loadgenerator", ["tier"] = "test" }, flow.Src.Labels);
            Assert.Null(flow.Dst.Labels);
            Assert.Equal(("pub", (string?)null, 443), (flow.Dst.Workload, flow.Dst.Namespace, flow.Dst.Port));
            Assert.Equal(["deny-internet"], flow.Reported.Policies);
            var hit = Assert.Single(flow.Reported.Hits!);
            Assert.Equal(("GlobalNetworkPolicy", (string?)null, "security", 0, "deny"), (hit.Kind, hit.Namespace, hit.Tier, hit.RuleIndex, hit.Action));
            Assert.Null(flow.Count);
            Assert.Equal((6L, 360L), (flow.Packets, flow.Bytes));
        }

        [Fact]
        public void A_list_result_line_gives_one_record_per_flow_and_SSE_fields_are_skipped()
        {
            var outcome = Harness.ParseText(string.Join('\n', ListResult, "event: message", ": keep-alive"), format: "calico-goldmane");
            Assert.Equal(2, outcome.Flows.Count);
            Assert.All(outcome.Flows, f => Assert.Equal(1, f.Source.Line));
            Assert.Equal((8080, Protocol.Tcp, FlowDirection.Ingress), (outcome.Flows[0].Dst.Port, outcome.Flows[0].Protocol, outcome.Flows[0].Direction));
            Assert.Equal((null, Protocol.IcmpV4, ReportedVerdict.Denied), (outcome.Flows[1].Dst.Port, outcome.Flows[1].Protocol, outcome.Flows[1].Reported.Verdict));
            Assert.Null(outcome.Flows[1].Reported.Hits);
            Assert.Equal(new Dictionary<string, long> { ["sse-field"] = 2 }, outcome.Summary.Formats["calico-goldmane"].Skipped);
        }

        [Fact]
        public void Detection_picks_goldmane_for_every_written_form_and_calico_refuses_them()
        {
            foreach (var line in new[] { ProtoJsonCamel, ProtoJsonSnakeDeny, EmitterNumbers, WhiskerSse, ListResult })
            {
                Assert.Equal(["calico-goldmane"], Harness.ParseText(line).Summary.Formats.Keys);
                Assert.Equal(0, new CalicoFormat().Detect([line]));
                // Hubble's detector counts any {"flow": {...}} wrapper, FlowResult included: Goldmane must outscore it.
                Assert.True(new GoldmaneFormat().Detect([line]) > FormatRegistry.Find("hubble")!.Detect([line]));
                Assert.True(new GoldmaneFormat().Detect(Enumerable.Repeat(line, 10).ToList()) > FormatRegistry.Find("hubble")!.Detect(Enumerable.Repeat(line, 10).ToList()));
            }
        }

        [Theory]
        [InlineData("""{"flow":{"Key":{"source_name":"a"}}}""", "no start_time: a Goldmane flow without its window cannot be placed in time")]
        [InlineData("""{"flow":{"Key":{"source_name":"a"},"start_time":"yesterday"}}""", "start_time \"yesterday\" is neither Unix seconds nor an RFC 3339 time")]
        [InlineData("""{"Key":{"source_name":"a"},"start_time":10,"end_time":5}""", "end_time is before start_time")]
        [InlineData("""{"Key":{"dest_port":-4},"start_time":1}""", "bad dest_port -4")]
        [InlineData("""{"Key":{"action":"Allow"},"start_time":1,"packets_in":"many"}""", "packets_in \"many\" is not a count")]
        [InlineData("""{"id":1}""", "no Key (Flow), flow (FlowResult) or flows (FlowListResult) in the record")]
        [InlineData("""{"flows":"x"}""", "\"flows\" is not an array")]
        [InlineData("""{"flows":[{"flow":{"Key":{"source_name":"a"},"start_time":1}},{"flow":{"Key":{"source_name":"b"}}}]}""", "flows[1]: no start_time")]
        [InlineData("""{"flows":[3]}""", "flows[0]: not an object")]
        [InlineData("[]", "not a JSON object")]
        [InlineData("""data: {"Key":""", "invalid or truncated JSON")]
        public void Bad_lines_are_rejected_with_the_reason(string line, string reason)
        {
            var outcome = Harness.ParseText(line, format: "calico-goldmane");
            var reject = Assert.Single(outcome.Rejects);
            Assert.StartsWith(reason, reject.Reason, StringComparison.Ordinal);
            Assert.Empty(outcome.Records);
        }

        [Fact]
        public void Every_truncation_of_every_written_line_is_a_clear_rejection()
        {
            foreach (var line in new[] { ProtoJsonCamel, ProtoJsonSnakeDeny, EmitterNumbers, WhiskerSse, ListResult })
            {
                var cuts = string.Join('\n', Enumerable.Range(1, line.Length - 1).Select(n => line[..n]).Where(s => s.Trim().Length > 0));
                var outcome = Harness.ParseText(cuts, format: "calico-goldmane");
                Assert.Equal(outcome.Summary.Read, outcome.Summary.Rejected + outcome.Summary.Skipped);
                Assert.DoesNotContain(outcome.Rejects, r => r.Reason.Contains("parser failed", StringComparison.Ordinal));
            }
        }
    }
}
