using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Antrea;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Tests.Support;

namespace PolicyTrail.Sources.Tests.Antrea;

public class AntreaFlowLoggerTests
{
    public class Given_the_real_samples
    {
        private static ParseOutcome Read() => Harness.ParseFiles([Fixtures.PathOrSkip("antrea-flowlogger.csv")]);

        [Fact]
        public void Both_lines_are_read_with_nothing_rejected()
        {
            var outcome = Read();
            var fl = outcome.Summary.Formats["antrea-flowlogger"];
            Assert.Equal(2, fl.Read);
            Assert.Equal(2, fl.Flows);
            Assert.Empty(outcome.Rejects);
        }

        [Fact]
        public void The_pretty_printed_line_keeps_both_ends_the_service_and_both_policies()
        {
            var flow = Read().Flows.Single(f => f.Source.Line == 1);
            Assert.Equal("2021-11-23T22:36:01Z", flow.Time.ToString());
            Assert.Equal(0, flow.Time.FractionDigits);
            Assert.Equal("2021-11-23T22:36:01Z", flow.WindowStart.ToString());
            Assert.Equal("2021-11-23T22:36:13Z", flow.WindowEnd.ToString());
            Assert.Equal(IPAddress.Parse("10.10.0.79"), flow.Src.IP);
            Assert.Equal((44752, 5201), (flow.Src.Port, flow.Dst.Port));
            Assert.Equal(("antrea-test", "perftest-a", "k8s-node-control-plane"), (flow.Src.Namespace, flow.Src.Pod, flow.Src.Node));
            Assert.Equal(("antrea-test-b", "perftest-b", "k8s-node-control-plane-b"), (flow.Dst.Namespace, flow.Dst.Pod, flow.Dst.Node));
            Assert.Equal("perftest", flow.Dst.Service);
            Assert.Equal(Protocol.Tcp, flow.Protocol);
            Assert.Equal(FlowDirection.Unknown, flow.Direction);
            Assert.Equal((ReportedVerdict.Denied, "Drop"), (flow.Reported.Verdict, flow.Reported.RawVerdict));
            Assert.Equal("test-flow-aggregator-networkpolicy-rule", flow.Reported.Rule);
            Assert.Equal(["antrea-test-ns/test-flow-aggregator-networkpolicy-ingress-allow", "antrea-test-ns-e/test-flow-aggregator-networkpolicy-egress-allow"], flow.Reported.Policies);
            var ingress = flow.Reported.Hits![0];
            Assert.Equal(("K8sNetworkPolicy", "antrea-test-ns", "test-flow-aggregator-networkpolicy-ingress-allow", "deny", "ingress"),
                (ingress.Kind, ingress.Namespace, ingress.Name, ingress.Action, ingress.Direction));
            var egress = flow.Reported.Hits[1];
            // The unit-test record carries out-of-range enum values, which upstream prints as "Invalid".
            Assert.Equal(("Invalid", "Invalid", "egress", "test-flow-aggregator-networkpolicy-rule-e"), (egress.Kind, egress.Action, egress.Direction, egress.RuleName));
            Assert.Null(flow.Count);
            Assert.Null(flow.Packets);
            Assert.Null(flow.Bytes);
        }

        [Fact]
        public void The_numeric_line_reads_like_the_pretty_one_except_for_the_raw_words()
        {
            var outcome = Read();
            var pretty = outcome.Flows.Single(f => f.Source.Line == 1);
            var numeric = outcome.Flows.Single(f => f.Source.Line == 2);
            Assert.Equal("2", numeric.Reported.RawVerdict);
            Assert.Equal(("4", "5"), (numeric.Reported.Hits![1].Kind, numeric.Reported.Hits[1].Action));
            Assert.Equal(pretty.Reported.Hits![0], numeric.Reported.Hits[0]);
            Assert.Equal(pretty with { Source = numeric.Source, Reported = numeric.Reported }, numeric);
        }

        [Fact]
        public void Detection_picks_the_flowlogger_and_other_formats_score_zero()
        {
            var lines = File.ReadAllLines(Fixtures.PathOrSkip("antrea-flowlogger.csv"));
            Assert.Equal("antrea-flowlogger", FormatRegistry.Detect(lines)?.Name);
            var format = new AntreaFlowLoggerFormat();
            foreach (var file in new[] { "antrea-np.log", "antrea-l7-eve.json", "hubble.jsonl", "ovn-acl.log", "aws-vpc-flow-logs.log", "iptables-log.txt", "calico-node-flows.txt", "gke-dpv2.jsonl", "kube-network-policies-text.log" })
            {
                var sample = File.ReadLines(Fixtures.PathOrSkip(file)).Where(l => l.Trim().Length > 0).Take(FormatRegistry.SampleLines).ToList();
                Assert.Equal(0, format.Detect(sample));
            }
        }

        [Fact]
        public void The_L7_engine_eve_json_forced_through_the_flowlogger_is_skipped()
        {
            var outcome = Harness.ParseFiles([Fixtures.PathOrSkip("antrea-l7-eve.json")], format: "antrea-flowlogger");
            var fl = outcome.Summary.Formats["antrea-flowlogger"];
            Assert.Empty(outcome.Rejects);
            Assert.Equal(0, fl.Flows);
            Assert.Equal(fl.Read, fl.Skipped[AntreaText.EveCategory]);
        }

        [Fact]
        public void Another_CNIs_JSON_forced_through_the_flowlogger_is_rejected_not_skipped()
        {
            var outcome = Harness.ParseFiles([Fixtures.PathOrSkip("hubble.jsonl")], format: "antrea-flowlogger");
            Assert.Equal(0, outcome.Summary.Formats["antrea-flowlogger"].Flows);
            Assert.Empty(outcome.Summary.Formats["antrea-flowlogger"].Skipped);
            Assert.Equal(outcome.Summary.Formats["antrea-flowlogger"].Read, outcome.Rejects.Count);
        }

        [Fact]
        public void Truncated_real_lines_never_throw_and_every_line_is_accounted_for()
        {
            var lines = File.ReadAllLines(Fixtures.PathOrSkip("antrea-flowlogger.csv"));
            var cuts = lines.SelectMany(l => Enumerable.Range(1, l.Length - 1).Select(n => l[..n])).Concat(lines.Select(l => l.Replace(',', ';'))).ToList();
            var outcome = Harness.ParseText(string.Join('\n', cuts), format: "antrea-flowlogger");
            var fl = outcome.Summary.Formats["antrea-flowlogger"];
            Assert.Equal(cuts.Count, fl.Read);
            Assert.Equal(fl.Read, fl.Flows + fl.Rejected + fl.Skipped.Values.Sum());
        }
    }

    public class Given_written_records
    {
        // No public flowLogger file exists beyond the two unit-test lines: these are written from the column order of
        // pkg/flowaggregator/flowlogger/logger.go across its history (v1.12: 26 columns; v1.13: + egressName, egressIP;
        // L7 export: + appProtocolName, httpVals; v2.1: + egressNodeName; current: + destinationServiceIP after
        // destinationClusterIP and without the L7 columns) and from the example file shown in antrea-io/antrea#4855.
        private static string Row(params string[] columns) => string.Join(',', columns);

        private static readonly string[] Head = ["1700000000", "1700000010", "10.10.1.27", "10.10.2.8", "41000", "443", "TCP", "client-7d9f", "shop", "worker-1", "api-5c6b", "shop", "worker-2", "10.96.0.20"];
        private static readonly string[] NoPolicy = ["", "", "", "", ""];

        [Fact]
        public void A_v1_12_row_with_no_policy_is_an_allowed_connection_and_ICMP_ports_are_null()
        {
            var line = Row(["1700000000", "1700000010", "10.10.1.27", "8.8.8.8", "0", "0", "ICMP", "toolbox", "default", "worker-1", "", "", "", "0.0.0.0", "0", "", .. NoPolicy, .. NoPolicy]);
            var flow = Assert.Single(Harness.ParseText(line).Flows);
            Assert.Equal(ReportedVerdict.Allowed, flow.Reported.Verdict);
            Assert.Null(flow.Reported.RawVerdict);
            Assert.Empty(flow.Reported.Policies);
            Assert.Empty(flow.Reported.Hits!);
            Assert.Equal(Protocol.IcmpV4, flow.Protocol);
            Assert.Null(flow.Src.Port);
            Assert.Null(flow.Dst.Pod);
            Assert.Null(flow.Dst.Node);
            Assert.Null(flow.Dst.Service);
            Assert.Equal("2023-11-14T22:13:20Z", flow.Time.ToString());
        }

        [Fact]
        public void A_v1_12_row_allowed_by_a_cluster_policy_on_egress_names_the_service()
        {
            var line = Row([.. Head, "443", "shop/api:https", .. NoPolicy, "allow-api", "", "allow-https", "Allow", "AntreaClusterNetworkPolicy"]);
            var flow = Assert.Single(Harness.ParseText(line).Flows);
            Assert.Equal((ReportedVerdict.Allowed, "Allow"), (flow.Reported.Verdict, flow.Reported.RawVerdict));
            Assert.Equal("shop/api", flow.Dst.Service);
            Assert.Equal(["allow-api"], flow.Reported.Policies);
            var hit = Assert.Single(flow.Reported.Hits!);
            Assert.Equal(("AntreaClusterNetworkPolicy", null, "allow-api", "allow-https", "allow", "egress"), (hit.Kind, hit.Namespace, hit.Name, hit.RuleName, hit.Action, hit.Direction));
            Assert.Equal("allow-https", flow.Reported.Rule);
        }

        [Fact]
        public void A_v1_13_row_denied_on_egress_while_ingress_allows_is_denied_by_the_egress_rule()
        {
            var line = Row([.. Head, "443", "shop/api:https", "allow-from-shop", "shop", "ingress-allow", "Allow", "K8sNetworkPolicy", "block-api", "shop", "egress-reject", "Reject", "AntreaNetworkPolicy", "egress-shop", "172.18.0.100"]);
            var flow = Assert.Single(Harness.ParseText(line).Flows);
            Assert.Equal((ReportedVerdict.Denied, "Reject"), (flow.Reported.Verdict, flow.Reported.RawVerdict));
            Assert.Equal("egress-reject", flow.Reported.Rule);
            Assert.Equal(["shop/allow-from-shop", "shop/block-api"], flow.Reported.Policies);
            Assert.Equal(["allow", "reject"], flow.Reported.Hits!.Select(h => h.Action));
        }

        [Fact]
        public void An_L7_row_whose_httpVals_holds_commas_reads_and_so_does_the_v2_1_row()
        {
            string[] policies = [.. NoPolicy, "deny-all", "shop", "drop", "2", "2"];
            var l7 = Row([.. Head, "443", "shop/api:https", .. policies, "", "", "http", """{"0":"{\"hostname\":\"api\",\"url\":\"/\",\"status\":403}"}"""]);
            var v21 = Row([.. Head, "443", "shop/api:https", .. policies, "", "", "", "", "worker-3"]);
            var outcome = Harness.ParseText(l7 + "\n" + v21, format: "antrea-flowlogger");
            Assert.Empty(outcome.Rejects);
            Assert.Equal(2, outcome.Flows.Count);
            Assert.All(outcome.Flows, f => Assert.Equal((ReportedVerdict.Denied, "2", "AntreaNetworkPolicy"), (f.Reported.Verdict, f.Reported.RawVerdict, f.Reported.Hits![0].Kind)));
        }

        [Fact]
        public void A_current_v2_row_with_destinationServiceIP_numeric_values_and_IPv6()
        {
            var line = Row(["1700000000", "1700000060", "fd00:10:244:1::5", "fd00:10:244:2::9", "53012", "53", "17", "client-7d9f", "shop", "worker-1", "coredns-1", "kube-system", "worker-2",
                "fd00:10:96::a", "fd00:10:96::a", "53", "kube-system/kube-dns:dns", "allow-dns", "kube-system", "dns", "1", "3", .. NoPolicy, "", "", ""]);
            var flow = Assert.Single(Harness.ParseText(line).Flows);
            Assert.Equal(IPAddress.Parse("fd00:10:244:1::5"), flow.Src.IP);
            Assert.Equal(Protocol.Udp, flow.Protocol);
            Assert.Equal((53012, 53), (flow.Src.Port, flow.Dst.Port));
            Assert.Equal("kube-system/kube-dns", flow.Dst.Service);
            Assert.Equal((ReportedVerdict.Allowed, "1"), (flow.Reported.Verdict, flow.Reported.RawVerdict));
            var hit = Assert.Single(flow.Reported.Hits!);
            Assert.Equal(("AntreaClusterNetworkPolicy", "kube-system", "allow-dns", "ingress"), (hit.Kind, hit.Namespace, hit.Name, hit.Direction));
            Assert.Equal("2023-11-14T22:14:20Z", flow.WindowEnd.ToString());
        }

        [Fact]
        public void The_node_option_names_the_source_of_the_record()
        {
            var line = Row([.. Head, "443", "", .. NoPolicy, .. NoPolicy]);
            var flow = Assert.Single(Harness.ParseText(line, options: new FormatOptions { Node = "flow-aggregator" }).Flows);
            Assert.Equal("flow-aggregator", flow.Source.Node);
        }

        [Theory]
        [InlineData("1,2,3", "3 comma-separated columns")]
        [InlineData("later,1700000010,10.10.1.27,10.10.2.8,41000,443,TCP,a,b,c,d,e,f,0.0.0.0,0,,,,,,,,,,,", "bad flowStartSeconds/flowEndSeconds")]
        [InlineData("0,0,10.10.1.27,10.10.2.8,41000,443,TCP,a,b,c,d,e,f,0.0.0.0,0,,,,,,,,,,,", "both 0")]
        [InlineData("1700000000,1700000010,10.10.1.270,10.10.2.8,41000,443,TCP,a,b,c,d,e,f,0.0.0.0,0,,,,,,,,,,,", "bad sourceIP '10.10.1.270'")]
        [InlineData("1700000000,1700000010,10.10.1.27,host,41000,443,TCP,a,b,c,d,e,f,0.0.0.0,0,,,,,,,,,,,", "bad destinationIP 'host'")]
        [InlineData("1700000000,1700000010,10.10.1.27,10.10.2.8,70000,443,TCP,a,b,c,d,e,f,0.0.0.0,0,,,,,,,,,,,", "bad sourcePort/destinationPort")]
        [InlineData("1700000000,1700000010,10.10.1.27,10.10.2.8,41000,443,TCP,a,b,c,d,e,f,0.0.0.0,x,,,,,,,,,,,", "bad destinationServicePort 'x'")]
        public void Bad_lines_are_rejected_with_the_reason(string line, string reason)
        {
            var outcome = Harness.ParseText(line, format: "antrea-flowlogger");
            var reject = Assert.Single(outcome.Rejects);
            Assert.Contains(reason, reject.Reason, StringComparison.Ordinal);
        }
    }
}
