using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Netfilter;
using PolicyTrail.Sources.Tests.Support;

namespace PolicyTrail.Sources.Tests.Netfilter;

public class UlogdJsonTests
{
    // Captured by e2e/netns-e2e.sh on Debian 12 (ulogd 2.0.8, stack NFLOG,BASE,IFINDEX,IP2STR,HWHDR,JSON, nftables
    // `log group 7 prefix "PT-DROP: "` in the server namespace): our own traffic, no public sample exists
    // (../shared iptables-log.md). Note the "timestamp" without a zone that this ulogd build writes.
    internal const string CapturedDrop = """{"timestamp": "2026-11-27T05:27:35.617013", "dvc": "Netfilter", "raw.pktlen": 60, "raw.pktcount": 1, "oob.prefix": "PT-DROP: ", "oob.time.sec": 1795757255, "oob.time.usec": 617013, "oob.mark": 0, "oob.ifindex_in": 2, "oob.hook": 1, "raw.mac_len": 14, "oob.family": 2, "oob.protocol": 2048, "raw.label": 0, "raw.type": 1, "raw.mac.addrlen": 6, "ip.protocol": 6, "ip.tos": 0, "ip.ttl": 64, "ip.totlen": 60, "ip.ihl": 5, "ip.csum": 61312, "ip.id": 13218, "ip.fragoff": 16384, "src_port": 40002, "dest_port": 8080, "tcp.seq": 1407523114, "tcp.ackseq": 0, "tcp.window": 64240, "tcp.offset": 0, "tcp.reserved": 0, "tcp.urg": 0, "tcp.ack": 0, "tcp.psh": 0, "tcp.rst": 0, "tcp.syn": 1, "tcp.fin": 0, "tcp.res1": 0, "tcp.res2": 0, "tcp.csum": 6088, "oob.in": "eth0", "oob.out": "", "src_ip": "10.199.1.2", "dest_ip": "10.199.1.10", "mac.saddr.str": "0e:97:c7:ab:2c:99", "mac.daddr.str": "b6:56:90:02:fb:85", "mac.str": "b6:56:90:02:fb:85:0e:97:c7:ab:2c:99:08:00"}""";
    internal const string CapturedUdpAllow = """{"timestamp": "2026-11-27T05:27:37.660464", "dvc": "Netfilter", "raw.pktlen": 36, "raw.pktcount": 1, "oob.prefix": "PT-ALLOW: ", "oob.time.sec": 1795757257, "oob.time.usec": 660464, "oob.mark": 0, "oob.ifindex_in": 2, "oob.hook": 1, "raw.mac_len": 14, "oob.family": 2, "oob.protocol": 2048, "raw.label": 0, "raw.type": 1, "raw.mac.addrlen": 6, "ip.protocol": 17, "ip.tos": 0, "ip.ttl": 64, "ip.totlen": 36, "ip.ihl": 5, "ip.csum": 34166, "ip.id": 40377, "ip.fragoff": 16384, "src_port": 40003, "dest_port": 5353, "udp.len": 16, "udp.csum": 6075, "oob.in": "eth0", "oob.out": "", "src_ip": "10.199.1.2", "dest_ip": "10.199.1.10", "mac.saddr.str": "0e:97:c7:ab:2c:99", "mac.daddr.str": "b6:56:90:02:fb:85", "mac.str": "b6:56:90:02:fb:85:0e:97:c7:ab:2c:99:08:00"}""";

    private static readonly FormatOptions PtRules = new() { NetfilterPrefixes = ["PT-ALLOW: =allow", "PT-DROP: =deny"] };

    private static FlowRecord One(string json, FormatOptions? options = null)
    {
        var outcome = Harness.ParseText(json + "\n", "ulogd-json", options);
        Assert.Empty(outcome.Rejects);
        return Assert.Single(outcome.Flows);
    }

    public class Given_captured_records
    {
        [Fact]
        public void A_dropped_tcp_syn_is_read_field_by_field()
        {
            var flow = One(CapturedDrop, PtRules);
            Assert.Equal("2026-11-27T05:27:35.617013Z", flow.Time.ToString());
            Assert.Equal(IPAddress.Parse("10.199.1.2"), flow.Src.IP);
            Assert.Equal(40002, flow.Src.Port);
            Assert.Equal(IPAddress.Parse("10.199.1.10"), flow.Dst.IP);
            Assert.Equal(8080, flow.Dst.Port);
            Assert.Equal(Protocol.Tcp, flow.Protocol);
            Assert.Equal(FlowDirection.Ingress, flow.Direction);
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
            Assert.Equal("PT-DROP:", flow.Reported.RawVerdict);
            Assert.Equal("PT-DROP: ", flow.Reported.Rule);
            Assert.Equal("ulogd-json", flow.Source.Format);
        }

        [Fact]
        public void An_allowed_udp_packet_and_detection_from_the_lines()
        {
            var outcome = Harness.ParseText(CapturedDrop + "\n" + CapturedUdpAllow + "\n", options: PtRules);
            Assert.Equal(2, outcome.Summary.Formats["ulogd-json"].Flows);
            var udp = outcome.Flows[1];
            Assert.Equal((Protocol.Udp, 40003, 5353, ReportedVerdict.Allowed), (udp.Protocol, udp.Src.Port!.Value, udp.Dst.Port!.Value, udp.Reported.Verdict));
        }

        [Fact]
        public void Without_rules_the_verdict_is_unknown_and_the_prefix_kept()
        {
            var flow = One(CapturedDrop);
            Assert.Equal(ReportedVerdict.Unknown, flow.Reported.Verdict);
            Assert.Equal("PT-DROP: ", flow.Reported.Rule);
        }
    }

    // Written from ulogd2 output/ulogd_output_JSON.c and filter/raw2packet/ulogd_raw2packet_BASE.c key names.
    public class Given_written_records
    {
        [Fact]
        public void IPv6_icmpv6_with_only_a_zoned_timestamp()
        {
            var flow = One("""{"timestamp": "2026-11-27T10:00:01.000250+0100", "dvc": "Netfilter", "oob.prefix": "PT-DROP: ", "oob.family": 10, "oob.in": "", "oob.out": "eth0", "ip.protocol": 58, "ip6.nexthdr": 58, "icmpv6.type": 128, "icmpv6.code": 0, "src_ip": "fd00::1", "dest_ip": "fd00::2"}""", PtRules);
            Assert.Equal("2026-11-27T09:00:01.000250Z", flow.Time.ToString());
            Assert.Equal(IPAddress.Parse("fd00::1"), flow.Src.IP);
            Assert.Equal(Protocol.IcmpV6, flow.Protocol);
            Assert.Equal((128, 0), flow.Icmp);
            Assert.Equal(FlowDirection.Egress, flow.Direction);
        }

        [Fact]
        public void A_zone_less_timestamp_is_read_in_the_timezone_option()
        {
            var options = new FormatOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), Node = "worker-2" };
            var flow = One("""{"timestamp": "2026-11-27T10:00:01", "oob.prefix": "", "ip.protocol": 17, "udp.sport": 1000, "udp.dport": 53, "ip.saddr.str": "10.0.0.1", "ip.daddr.str": "10.0.0.2"}""", options);
            Assert.Equal("2026-11-27T09:00:01Z", flow.Time.ToString());
            Assert.Equal((1000, 53), (flow.Src.Port!.Value, flow.Dst.Port!.Value));
            Assert.Equal("worker-2", flow.Source.Node);
            Assert.Null(flow.Reported.Rule);
        }

        [Fact]
        public void Boolean_label_action_gives_the_verdict_when_no_prefix_rule_does()
        {
            var flow = One("""{"timestamp": "2026-11-27T10:00:01+0000", "action": "blocked", "oob.prefix": "x", "ip.protocol": 6, "src_port": 1, "dest_port": 2, "src_ip": "10.0.0.1", "dest_ip": "10.0.0.2"}""");
            Assert.Equal((ReportedVerdict.Denied, "blocked"), (flow.Reported.Verdict, flow.Reported.RawVerdict));
        }

        [Fact]
        public void Kube_router_preset_maps_the_prefixless_nflog_group_to_deny()
        {
            var flow = One("""{"oob.time.sec": 1795773601, "oob.prefix": "", "oob.in": "kube-bridge", "oob.out": "kube-bridge", "ip.protocol": 6, "src_port": 1, "dest_port": 80, "src_ip": "10.0.0.1", "dest_ip": "10.0.0.2"}""",
                new FormatOptions { NetfilterPrefixes = ["kube-router"] });
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
            Assert.Equal("2026-11-27T10:00:01Z", flow.Time.ToString());
            Assert.Equal(FlowDirection.Unknown, flow.Direction);
        }

        [Fact]
        public void Calico_flow_log_nflog_prefixes_are_decoded_by_the_calico_preset()
        {
            // felix rules/nflogprefix.go: action, owner, direction, rule index, "|" policy name.
            var options = new FormatOptions { NetfilterPrefixes = ["calico"] };
            var allow = One("""{"oob.time.sec": 1795773601, "oob.prefix": "API2|default.allow-web", "oob.in": "cali1", "oob.out": "eth0", "ip.protocol": 6, "src_port": 1, "dest_port": 80, "src_ip": "10.0.0.1", "dest_ip": "10.0.0.2"}""", options);
            Assert.Equal(ReportedVerdict.Allowed, allow.Reported.Verdict);
            Assert.Equal(["default.allow-web"], allow.Reported.Policies);
            var hit = Assert.Single(allow.Reported.Hits!);
            Assert.Equal((2, "ingress", "allow"), (hit.RuleIndex!.Value, hit.Direction, hit.Action));
            Assert.Equal(FlowDirection.Egress, allow.Direction);
            var profile = One("""{"oob.time.sec": 1795773601, "oob.prefix": "DRE", "ip.protocol": 6, "src_ip": "10.0.0.1", "dest_ip": "10.0.0.2"}""", options);
            Assert.Equal(ReportedVerdict.Denied, profile.Reported.Verdict);
            Assert.Empty(profile.Reported.Policies);
        }

        [Fact]
        public void Conntrack_and_accounting_records_are_skipped()
        {
            var text = """
                {"timestamp": "2026-11-27T10:00:01", "dvc": "Netfilter", "orig.ip.saddr.str": "10.0.0.1", "flow.start.sec": 1, "ct.id": 9}
                {"timestamp": "2026-11-27T10:00:01", "dvc": "Netfilter", "sum.name": "x", "sum.pkts": 1, "oob.time.sec": 1}
                """;
            var outcome = Harness.ParseText(text, "ulogd-json");
            Assert.Empty(outcome.Rejects);
            Assert.Equal(2, outcome.Summary.Skipped);
        }
    }

    public class Given_malformed_records
    {
        [Theory]
        [InlineData("""{"oob.time.sec": 1, "oob.prefix": "x", "ip.saddr": 16777226, "ip.daddr": 33554442}""", "needs the IP2STR filter")]
        [InlineData("""{"oob.time.sec": 1, "src_ip": "10.0.0.300", "dest_ip": "10.0.0.2"}""", "bad src_ip '10.0.0.300'")]
        [InlineData("""{"src_ip": "10.0.0.1", "dest_ip": "10.0.0.2"}""", "no time")]
        [InlineData("""{"timestamp": "yesterday", "src_ip": "10.0.0.1", "dest_ip": "10.0.0.2"}""", "bad timestamp 'yesterday'")]
        [InlineData("""{"oob.time.sec": 99999999999999, "src_ip": "10.0.0.1", "dest_ip": "10.0.0.2"}""", "bad oob.time.sec")]
        [InlineData("""{"oob.time.sec": 1, "src_ip": "10.0.0.1", "dest_ip": "10.0.0.2", "src_port": 70000}""", "port out of range")]
        [InlineData("""{"oob.time.sec": 1, "src_ip": "10.0.0.1", "dest_ip": "10.0.0.2", "ip.protocol": 1, "icmp.type": 300}""", "ICMP type/code out of range")]
        [InlineData("""[1,2]""", "not a JSON object")]
        [InlineData("""{"oob.time.sec": 1, "src_ip": "10.0""", "invalid or truncated JSON")]
        public void Each_is_rejected_with_a_clear_reason(string json, string reason)
        {
            var outcome = Harness.ParseText(json + "\n", "ulogd-json");
            Assert.Empty(outcome.Flows);
            Assert.Contains(reason, Assert.Single(outcome.Rejects).Reason, StringComparison.Ordinal);
        }

        [Fact]
        public void Truncations_of_a_captured_record_never_throw()
        {
            var text = string.Join('\n', Enumerable.Range(1, CapturedDrop.Length - 1).Select(n => CapturedDrop[..n]));
            var outcome = Harness.ParseText(text, "ulogd-json", PtRules);
            Assert.Equal(CapturedDrop.Length - 1, outcome.Rejects.Count + outcome.Flows.Count + outcome.Summary.Skipped);
        }
    }

    public class Given_other_formats_lines
    {
        [Fact]
        public void Detection_claims_none_of_them_and_claims_its_own()
        {
            var format = new UlogdJsonFormat();
            Assert.Equal(0, format.Detect(["""{"flow":{"time":"2024-01-01T00:00:00Z"}}""", "2026-11-27T10:00:01+00:00 X IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 ", "{\"oob.", "text"]));
            Assert.True(format.Detect([CapturedDrop]) > 50);
            Assert.Equal(0, new NetfilterFormat().Detect([CapturedDrop]));
        }
    }
}
