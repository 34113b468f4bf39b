using System.Net;
using System.Text;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Calico;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Tests.Support;

namespace PolicyTrail.Sources.Tests.Calico;

public class CalicoTests
{
    /// <summary>The documents of calico-enterprise.pretty.txt, each collapsed onto one line (block 1 is invalid JSON as published).</summary>
    private static string[] PrettyBlocks()
    {
        var blocks = new List<StringBuilder>();
        foreach (var line in File.ReadAllLines(Fixtures.PathOrSkip("calico-enterprise.pretty.txt")))
        {
            if (line.StartsWith("##### BLOCK", StringComparison.Ordinal))
            {
                blocks.Add(new StringBuilder());
            }
            else if (!line.StartsWith("#####", StringComparison.Ordinal) && blocks.Count > 0)
            {
                blocks[^1].Append(line.Trim());
            }
        }
        return blocks.Select(b => b.ToString()).ToArray();
    }

    public class Given_the_real_samples
    {
        [Fact]
        public void Every_line_is_read_and_the_two_windowless_doc_examples_are_rejected()
        {
            var outcome = Harness.ParseFiles([Fixtures.PathOrSkip("calico-enterprise.jsonl")]);
            var calico = outcome.Summary.Formats["calico"];
            Assert.Equal(5, calico.Read);
            Assert.Equal(3, calico.Flows);
            Assert.Equal(2, calico.Rejected);
            Assert.Equal([2L, 3L], outcome.Rejects.Select(r => r.Line));
            Assert.All(outcome.Rejects, r => Assert.Equal("no start_time: a flow log without its window cannot be placed in time", r.Reason));
        }

        [Fact]
        public void A_dst_reported_allow_reads_window_counters_pod_and_aggregated_prefix()
        {
            var flow = Harness.ParseFiles([Fixtures.PathOrSkip("calico-enterprise.jsonl")]).Flows.Single(f => f.Source.Line == 1);
            Assert.Equal("2020-08-11T17:14:43Z", flow.Time.ToString());
            Assert.Equal("2020-08-11T17:14:43Z", flow.WindowStart.ToString());
            Assert.Equal("2020-08-11T17:19:43Z", flow.WindowEnd.ToString());
            Assert.Equal(FlowDirection.Ingress, flow.Direction);
            Assert.Null(flow.IsReply);
            Assert.Equal(IPAddress.Parse("192.168.47.9"), flow.Src.IP);
            Assert.Equal(42106, flow.Src.Port);
            Assert.Equal("policy-demo", flow.Src.Namespace);
            Assert.Equal("access-6b687c8dcb-zn5s2", flow.Src.Pod);
            Assert.Equal("access-6b687c8dcb-*", flow.Src.Workload);
            Assert.Null(flow.Src.WorkloadKind);
            Assert.Equal("access", flow.Src.Labels!["app"]);
            Assert.Equal(IPAddress.Parse("192.168.138.79"), flow.Dst.IP);
            Assert.Equal(80, flow.Dst.Port);
            Assert.Equal("nginx-86c57db685-h6792", flow.Dst.Pod);
            Assert.Equal(Protocol.Tcp, flow.Protocol);
            Assert.Equal((ReportedVerdict.Allowed, "allow"), (flow.Reported.Verdict, flow.Reported.RawVerdict));
            Assert.Equal(["0|default|policy-demo/default.access-nginx|allow"], flow.Reported.Policies);
            var hit = Assert.Single(flow.Reported.Hits!);
            Assert.Equal(new PolicyHit { Kind = "CalicoNetworkPolicy", Namespace = "policy-demo", Name = "access-nginx", Tier = "default", Action = "allow" }, hit);
            Assert.Equal((1L, 11L, 1501L), (flow.Count, flow.Packets, flow.Bytes));
            Assert.Equal("bz-n8kf-kadm-node-1", flow.Source.Node);
            Assert.Equal(64, flow.Source.Sha256!.Length);
        }

        [Fact]
        public void An_aggregated_src_reported_flow_has_no_pod_no_ips_and_a_network_set_destination()
        {
            var flow = Harness.ParseFiles([Fixtures.PathOrSkip("calico-enterprise.jsonl")]).Flows.Single(f => f.Source.Line == 4);
            Assert.Equal(FlowDirection.Egress, flow.Direction);
            Assert.Null(flow.Src.IP);
            Assert.Null(flow.Src.Port);
            Assert.Null(flow.Src.Pod);
            Assert.Equal("tigera-apiserver-6f7965f6b8-*", flow.Src.Workload);
            Assert.Equal("tigera-system", flow.Src.Namespace);
            Assert.Equal(7, flow.Src.Labels!.Count);
            Assert.Null(flow.Dst.IP);
            Assert.Null(flow.Dst.Pod);
            Assert.Equal(("kse.kubernetes", "NetworkSet"), (flow.Dst.Workload, flow.Dst.WorkloadKind));
            Assert.Equal(6443, flow.Dst.Port);
            Assert.Equal("default/kubernetes", flow.Dst.Service);
            var hit = Assert.Single(flow.Reported.Hits!);
            Assert.Equal(("allow-tigera", "tigera-system", "cnx-apiserver-access", 1), (hit.Tier, hit.Namespace, hit.Name, hit.RuleIndex));
            Assert.Null(flow.Source.Node);
            Assert.Equal((1L, 0L, 0L), (flow.Count, flow.Packets, flow.Bytes));
        }

        [Fact]
        public void A_public_network_source_without_policies_keeps_what_it_says()
        {
            var flow = Harness.ParseFiles([Fixtures.PathOrSkip("calico-enterprise.jsonl")]).Flows.Single(f => f.Source.Line == 5);
            Assert.Equal("2018-09-14T04:00:00Z", flow.Time.ToString());
            Assert.Equal(("pub", "Network"), (flow.Src.Workload, flow.Src.WorkloadKind));
            Assert.Null(flow.Src.Namespace);
            Assert.Null(flow.Src.Labels);
            Assert.Equal(IPAddress.Parse("35.32.82.134"), flow.Src.IP);
            Assert.Equal(0, flow.Dst.Port);
            Assert.Empty(flow.Reported.Policies);
            Assert.Null(flow.Reported.Hits);
            Assert.Equal((256L, 29014L), (flow.Packets, flow.Bytes));
        }

        [Fact]
        public void The_published_documents_read_like_their_minified_lines_and_the_invalid_one_is_rejected()
        {
            var blocks = PrettyBlocks();
            Assert.Equal(6, blocks.Length);
            var outcome = Harness.ParseText(string.Join('\n', blocks), format: "calico");
            Assert.Equal(3, outcome.Summary.Rejected);
            Assert.StartsWith("invalid or truncated JSON", outcome.Rejects.Single(r => r.Line == 1).Reason, StringComparison.Ordinal);
            var lines = Harness.ParseFiles([Fixtures.PathOrSkip("calico-enterprise.jsonl")]).Flows;
            // Block n+1 is jsonl line n; block 6 is an Elasticsearch hit whose _source is line 5.
            foreach (var (block, line) in new[] { (2, 1), (5, 4), (6, 5) })
            {
                Assert.Equal(RecordJson.Of(lines.Single(f => f.Source.Line == line), withSource: false),
                    RecordJson.Of(outcome.Flows.Single(f => f.Source.Line == block), withSource: false));
            }
        }

        [Fact]
        public void Detection_picks_calico_for_the_samples_and_nothing_else_claims_them()
        {
            var outcome = Harness.ParseFiles([Fixtures.PathOrSkip("calico-enterprise.jsonl")]);
            Assert.Equal(["calico"], outcome.Summary.Formats.Keys);
            var sample = File.ReadAllLines(Fixtures.PathOrSkip("calico-enterprise.jsonl"));
            Assert.Equal(0, new GoldmaneFormat().Detect(sample));
            Assert.Equal(0, FormatRegistry.Find("hubble")!.Detect(sample));
        }

        [Theory]
        [InlineData("hubble.jsonl")]
        [InlineData("calico-node-flows.txt")]
        [InlineData("gke-dpv2.jsonl")]
        [InlineData("k8s-audit-netpol.jsonl")]
        [InlineData("kube-network-policies.json")]
        [InlineData("antrea-np.log")]
        [InlineData("iptables-log.txt")]
        public void Other_formats_lines_are_not_claimed(string file)
        {
            var sample = File.ReadLines(Fixtures.PathOrSkip(file)).Where(l => l.Trim().Length > 0).Take(FormatRegistry.SampleLines).ToList();
            Assert.Equal(0, new CalicoFormat().Detect(sample));
            Assert.Equal(0, new GoldmaneFormat().Detect(sample));
        }

        [Fact]
        public void Every_truncation_of_every_real_line_is_one_flow_or_one_clear_rejection()
        {
            foreach (var line in File.ReadAllLines(Fixtures.PathOrSkip("calico-enterprise.jsonl")))
            {
                var cuts = string.Join('\n', Enumerable.Range(1, line.Length - 1).Select(n => line[..n].Replace('\n', ' ')).Where(s => s.Trim().Length > 0));
                var outcome = Harness.ParseText(cuts, format: "calico");
                Assert.Equal(outcome.Summary.Read, outcome.Summary.Rejected);
                Assert.DoesNotContain(outcome.Rejects, r => r.Reason.Contains("parser failed", StringComparison.Ordinal));
            }
        }
    }

    public class Given_written_records
    {
        // No public Enterprise deny record, IPv6 record, v3.32 policy string in a flow log, host endpoint or ICMP record
        // exists (../shared SUMMARY "Gaps"): these are written from tigera/docs "flow log data types" and felix's
        // policy-hit string forms.
        private const string DeniedIpv6 = """
            {"start_time":1767225600,"end_time":1767225900,"source_ip":"fd00:10:244::5","source_name":"client-7d9f8b6c5-x2x9q","source_name_aggr":"client-7d9f8b6c5-*","source_namespace":"shop","source_port":51234,"source_type":"wep","source_labels":{"labels":["app=client"]},"dest_ip":"fd00:10:96::a","dest_name":"-","dest_name_aggr":"pvt","dest_namespace":"-","dest_port":5432,"dest_type":"net","proto":"tcp","action":"deny","reporter":"src","policies":{"enforced_policies":["1|default|knp:shop/default-deny|deny|-1","0|security|np:shop/egress-lockdown|pass|0"],"pending_policies":["0|security|snp:shop/block-db|deny|2"]},"bytes_in":0,"bytes_out":240,"num_flows":3,"num_flows_started":3,"num_flows_completed":0,"packets_in":0,"packets_out":4,"host":"worker-2"}
            """;

        private const string HostEndpointIcmp = """
            {"start_time":1700000000,"end_time":1700000300,"source_ip":"10.0.0.7","source_name":"node-a-eth0","source_name_aggr":"node-a-eth0","source_namespace":"-","source_type":"hep","dest_ip":"10.0.1.9","dest_name":"web-0","dest_name_aggr":"web-*","dest_namespace":"prod","dest_port":0,"dest_type":"wep","proto":1,"action":"allow","reporter":"dst, fwd","policies":{"all_policies":["1|default|prod/default.allow-icmp|allow|0","0|platform|platform.staged:icmp-audit|deny|0","bogus"],"transit_policies":["0|default|default.allow-forward|allow|3"]},"num_flows":1,"packets_in":2,"packets_out":2,"bytes_in":168,"bytes_out":168,"host":"node-b"}
            """;

        [Fact]
        public void A_src_reported_IPv6_deny_reads_enforced_and_pending_hits_in_traversal_order()
        {
            var flow = Assert.Single(Harness.ParseText(DeniedIpv6).Flows);
            Assert.Equal("calico", flow.Source.Format);
            Assert.Equal("2026-01-01T00:00:00Z", flow.Time.ToString());
            Assert.Equal(FlowDirection.Egress, flow.Direction);
            Assert.Equal((ReportedVerdict.Denied, "deny"), (flow.Reported.Verdict, flow.Reported.RawVerdict));
            Assert.Equal(IPAddress.Parse("fd00:10:244::5"), flow.Src.IP);
            Assert.Equal(IPAddress.Parse("fd00:10:96::a"), flow.Dst.IP);
            Assert.Equal(("pvt", "Network"), (flow.Dst.Workload, flow.Dst.WorkloadKind));
            Assert.Null(flow.Dst.Namespace);
            Assert.Equal(["1|default|knp:shop/default-deny|deny|-1", "0|security|np:shop/egress-lockdown|pass|0"], flow.Reported.Policies);
            Assert.Equal(
                [
                    new PolicyHit { Kind = "CalicoNetworkPolicy", Namespace = "shop", Name = "egress-lockdown", Tier = "security", RuleIndex = 0, Action = "pass", Pending = false },
                    new PolicyHit { Kind = "NetworkPolicy", Namespace = "shop", Name = "default-deny", Tier = "default", RuleIndex = -1, Action = "deny", Pending = false },
                    new PolicyHit { Kind = "StagedNetworkPolicy", Namespace = "shop", Name = "block-db", Tier = "security", RuleIndex = 2, Action = "deny", Pending = true },
                ],
                flow.Reported.Hits!);
            Assert.Equal((3L, 4L, 240L), (flow.Count, flow.Packets, flow.Bytes));
            Assert.Equal("worker-2", flow.Source.Node);
        }

        [Fact]
        public void A_host_endpoint_ICMP_flow_with_all_policies_and_transit_policies()
        {
            var flow = Assert.Single(Harness.ParseText(HostEndpointIcmp).Flows);
            Assert.Equal(Protocol.IcmpV4, flow.Protocol);
            Assert.Null(flow.Dst.Port);
            Assert.Equal(FlowDirection.Ingress, flow.Direction);
            Assert.Null(flow.Src.Pod);
            Assert.Equal(("node-a-eth0", "HostEndpoint"), (flow.Src.Workload, flow.Src.WorkloadKind));
            Assert.Equal("web-0", flow.Dst.Pod);
            // Unreadable strings stay in Policies, verbatim; only readable ones become hits.
            Assert.Equal(
                ["1|default|prod/default.allow-icmp|allow|0", "0|platform|platform.staged:icmp-audit|deny|0", "bogus", "0|default|default.allow-forward|allow|3"],
                flow.Reported.Policies);
            var hits = flow.Reported.Hits!;
            Assert.Equal(3, hits.Count);
            Assert.Equal(("StagedGlobalNetworkPolicy", "icmp-audit", (bool?)true), (hits[0].Kind, hits[0].Name, hits[0].Pending));
            Assert.Equal(("CalicoNetworkPolicy", "allow-icmp", (bool?)null), (hits[1].Kind, hits[1].Name, hits[1].Pending));
            Assert.Equal(("GlobalNetworkPolicy", "allow-forward", 3, (bool?)false), (hits[2].Kind, hits[2].Name, hits[2].RuleIndex, hits[2].Pending));
        }

        [Theory]
        [InlineData("\"tcp\"", Protocol.Tcp)]
        [InlineData("\"udp\"", Protocol.Udp)]
        [InlineData("\"sctp\"", Protocol.Sctp)]
        [InlineData("\"icmp6\"", Protocol.IcmpV6)]
        [InlineData("17", Protocol.Udp)]
        [InlineData("\"58\"", Protocol.IcmpV6)]
        [InlineData("132", Protocol.Sctp)]
        [InlineData("\"gre\"", Protocol.Unknown)]
        public void Protocols_are_read_as_names_or_numbers(string proto, Protocol expected)
        {
            var flow = Assert.Single(Harness.ParseText($$"""{"start_time":1,"action":"allow","proto":{{proto}},"source_name_aggr":"a-*"}""", format: "calico").Flows);
            Assert.Equal(expected, flow.Protocol);
        }

        [Theory]
        [InlineData("src", FlowDirection.Egress)]
        [InlineData("dst", FlowDirection.Ingress)]
        [InlineData("dst, fwd", FlowDirection.Ingress)]
        [InlineData("fwd", FlowDirection.Unknown)]
        public void The_reporter_gives_the_direction(string reporter, FlowDirection expected)
        {
            var flow = Assert.Single(Harness.ParseText($$"""{"start_time":1,"action":"allow","reporter":"{{reporter}}","source_name_aggr":"a-*"}""", format: "calico").Flows);
            Assert.Equal(expected, flow.Direction);
        }

        [Theory]
        [InlineData("""{"end_time":1,"action":"allow"}""", "no start_time: a flow log without its window cannot be placed in time")]
        [InlineData("""{"start_time":"soon","action":"allow"}""", "start_time \"soon\" is not Unix seconds")]
        [InlineData("""{"start_time":10,"end_time":5,"action":"allow"}""", "end_time 5 is not Unix seconds at or after start_time")]
        [InlineData("""{"start_time":10,"source_ip":"10.0.0.300","action":"allow"}""", "bad source_ip '10.0.0.300'")]
        [InlineData("""{"start_time":10,"dest_ip":"7","action":"allow"}""", "bad dest_ip '7'")]
        [InlineData("""{"start_time":10,"dest_port":70000,"action":"allow"}""", "bad dest_port 70000")]
        [InlineData("""{"start_time":10,"action":"allow","num_flows":-1}""", "num_flows -1 is not a count")]
        [InlineData("""{"start_time":10,"action":"allow","packets_in":9223372036854775807,"packets_out":1}""", "packet or byte counters too large to add up")]
        [InlineData("""{"hello":"world"}""", "not a Calico flow log: no start_time, action, reporter or *_name_aggr")]
        [InlineData("""{"_index":"x","_source":"oops"}""", "Elasticsearch hit whose _source is not an object")]
        [InlineData("[1]", "not a JSON object")]
        [InlineData("""{"start_time":10,""", "invalid or truncated JSON")]
        public void Bad_lines_are_rejected_with_the_reason(string line, string reason)
        {
            var outcome = Harness.ParseText(line, format: "calico");
            var reject = Assert.Single(outcome.Rejects);
            Assert.StartsWith(reason, reject.Reason, StringComparison.Ordinal);
            Assert.Equal(line, reject.Raw);
            Assert.Empty(outcome.Records);
        }

        [Fact]
        public void The_node_option_names_the_node_when_the_record_has_no_host()
        {
            var flow = Assert.Single(Harness.ParseText("""{"start_time":1,"action":"deny","source_name_aggr":"a-*"}""", "calico", new FormatOptions { Node = "n9" }).Flows);
            Assert.Equal("n9", flow.Source.Node);
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
        }
    }
}
