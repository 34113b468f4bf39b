using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Ovn;
using PolicyTrail.Sources.Tests.Support;

namespace PolicyTrail.Sources.Tests.Ovn;

public class OvnAclTests
{
    private const string Sample = "ovn-acl.log";

    public class Given_the_real_samples
    {
        [Fact]
        public void Every_line_is_read_and_only_the_line_spliced_in_the_doc_is_rejected()
        {
            var outcome = Harness.ParseFiles([Fixtures.PathOrSkip(Sample)]);
            var ovn = outcome.Summary.Formats["ovn-acl"];
            Assert.Equal(36, ovn.Read);
            Assert.Equal(35, ovn.Flows);
            Assert.Equal(0, ovn.Gaps);
            Assert.Empty(ovn.Skipped);
            var reject = Assert.Single(outcome.Rejects);
            Assert.Equal(18, reject.Line);
            Assert.Contains("tcp_flags='fin|ack=0' holds a second '='", reject.Reason, StringComparison.Ordinal);
            Assert.Contains("spliced", reject.Reason, StringComparison.Ordinal);
        }

        [Fact]
        public void Verdicts_count_as_the_sample_holds_them()
        {
            var flows = Harness.ParseFiles([Fixtures.PathOrSkip(Sample)]).Flows;
            // 18 allow in the file, one of them the rejected spliced line; 16 drop; 2 pass.
            Assert.Equal(17, flows.Count(f => f.Reported.Verdict == ReportedVerdict.Allowed));
            Assert.Equal(16, flows.Count(f => f.Reported.Verdict == ReportedVerdict.Denied));
            Assert.Equal(2, flows.Count(f => f.Reported.Verdict == ReportedVerdict.Unknown && f.Reported.RawVerdict == "pass"));
            Assert.All(flows, f => Assert.Equal(3, f.Time.FractionDigits));
        }

        [Fact]
        public void A_namespace_default_deny_on_ingress_is_read_field_by_field()
        {
            var flow = Line(9);
            Assert.Equal("2023-11-02T16:28:54.139Z", flow.Time.ToString());
            Assert.Equal(IPAddress.Parse("10.131.0.39"), flow.Src.IP);
            Assert.Equal(58496, flow.Src.Port);
            Assert.Equal(IPAddress.Parse("10.129.2.35"), flow.Dst.IP);
            Assert.Equal(8080, flow.Dst.Port);
            Assert.Equal(Protocol.Tcp, flow.Protocol);
            Assert.Equal(FlowDirection.Ingress, flow.Direction);
            Assert.Null(flow.IsReply);
            Assert.Null(flow.Icmp);
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
            Assert.Equal("drop", flow.Reported.RawVerdict);
            Assert.Equal(["NP:verify-audit-logging:Ingress"], flow.Reported.Policies);
            var hit = Assert.Single(flow.Reported.Hits!);
            Assert.Equal(("NetworkPolicy", "verify-audit-logging", OvnAclName.DefaultDeny), (hit.Kind, hit.Namespace, hit.Name));
            Assert.Equal(("ingress", "deny"), (hit.Direction, hit.Action));
            Assert.Null(hit.RuleIndex);
            // The line names no pods, namespaces or node: those stay unknown.
            Assert.Null(flow.Src.Pod);
            Assert.Null(flow.Dst.Namespace);
            Assert.Null(flow.Source.Node);
            Assert.Equal(64, flow.Source.Sha256!.Length);
        }

        [Fact]
        public void A_network_policy_rule_allowing_egress_ICMP_keeps_rule_index_and_type()
        {
            var flow = Line(12);
            Assert.Equal(Protocol.IcmpV4, flow.Protocol);
            Assert.Equal((8, 0), flow.Icmp);
            Assert.Null(flow.Src.Port);
            Assert.Equal(FlowDirection.Egress, flow.Direction);
            Assert.Equal(ReportedVerdict.Allowed, flow.Reported.Verdict);
            var hit = Assert.Single(flow.Reported.Hits!);
            Assert.Equal(("verify-audit-logging", "allow-from-same-namespace", 0), (hit.Namespace, hit.Name, hit.RuleIndex));
            Assert.Equal(("egress", "allow"), (hit.Direction, hit.Action));
        }

        [Fact]
        public void The_old_generation_without_direction_names_namespace_and_policy()
        {
            var deny = Line(5);
            Assert.Equal(FlowDirection.Unknown, deny.Direction);
            Assert.Equal(["verify-audit-logging_deny-all"], deny.Reported.Policies);
            var denyHit = Assert.Single(deny.Reported.Hits!);
            Assert.Equal(("verify-audit-logging", "deny-all", "deny"), (denyHit.Namespace, denyHit.Name, denyHit.Action));
            Assert.Null(denyHit.RuleIndex);
            Assert.Null(denyHit.Direction);

            var allow = Line(7);
            var allowHit = Assert.Single(allow.Reported.Hits!);
            Assert.Equal(("allow-from-same-namespace", 0, "allow"), (allowHit.Name, allowHit.RuleIndex, allowHit.Action));
        }

        [Fact]
        public void An_admin_policy_pass_is_not_a_verdict_but_keeps_its_rule()
        {
            var flow = Line(19);
            Assert.Equal(ReportedVerdict.Unknown, flow.Reported.Verdict);
            Assert.Equal("pass", flow.Reported.RawVerdict);
            var hit = Assert.Single(flow.Reported.Hits!);
            Assert.Equal(("AdminNetworkPolicy", null, "anp-tenant-log", 1), (hit.Kind, hit.Namespace, hit.Name, hit.RuleIndex));
            Assert.Equal(("ingress", "pass"), (hit.Direction, hit.Action));
        }

        [Fact]
        public void A_baseline_admin_policy_egress_drop_is_denied()
        {
            var flow = Line(29);
            Assert.Equal(FlowDirection.Egress, flow.Direction);
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
            var hit = Assert.Single(flow.Reported.Hits!);
            Assert.Equal(("BaselineAdminNetworkPolicy", "default", 0, "egress"), (hit.Kind, hit.Name, hit.RuleIndex, hit.Direction));
        }

        [Fact]
        public void A_kube_ovn_unnamed_ACL_has_no_policy_and_UDP_ports()
        {
            var flow = Line(35);
            Assert.Equal(Protocol.Udp, flow.Protocol);
            Assert.Equal((54343, 53), (flow.Src.Port!.Value, flow.Dst.Port!.Value));
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
            Assert.Empty(flow.Reported.Policies);
            Assert.Null(flow.Reported.Hits);
        }

        [Fact]
        public void The_format_is_detected_and_the_node_option_is_used()
        {
            var outcome = Harness.ParseFiles([Fixtures.PathOrSkip(Sample)], options: new FormatOptions { Node = "worker-1" });
            Assert.Equal(["ovn-acl"], outcome.Summary.Formats.Keys);
            Assert.All(outcome.Flows, f => Assert.Equal("worker-1", f.Source.Node));
        }

        private static FlowRecord Line(int number) =>
            Harness.ParseFiles([Fixtures.PathOrSkip(Sample)]).Flows.Single(f => f.Source.Line == number);
    }

    public class Given_written_records
    {
        // No public IPv6, EgressFirewall, reject, Kube-OVN-named or wrapped sample exists (../shared SUMMARY, "Gaps"):
        // these lines are written from OVN lib/acl-log.c (header), OVS flow_format/match_format (ipv6_src, ipv6_dst,
        // tcp6/icmp6, icmp_type/icmp_code), ovn-kubernetes GetACLName and Kube-OVN's np/ ACL names.
        private const string Tcp6Ingress = """2025-03-04T05:06:07.089Z|00017|acl_log(ovn_pinctrl0)|INFO|name="NP:shop:allow-web:Ingress:1", verdict=allow, severity=info, direction=to-lport: tcp6,vlan_tci=0x0000,dl_src=0a:58:0a:80:00:01,dl_dst=0a:58:0a:80:00:05,ipv6_src=fd00:10:244::7,ipv6_dst=fd00:10:244::5,ipv6_label=0x00000,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=40000,tp_dst=443,tcp_flags=syn""";
        private const string Icmp6Egress = """2025-03-04T05:06:08.000Z|00018|acl_log(ovn_pinctrl0)|INFO|name="NP:shop:Egress", verdict=drop, severity=alert, direction=from-lport: icmp6,vlan_tci=0x0000,dl_src=0a:58:0a:80:00:05,dl_dst=0a:58:0a:80:00:01,ipv6_src=fd00:10:244::5,ipv6_dst=2001:db8::1,ipv6_label=0x00000,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,icmp_type=128,icmp_code=0""";
        private const string EgressFirewallReject = """2025-03-04T05:06:09.500Z|00019|acl_log(ovn_pinctrl0)|INFO|name="EF:shop:2", verdict=reject, severity=warning, direction=from-lport: udp,vlan_tci=0x0000,dl_src=0a:58:0a:80:00:05,dl_dst=0a:58:0a:80:00:01,nw_src=10.128.0.5,nw_dst=8.8.8.8,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=51000,tp_dst=53""";
        private const string KubeOvnNamed = """2025-03-04T05:06:10.000Z|00020|acl_log(ovn_pinctrl0)|INFO|name="np/allow.web.shop/ingress/IPv4/0", verdict=allow-related, severity=info, direction=to-lport: sctp,vlan_tci=0x0000,dl_src=00:00:00:21:b7:d1,dl_dst=00:00:00:8d:0b:86,nw_src=10.16.0.10,nw_dst=10.16.0.7,nw_tos=0,nw_ecn=0,nw_ttl=63,tp_src=5000,tp_dst=6000""";

        [Fact]
        public void IPv6_TCP_uses_ipv6_src_and_ipv6_dst()
        {
            var flow = Assert.Single(Harness.ParseText(Tcp6Ingress, "ovn-acl").Flows);
            Assert.Equal(IPAddress.Parse("fd00:10:244::7"), flow.Src.IP);
            Assert.Equal(IPAddress.Parse("fd00:10:244::5"), flow.Dst.IP);
            Assert.Equal((40000, 443), (flow.Src.Port!.Value, flow.Dst.Port!.Value));
            Assert.Equal(Protocol.Tcp, flow.Protocol);
            Assert.Equal(FlowDirection.Ingress, flow.Direction);
            Assert.Equal(ReportedVerdict.Allowed, flow.Reported.Verdict);
            Assert.Equal(1, flow.Reported.Hits![0].RuleIndex);
        }

        [Fact]
        public void ICMPv6_egress_default_deny_keeps_type_and_code()
        {
            var flow = Assert.Single(Harness.ParseText(Icmp6Egress, "ovn-acl").Flows);
            Assert.Equal(Protocol.IcmpV6, flow.Protocol);
            Assert.Equal((128, 0), flow.Icmp);
            Assert.Equal(IPAddress.Parse("2001:db8::1"), flow.Dst.IP);
            Assert.Equal(FlowDirection.Egress, flow.Direction);
            Assert.Equal((OvnAclName.DefaultDeny, "egress"), (flow.Reported.Hits![0].Name, flow.Reported.Hits[0].Direction));
        }

        [Fact]
        public void An_egress_firewall_reject_is_denied_with_the_reject_action()
        {
            var flow = Assert.Single(Harness.ParseText(EgressFirewallReject, "ovn-acl").Flows);
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
            Assert.Equal("reject", flow.Reported.RawVerdict);
            var hit = flow.Reported.Hits![0];
            Assert.Equal(("EgressFirewall", "shop", "default", 2, "reject"), (hit.Kind, hit.Namespace, hit.Name, hit.RuleIndex, hit.Action));
        }

        [Fact]
        public void A_kube_ovn_named_allow_related_ACL_is_allowed_SCTP()
        {
            var flow = Assert.Single(Harness.ParseText(KubeOvnNamed, "ovn-acl").Flows);
            Assert.Equal(Protocol.Sctp, flow.Protocol);
            Assert.Equal(ReportedVerdict.Allowed, flow.Reported.Verdict);
            Assert.Equal("allow-related", flow.Reported.RawVerdict);
            Assert.Equal(["np/allow.web.shop/ingress/IPv4/0"], flow.Reported.Policies);
            var hit = flow.Reported.Hits![0];
            Assert.Equal(("shop", "allow.web", 0, "allow"), (hit.Namespace, hit.Name, hit.RuleIndex, hit.Action));
        }

        [Theory]
        [InlineData("Mar  4 05:06:07 worker-0 ovn-controller[1234]: ")]
        [InlineData("2025-03-04T05:06:07.123456789Z ")]
        [InlineData("2025-03-04T05:06:07+00:00 worker-0 ovn-controller: ")]
        public void A_journald_syslog_or_kubectl_prefix_is_ignored_and_the_ovn_time_kept(string prefix)
        {
            var flow = Assert.Single(Harness.ParseText(prefix + Tcp6Ingress, "ovn-acl").Flows);
            Assert.Equal("2025-03-04T05:06:07.089Z", flow.Time.ToString());
            Assert.Equal(["NP:shop:allow-web:Ingress:1"], flow.Reported.Policies);
        }

        [Fact]
        public void Other_ovn_controller_messages_and_non_IP_hits_are_skipped()
        {
            const string text = """
                2025-03-04T05:06:07.000Z|00001|vlog|INFO|opened log file /var/log/ovn/ovn-controller.log
                2025-03-04T05:06:07.001Z|00002|binding|INFO|Claiming lport shop_web-0 for this chassis.
                2025-03-04T05:06:07.002Z|00003|acl_log(ovn_pinctrl0)|INFO|name="NP:shop:Ingress", verdict=drop, severity=alert, direction=to-lport: arp,vlan_tci=0x0000,dl_src=0a:58:0a:80:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.128.0.1,arp_tpa=10.128.0.5,arp_op=1
                """;
            var outcome = Harness.ParseText(text, "ovn-acl");
            Assert.Empty(outcome.Records);
            Assert.Empty(outcome.Rejects);
            Assert.Equal(new Dictionary<string, long> { ["ovn-controller message (not acl_log)"] = 2, ["acl_log non-IP packet (arp)"] = 1 },
                outcome.Summary.Formats["ovn-acl"].Skipped);
        }

        [Fact]
        public void A_vlog_rate_limit_notice_becomes_a_gap()
        {
            const string line = "2025-03-04T05:07:00.000Z|00044|acl_log(ovn_pinctrl0)|INFO|Dropped 12 log messages in last 60 seconds (most recently, 1 seconds ago) due to excessive rate";
            var gap = Assert.Single(Harness.ParseText(line, "ovn-acl").Gaps);
            Assert.Equal(12, gap.Lost);
            Assert.Equal("2025-03-04T05:07:00.000Z", gap.Time.ToString());
            Assert.Contains("rate limit", gap.Reason, StringComparison.Ordinal);
        }

        [Fact]
        public void A_zone_less_vlog_time_uses_the_time_zone_option()
        {
            var line = Tcp6Ingress.Replace("2025-03-04T05:06:07.089Z", "2025-03-04 06:06:07.089", StringComparison.Ordinal);
            var zone = TimeZoneInfo.CreateCustomTimeZone("plus1", TimeSpan.FromHours(1), "plus1", "plus1");
            var flow = Assert.Single(Harness.ParseText(line, "ovn-acl", new FormatOptions { TimeZone = zone }).Flows);
            Assert.Equal("2025-03-04T05:06:07.089Z", flow.Time.ToString());
        }

        [Theory]
        [InlineData("ovs|00005|acl_log(ovn_pinctrl0)|INFO|name=\"x\", verdict=drop, severity=alert: icmp,nw_src=10.0.0.1,nw_dst=10.0.0.2", "carries no ovn-controller timestamp")]
        [InlineData("yesterday|00005|acl_log(ovn_pinctrl0)|INFO|name=\"x\", verdict=drop, severity=alert: icmp,nw_src=10.0.0.1,nw_dst=10.0.0.2", "bad vlog timestamp")]
        [InlineData("2025-03-04T05:06:07.000Z|acl_log(ovn_pinctrl0)|INFO|name=\"x\", verdict=drop: icmp,nw_src=10.0.0.1,nw_dst=10.0.0.2", "no vlog sequence number")]
        [InlineData("2025-03-04T05:06:07.000Z|00001|acl_log(ovn_pinctrl0)|INFO|name=\"x, verdict=drop: icmp", "unterminated or badly escaped ACL name")]
        [InlineData("2025-03-04T05:06:07.000Z|00001|acl_log(ovn_pinctrl0)|INFO|name=\"x\", severity=alert: icmp,nw_src=10.0.0.1,nw_dst=10.0.0.2", "no verdict=")]
        [InlineData("2025-03-04T05:06:07.000Z|00001|acl_log(ovn_pinctrl0)|INFO|name=\"x\", verdict=maybe, severity=alert: icmp,nw_src=10.0.0.1,nw_dst=10.0.0.2", "unknown verdict 'maybe'")]
        [InlineData("2025-03-04T05:06:07.000Z|00001|acl_log(ovn_pinctrl0)|INFO|name=\"x\", verdict=drop, severity=alert, direction=sideways: icmp,nw_src=10.0.0.1,nw_dst=10.0.0.2", "unknown direction 'sideways'")]
        [InlineData("2025-03-04T05:06:07.000Z|00001|acl_log(ovn_pinctrl0)|INFO|name=\"x\", verdict=drop, severity=alert", "no ': ' between")]
        [InlineData("2025-03-04T05:06:07.000Z|00001|acl_log(ovn_pinctrl0)|INFO|name=\"x\", verdict=drop, severity=alert: ", "empty flow")]
        [InlineData("2025-03-04T05:06:07.000Z|00001|acl_log(ovn_pinctrl0)|INFO|name=\"x\", verdict=drop, severity=alert: gre,nw_src=10.0.0.1,nw_dst=10.0.0.2", "unknown protocol 'gre'")]
        [InlineData("2025-03-04T05:06:07.000Z|00001|acl_log(ovn_pinctrl0)|INFO|name=\"x\", verdict=drop, severity=alert: tcp,nw_dst=10.0.0.2,tp_src=1,tp_dst=2", "flow has no nw_src")]
        [InlineData("2025-03-04T05:06:07.000Z|00001|acl_log(ovn_pinctrl0)|INFO|name=\"x\", verdict=drop, severity=alert: tcp,nw_src=10.0.0.300,nw_dst=10.0.0.2", "bad nw_src '10.0.0.300'")]
        [InlineData("2025-03-04T05:06:07.000Z|00001|acl_log(ovn_pinctrl0)|INFO|name=\"x\", verdict=drop, severity=alert: tcp6,ipv6_src=10.0.0.1,ipv6_dst=fd00::2", "bad ipv6_src")]
        [InlineData("2025-03-04T05:06:07.000Z|00001|acl_log(ovn_pinctrl0)|INFO|name=\"x\", verdict=drop, severity=alert: tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_src=1,tp_dst=70000", "bad tp_dst '70000'")]
        [InlineData("2025-03-04T05:06:07.000Z|00001|acl_log(ovn_pinctrl0)|INFO|name=\"x\", verdict=drop, severity=alert: tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_ttl=64,nw_ttl=63", "nw_ttl appears twice")]
        [InlineData("2025-03-04T05:06:07.000Z|00001|acl_log(ovn_pinctrl0)|INFO|name=\"x\", verdict=drop, severity=alert: tcp,,nw_src=10.0.0.1", "empty field")]
        [InlineData("2025-03-04T05:06:07.000Z|00001|acl_log(ovn_pinctrl0)|INFO|verdict=drop", "does not start with name=")]
        [InlineData("just some text", "not an ovn-controller log line")]
        public void Bad_lines_are_rejected_with_the_reason(string line, string reason)
        {
            var outcome = Harness.ParseText(line, "ovn-acl");
            var reject = Assert.Single(outcome.Rejects);
            Assert.Contains(reason, reject.Reason, StringComparison.Ordinal);
            Assert.Equal(line, reject.Raw);
        }

        [Fact]
        public void Every_truncation_and_garbling_of_a_line_is_read_or_rejected_never_thrown()
        {
            var lines = new List<string>();
            foreach (var source in new[] { Tcp6Ingress, Icmp6Egress, EgressFirewallReject, KubeOvnNamed })
            {
                for (var length = 1; length < source.Length; length++)
                {
                    lines.Add(source[..length]);
                }
                lines.Add(source.Replace(',', '|'));
                lines.Add(source.Replace('"', ','));
                lines.Add(source + source);
                lines.Add(new string('|', 3) + source.Replace('=', '\\'));
            }
            var outcome = Harness.ParseText(string.Join('\n', lines), "ovn-acl");
            var summary = outcome.Summary.Formats["ovn-acl"];
            Assert.Equal(lines.Count, summary.Read);
            Assert.Equal(lines.Count, summary.Flows + summary.Gaps + summary.Rejected + summary.Skipped.Values.Sum());
        }
    }

    public class Given_detection
    {
        [Fact]
        public void Other_formats_and_plain_text_score_zero()
        {
            var format = new OvnAclFormat();
            Assert.Equal(0, format.Detect([]));
            Assert.Equal(0, format.Detect(["""{"flow":{"time":"2026-01-02T03:04:05Z","verdict":"DROPPED"},"node_name":"n1"}"""]));
            Assert.Equal(0, format.Detect(["Mar  4 05:06:07 host kernel: calico-drop: IN=cali1 OUT= SRC=10.0.0.1 DST=10.0.0.2"]));
            Assert.Equal(0, format.Detect(["hello", "", "|||"]));
        }

        [Fact]
        public void Acl_log_lines_score_high_and_other_vlog_lines_low()
        {
            var format = new OvnAclFormat();
            Assert.True(format.Detect(["""2021-06-13T19:33:11.590Z|00005|acl_log(ovn_pinctrl0)|INFO|name="a_b", verdict=drop, severity=alert: icmp,nw_src=10.0.0.1,nw_dst=10.0.0.2"""]) >= 75);
            Assert.Equal(25, format.Detect(["2025-03-04T05:06:07.000Z|00001|vlog|INFO|opened log file /var/log/ovn/ovn-controller.log"]));
        }
    }
}
