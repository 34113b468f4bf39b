using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Antrea;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Tests.Support;

namespace PolicyTrail.Sources.Tests.Antrea;

public class AntreaNpTests
{
    private static FlowRecord Line(ParseOutcome outcome, int number) => outcome.Flows.Single(f => f.Source.Line == number);

    public class Given_the_real_samples
    {
        private static ParseOutcome Read(FormatOptions? options = null) =>
            Harness.ParseFiles([Fixtures.PathOrSkip("antrea-np.log")], options: options);

        [Fact]
        public void Every_line_of_every_generation_is_read_with_nothing_rejected()
        {
            var outcome = Read();
            var np = outcome.Summary.Formats["antrea-np"];
            Assert.Equal(25, np.Read);
            Assert.Empty(outcome.Rejects);
            Assert.Equal(25, np.Flows);
            Assert.Empty(np.Skipped);
            Assert.Equal(12, outcome.Flows.Count(f => f.Reported.Verdict == ReportedVerdict.Allowed));
            Assert.Equal(13, outcome.Flows.Count(f => f.Reported.Verdict == ReportedVerdict.Denied));
        }

        [Fact]
        public void The_v0_11_layout_with_SRC_and_DEST_markers_has_addresses_but_no_ports_or_rule()
        {
            var flow = Line(Read(), 1);
            Assert.Equal("2020-11-02T22:21:21.148395Z", flow.Time.ToString());
            Assert.Equal(6, flow.Time.FractionDigits);
            Assert.Equal(IPAddress.Parse("10.0.0.4"), flow.Src.IP);
            Assert.Equal(IPAddress.Parse("10.0.0.5"), flow.Dst.IP);
            Assert.Null(flow.Src.Port);
            Assert.Null(flow.Dst.Port);
            Assert.Equal(Protocol.Tcp, flow.Protocol);
            // No direction field before v1.13: the agent's own rule, the table name, tells it.
            Assert.Equal(FlowDirection.Ingress, flow.Direction);
            Assert.Equal((ReportedVerdict.Allowed, "Allow"), (flow.Reported.Verdict, flow.Reported.RawVerdict));
            Assert.Equal(["AntreaNetworkPolicy:default/test-anp"], flow.Reported.Policies);
            Assert.Null(flow.Reported.Rule);
            var hit = Assert.Single(flow.Reported.Hits!);
            Assert.Equal(("AntreaNetworkPolicy", "default", "test-anp", "allow", "ingress"), (hit.Kind, hit.Namespace, hit.Name, hit.Action, hit.Direction));
            Assert.Null(flow.Count);
        }

        [Fact]
        public void The_v1_4_layout_reads_the_dedup_suffix_as_count_and_window()
        {
            var flow = Line(Read(), 3);
            Assert.Equal(FlowDirection.Egress, flow.Direction);
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
            Assert.Equal(3, flow.Count);
            // "[3 packets in 1.011379442s]" written at 23:56:41.346165: the first packet was 1.011379442 s earlier.
            Assert.Equal("2021-06-24T23:56:41.346165Z", flow.WindowEnd.ToString());
            Assert.Equal(flow.Time.UnixNanos - 1_011_379_442, flow.WindowStart!.Value.UnixNanos);
        }

        [Fact]
        public void The_v1_6_layout_has_ports_and_the_swapped_protocol_and_length()
        {
            var flow = Line(Read(), 4);
            Assert.Equal((35402, 80), (flow.Src.Port, flow.Dst.Port));
            Assert.Equal(IPAddress.Parse("10.10.1.65"), flow.Src.IP);
            Assert.Equal(Protocol.Tcp, flow.Protocol);
        }

        [Fact]
        public void The_K8s_isolation_default_deny_keeps_the_bare_kind_and_names_no_policy()
        {
            var outcome = Read();
            foreach (var number in new[] { 7, 12, 17, 25 })
            {
                var flow = Line(outcome, number);
                Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
                Assert.Equal(["K8sNetworkPolicy"], flow.Reported.Policies);
                Assert.Empty(flow.Reported.Hits!);
                Assert.Null(flow.Reported.Rule);
                Assert.Equal(FlowDirection.Ingress, flow.Direction);
            }
        }

        [Fact]
        public void The_v1_9_layout_names_the_rule_and_nil_ports_stay_null_for_ICMP()
        {
            var flow = Line(Read(), 10);
            Assert.Equal(Protocol.IcmpV4, flow.Protocol);
            Assert.Null(flow.Src.Port);
            Assert.Null(flow.Dst.Port);
            Assert.Equal("ingress-drop-1cffec1", flow.Reported.Rule);
            Assert.Equal("ingress-drop-1cffec1", flow.Reported.Hits![0].RuleName);
            Assert.Equal("deny", flow.Reported.Hits[0].Action);
        }

        [Fact]
        public void A_K8s_policy_allow_has_no_rule_name()
        {
            var flow = Line(Read(), 11);
            Assert.Equal(["K8sNetworkPolicy:default/test-np-log"], flow.Reported.Policies);
            Assert.Null(flow.Reported.Rule);
            Assert.Equal(("K8sNetworkPolicy", "default", "test-np-log"), (flow.Reported.Hits![0].Kind, flow.Reported.Hits[0].Namespace, flow.Reported.Hits[0].Name));
        }

        [Fact]
        public void The_v1_12_layout_with_a_log_label_reads_like_v1_9()
        {
            var outcome = Read();
            Assert.Equal(RecordJson.Of(Line(outcome, 8), withSource: false), RecordJson.Of(Line(outcome, 13), withSource: false));
            Assert.Equal("AllowFromFrontend", Line(outcome, 15).Reported.Rule);
        }

        [Fact]
        public void The_v1_13_layout_places_the_appliedTo_pod_on_the_policed_side_and_on_this_node()
        {
            var outcome = Read(new FormatOptions { Node = "k8s-node-worker-1" });
            var ingress = Line(outcome, 21);
            Assert.Equal("2023-07-04T12:45:21.804416Z", ingress.Time.ToString());
            Assert.Equal(FlowDirection.Ingress, ingress.Direction);
            Assert.Equal(("default", "nettoolv3", "k8s-node-worker-1"), (ingress.Dst.Namespace, ingress.Dst.Pod, ingress.Dst.Node));
            Assert.Null(ingress.Src.Pod);
            Assert.Equal((53646, 80), (ingress.Src.Port, ingress.Dst.Port));
            Assert.Equal((ReportedVerdict.Denied, "Reject"), (ingress.Reported.Verdict, ingress.Reported.RawVerdict));
            Assert.Equal("RejectTCPRequest", ingress.Reported.Rule);
            Assert.Equal(("reject", "ingress"), (ingress.Reported.Hits![0].Action, ingress.Reported.Hits[0].Direction));
            Assert.Equal("k8s-node-worker-1", ingress.Source.Node);

            var egress = Line(outcome, 22);
            Assert.Equal(FlowDirection.Egress, egress.Direction);
            Assert.Equal(("default", "nettool", "k8s-node-worker-1"), (egress.Src.Namespace, egress.Src.Pod, egress.Src.Node));
            Assert.Null(egress.Dst.Pod);
            Assert.Equal(Protocol.IcmpV4, egress.Protocol);
        }

        [Fact]
        public void The_v1_13_dedup_line_counts_packets()
        {
            var flow = Line(Read(), 23);
            Assert.Equal(2, flow.Count);
            Assert.Equal(flow.Time.UnixNanos - 1_000_855_539, flow.WindowStart!.Value.UnixNanos);
            Assert.Equal(flow.Time, flow.WindowEnd);
        }

        [Fact]
        public void The_agent_zone_converts_to_UTC_keeping_microseconds()
        {
            var flow = Line(Read(new FormatOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York") }), 21);
            // 12:45:21.804416 EDT (UTC-4) on 2023-07-04.
            Assert.Equal("2023-07-04T16:45:21.804416Z", flow.Time.ToString());
        }

        [Fact]
        public void Detection_picks_antrea_np()
        {
            var lines = File.ReadLines(Fixtures.PathOrSkip("antrea-np.log")).Take(FormatRegistry.SampleLines).ToList();
            Assert.Equal("antrea-np", FormatRegistry.Detect(lines)?.Name);
        }

        [Theory]
        [InlineData("hubble.jsonl")]
        [InlineData("hubble-compact.txt")]
        [InlineData("ovn-acl.log")]
        [InlineData("iptables-log.txt")]
        [InlineData("aws-npa.log")]
        [InlineData("aws-vpc-flow-logs.log")]
        [InlineData("calico-enterprise.jsonl")]
        [InlineData("calico-node-flows.txt")]
        [InlineData("gke-dpv2.jsonl")]
        [InlineData("kube-network-policies-text.log")]
        [InlineData("k8s-audit-netpol.jsonl")]
        [InlineData("cilium-monitor.txt")]
        [InlineData("antrea-flowlogger.csv")]
        public void Other_formats_score_zero(string file)
        {
            var lines = File.ReadLines(Fixtures.PathOrSkip(file)).Where(l => l.Trim().Length > 0).Take(FormatRegistry.SampleLines).ToList();
            Assert.Equal(0, new AntreaNpFormat().Detect(lines));
        }

        [Fact]
        public void The_L7_engine_eve_json_beside_np_log_is_skipped_not_read_as_flows()
        {
            var outcome = Harness.ParseFiles([Fixtures.PathOrSkip("antrea-l7-eve.json")]);
            var np = outcome.Summary.Formats["antrea-np"];
            Assert.Equal(0, np.Flows);
            Assert.Empty(outcome.Rejects);
            Assert.Equal(np.Read, np.Skipped[AntreaText.EveCategory]);
        }

        [Fact]
        public void Truncated_real_lines_never_throw_and_every_line_is_accounted_for()
        {
            var lines = File.ReadAllLines(Fixtures.PathOrSkip("antrea-np.log"));
            var cuts = lines.SelectMany(l => Enumerable.Range(1, l.Length - 1).Select(n => l[..n]))
                .Concat(lines.Select(l => l + " trailing")).Concat(lines.Select(l => l.Replace(' ', '\t'))).ToList();
            var outcome = Harness.ParseText(string.Join('\n', cuts), format: "antrea-np");
            var np = outcome.Summary.Formats["antrea-np"];
            Assert.Equal(cuts.Count(c => c.Trim().Length > 0), np.Read);
            Assert.Equal(np.Read, np.Flows + np.Rejected + np.Skipped.Values.Sum());
        }
    }

    public class Given_written_records
    {
        // No public np.log sample has IPv6, SCTP, Pass, Redirect, a cluster-scoped policy or an AdminNetworkPolicy: these
        // lines are written from the v1.13+ layout of pkg/agent/controller/networkpolicy/audit_logging.go (buildLogMsg
        // field order, "<nil>" placeholders, Go net.IP text for IPv6, ports only for TCP/UDP).
        private const string Ipv6DenyDeduped =
            "2024/05/06 07:08:09.123456 AntreaPolicyIngressRule AntreaClusterNetworkPolicy:acnp-protect-db ingress-deny-db Ingress Drop 44900 prod/db-0 fd00:10:244:1::7 43210 fd00:10:244:2::9 5432 TCP 80 db-audit [4 packets in 1.000123456s]";
        private const string Ipv6IcmpAllowedByAnp =
            "2024/05/06 07:08:10.000001 AntreaPolicyEgressRule AdminNetworkPolicy:cluster-egress allow-icmp6 Egress Allow 14000 prod/web-1 fd00:10:244:1::8 <nil> 2001:db8::1 <nil> IPv6-ICMP 104 <nil>";
        private const string PassToLowerTier =
            "2024/05/06 07:08:11.500000 AntreaPolicyEgressRule AntreaClusterNetworkPolicy:delegate pass-web Egress Pass 45000 web/front-1 10.10.1.5 40000 10.10.2.6 8080 TCP 60 <nil>";
        private const string RedirectToL7 =
            "2024/05/06 07:08:12.000000 AntreaPolicyIngressRule AntreaNetworkPolicy:default/l7-http allow-http Ingress Redirect 14000 default/web 10.10.1.4 45034 10.10.1.3 80 TCP 60 <nil>";
        private const string SctpNilPorts =
            "2024/05/06 07:08:13.000000 AntreaPolicyIngressRule AntreaNetworkPolicy:telco/sctp-only allow-sctp Ingress Allow 14000 telco/amf-0 10.10.1.9 <nil> 10.10.1.10 <nil> SCTP 52 <nil>";
        private const string NilDirection =
            "2024/05/06 07:08:14.000000 AntreaPolicyIngressRule BaselineAdminNetworkPolicy:default deny-all <nil> Drop 100 <nil> 10.10.1.9 5000 10.10.1.10 6000 UDP 52 <nil>";
        // v1.6-v1.8 wrote no placeholder: an ICMP line could carry empty port fields (two spaces).
        private const string V16EmptyPorts =
            "2022/03/01 10:00:00.000001 AntreaPolicyIngressRule AntreaNetworkPolicy:default/test-anp Drop 44900 10.10.1.14  10.10.1.15  ICMP 84";
        // The line of issue antrea-io/antrea#3168 without the reporter's markdown emphasis: a cluster-scoped policy.
        private const string ClusterScopedV011 =
            "2022/01/03 12:47:48.092090 EgressDefaultRule AntreaClusterNetworkPolicy:default-cluster-deny Reject 170 SRC: 10.42.0.219 DEST: 192.0.73.2 60 TCP";

        [Fact]
        public void An_IPv6_deny_keeps_addresses_ports_count_and_a_cluster_scoped_policy()
        {
            var flow = Assert.Single(Harness.ParseText(Ipv6DenyDeduped, options: new FormatOptions { Node = "w2" }).Flows);
            Assert.Equal(IPAddress.Parse("fd00:10:244:1::7"), flow.Src.IP);
            Assert.Equal(IPAddress.Parse("fd00:10:244:2::9"), flow.Dst.IP);
            Assert.Equal((43210, 5432), (flow.Src.Port, flow.Dst.Port));
            Assert.Equal(("prod", "db-0", "w2"), (flow.Dst.Namespace, flow.Dst.Pod, flow.Dst.Node));
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
            Assert.Equal(["AntreaClusterNetworkPolicy:acnp-protect-db"], flow.Reported.Policies);
            var hit = Assert.Single(flow.Reported.Hits!);
            Assert.Equal(("AntreaClusterNetworkPolicy", null, "acnp-protect-db", "ingress-deny-db"), (hit.Kind, hit.Namespace, hit.Name, hit.RuleName));
            Assert.Equal(4, flow.Count);
            Assert.Equal("2024-05-06T07:08:08.123332Z", flow.WindowStart.ToString());
        }

        [Fact]
        public void IPv6_ICMP_allowed_by_an_AdminNetworkPolicy()
        {
            var flow = Assert.Single(Harness.ParseText(Ipv6IcmpAllowedByAnp, format: "antrea-np").Flows);
            Assert.Equal(Protocol.IcmpV6, flow.Protocol);
            Assert.Equal(IPAddress.Parse("2001:db8::1"), flow.Dst.IP);
            Assert.Null(flow.Dst.Port);
            Assert.Equal(("prod", "web-1"), (flow.Src.Namespace, flow.Src.Pod));
            Assert.Null(flow.Src.Node);
            Assert.Equal(ReportedVerdict.Allowed, flow.Reported.Verdict);
            Assert.Equal(("AdminNetworkPolicy", "cluster-egress", "egress"), (flow.Reported.Hits![0].Kind, flow.Reported.Hits[0].Name, flow.Reported.Hits[0].Direction));
        }

        [Theory]
        [InlineData(PassToLowerTier, "Pass", "pass")]
        [InlineData(RedirectToL7, "Redirect", "redirect")]
        public void Pass_and_Redirect_are_no_final_verdict(string line, string raw, string action)
        {
            var flow = Assert.Single(Harness.ParseText(line).Flows);
            Assert.Equal(ReportedVerdict.Unknown, flow.Reported.Verdict);
            Assert.Equal(raw, flow.Reported.RawVerdict);
            Assert.Equal(action, flow.Reported.Hits![0].Action);
        }

        [Fact]
        public void SCTP_has_no_ports_and_a_nil_direction_places_no_pod()
        {
            var outcome = Harness.ParseText(SctpNilPorts + "\n" + NilDirection);
            var sctp = outcome.Flows[0];
            Assert.Equal(Protocol.Sctp, sctp.Protocol);
            Assert.Null(sctp.Src.Port);
            var nil = outcome.Flows[1];
            Assert.Equal(FlowDirection.Unknown, nil.Direction);
            Assert.Null(nil.Reported.Hits![0].Direction);
            Assert.Null(nil.Src.Pod);
            Assert.Null(nil.Dst.Pod);
            Assert.Equal(Protocol.Udp, nil.Protocol);
            Assert.Equal(("BaselineAdminNetworkPolicy", "default"), (nil.Reported.Hits[0].Kind, nil.Reported.Hits[0].Name));
        }

        [Fact]
        public void Empty_port_fields_of_v1_6_read_as_no_port()
        {
            var flow = Assert.Single(Harness.ParseText(V16EmptyPorts).Flows);
            Assert.Equal(IPAddress.Parse("10.10.1.15"), flow.Dst.IP);
            Assert.Null(flow.Src.Port);
            Assert.Equal(Protocol.IcmpV4, flow.Protocol);
        }

        [Fact]
        public void A_cluster_scoped_policy_in_the_oldest_layout()
        {
            var flow = Assert.Single(Harness.ParseText(ClusterScopedV011).Flows);
            Assert.Equal(FlowDirection.Egress, flow.Direction);
            Assert.Equal(["AntreaClusterNetworkPolicy:default-cluster-deny"], flow.Reported.Policies);
            Assert.Equal(("default-cluster-deny", null), (flow.Reported.Hits![0].Name, flow.Reported.Hits[0].Namespace));
            Assert.Equal(IPAddress.Parse("192.0.73.2"), flow.Dst.IP);
        }

        [Fact]
        public void A_repeated_local_hour_after_daylight_saving_ends_follows_the_order_of_the_lines()
        {
            // Europe/Berlin leaves CEST (UTC+2) for CET (UTC+1) at 03:00 on 2024-10-27: 02:00-02:59 happens twice.
            const string rest = " AntreaPolicyIngressRule AntreaNetworkPolicy:a/b r Ingress Allow 1 a/p 10.0.0.1 1 10.0.0.2 2 TCP 60 <nil>";
            var text = string.Join('\n', "2024/10/27 02:59:59.000000" + rest, "2024/10/27 02:00:01.000000" + rest, "2024/10/27 02:30:00.000000" + rest);
            var flows = Harness.ParseText(text, options: new FormatOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin") }).Flows;
            Assert.Equal(["2024-10-27T00:59:59.000000Z", "2024-10-27T01:00:01.000000Z", "2024-10-27T01:30:00.000000Z"], flows.Select(f => f.Time.ToString()));
        }

        [Fact]
        public void A_time_in_the_daylight_saving_gap_is_rejected()
        {
            const string line = "2024/03/31 02:30:00.000000 AntreaPolicyIngressRule AntreaNetworkPolicy:a/b r Ingress Allow 1 a/p 10.0.0.1 1 10.0.0.2 2 TCP 60 <nil>";
            var reject = Assert.Single(Harness.ParseText(line, options: new FormatOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin") }).Rejects);
            Assert.Contains("does not exist in zone Europe/Berlin", reject.Reason, StringComparison.Ordinal);
        }

        [Fact]
        public void Detection_claims_written_lines_of_every_layout()
        {
            Assert.Equal("antrea-np", FormatRegistry.Detect([Ipv6DenyDeduped, V16EmptyPorts, ClusterScopedV011])?.Name);
        }

        [Theory]
        [InlineData("hello world", "not an np.log line")]
        [InlineData("2024/05/06 07:08:09.123456 IngressRule K8sNetworkPolicy:a/b Allow 190 10.0.0.1 10.0.0.2 60", "7 fields after the timestamp")]
        [InlineData("2024/05/06 07:08:09.123456 IngressRule K8sNetworkPolicy:a/b <nil> Ingress Allow 190 a/p 10.0.0.300 1 10.0.0.2 2 TCP 60 <nil>", "bad source IP '10.0.0.300' (v1.13+ layout)")]
        [InlineData("2024/05/06 07:08:09.123456 IngressRule K8sNetworkPolicy:a/b <nil> Sideways Allow 190 a/p 10.0.0.1 1 10.0.0.2 2 TCP 60 <nil>", "bad direction 'Sideways'")]
        [InlineData("2024/05/06 07:08:09.123456 IngressRule K8sNetworkPolicy:a/b <nil> Ingress Allow 190 a/p 10.0.0.1 99999 10.0.0.2 2 TCP 60 <nil>", "bad source port '99999'")]
        [InlineData("2024/05/06 07:08:09.123456 IngressRule K8sNetworkPolicy:a/b <nil> Ingress Allow 190 nopod 10.0.0.1 1 10.0.0.2 2 TCP 60 <nil>", "bad appliedTo Pod 'nopod'")]
        [InlineData("2024/05/06 07:08:09.123456 IngressRule K8sNetworkPolicy:a/b <nil> Ingress Drop 190 a/p 10.0.0.1 1 10.0.0.2 2 TCP 60 <nil> [x packets in 1s]", "bad de-duplication suffix")]
        [InlineData("2024/05/06 07:08:09.123456 IngressRule K8sNetworkPolicy:a/b <nil> Ingress Drop 190 a/p 10.0.0.1 1 10.0.0.2 2 TCP 60 <nil> [2 packets in soon]", "bad de-duplication suffix")]
        [InlineData("2024/13/06 07:08:09.123456 IngressRule K8sNetworkPolicy:a/b <nil> Ingress Allow 190 a/p 10.0.0.1 1 10.0.0.2 2 TCP 60 <nil>", "bad timestamp")]
        [InlineData("2024/05/06 07:08:09.123456 IngressRule K8sNetworkPolicy:a/b <nil> Ingress Allow high a/p 10.0.0.1 1 10.0.0.2 2 TCP 60 <nil>", "bad OpenFlow priority 'high'")]
        [InlineData("2024/05/06 07:08:09.123456 IngressRule K8sNetworkPolicy:a/b Allow 190 10.0.0.1 10.0.0.2 TCP 60", "bad packet length 'TCP' (v1.4-v1.5 layout)")]
        public void Bad_lines_are_rejected_with_the_reason(string line, string reason)
        {
            var outcome = Harness.ParseText(line, format: "antrea-np");
            var reject = Assert.Single(outcome.Rejects);
            Assert.Contains(reason, reject.Reason, StringComparison.Ordinal);
            Assert.Equal(line, reject.Raw);
        }

        [Theory]
        [InlineData("1.011379442s", 1_011_379_442L)]
        [InlineData("999.5ms", 999_500_000L)]
        [InlineData("1m2.5s", 62_500_000_000L)]
        [InlineData("800ns", 800L)]
        [InlineData("12µs", 12_000L)]
        [InlineData("0s", 0L)]
        public void Go_durations_of_the_dedup_suffix_are_read(string text, long nanos)
        {
            Assert.True(AntreaText.TryParseGoDuration(text, out var value));
            Assert.Equal(nanos, value);
        }
    }
}
