using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Netfilter;
using PolicyTrail.Sources.Tests.Support;

namespace PolicyTrail.Sources.Tests.Netfilter;

public class NetfilterTests
{
    private static FormatOptions Prefixes(params string[] rules) => new() { NetfilterPrefixes = rules };

    private static FlowRecord One(string line, FormatOptions? options = null)
    {
        var outcome = Harness.ParseText(line + "\n", "netfilter", options);
        Assert.Empty(outcome.Rejects);
        return Assert.Single(outcome.Flows);
    }

    private static string RejectOf(string line, FormatOptions? options = null, string format = "netfilter")
    {
        var outcome = Harness.ParseText(line + "\n", format, options);
        Assert.Empty(outcome.Flows);
        return Assert.Single(outcome.Rejects).Reason;
    }

    public class Given_the_real_samples
    {
        private static ParseOutcome Read(params string[] prefixes) =>
            Harness.ParseFiles([Fixtures.PathOrSkip("iptables-log.txt")], "netfilter",
                new FormatOptions { Year = 2024, TimeZone = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles"), NetfilterPrefixes = prefixes });

        [Fact]
        public void Every_line_is_read_four_flows_and_the_two_uptime_only_lines_rejected()
        {
            var outcome = Read("calico");
            var summary = outcome.Summary.Formats["netfilter"];
            Assert.Equal(6, summary.Read);
            Assert.Equal(4, summary.Flows);
            Assert.Equal(2, summary.Rejected);
            Assert.Equal([5L, 6L], outcome.Rejects.Select(r => r.Line));
            Assert.All(outcome.Rejects, r => Assert.Contains("kernel uptime only", r.Reason, StringComparison.Ordinal));
        }

        [Fact]
        public void The_format_is_detected_from_the_file()
        {
            var outcome = Harness.ParseFiles([Fixtures.PathOrSkip("iptables-log.txt")]);
            Assert.True(outcome.Summary.Formats.ContainsKey("netfilter"));
        }

        [Fact]
        public void A_calico_log_action_line_keeps_every_field_and_no_verdict()
        {
            var flow = Read("calico").Flows.Single(f => f.Source.Line == 1);
            Assert.Equal("2024-11-19T20:15:03.023805Z", flow.Time.ToString());
            Assert.Equal("c1-control", flow.Source.Node);
            Assert.Equal(IPAddress.Parse("172.16.193.134"), flow.Src.IP);
            Assert.Equal(45588, flow.Src.Port);
            Assert.Equal(IPAddress.Parse("69.147.80.15"), flow.Dst.IP);
            Assert.Equal(80, flow.Dst.Port);
            Assert.Equal(Protocol.Tcp, flow.Protocol);
            Assert.Equal(ReportedVerdict.Unknown, flow.Reported.Verdict);
            Assert.Equal("calico-packet: ", flow.Reported.Rule);
            Assert.Empty(flow.Reported.Policies);
            // IN=cali527b0801ecb OUT=eth0: out of a Calico pod veth.
            Assert.Equal(FlowDirection.Egress, flow.Direction);
            Assert.Null(flow.Src.Pod);
        }

        [Fact]
        public void ICMP_keeps_type_and_code_and_no_ports()
        {
            var flow = Read().Flows.Single(f => f.Source.Line == 2);
            Assert.Equal(Protocol.IcmpV4, flow.Protocol);
            Assert.Equal((8, 0), flow.Icmp);
            Assert.Null(flow.Src.Port);
            Assert.Null(flow.Dst.Port);
        }

        [Fact]
        public void UDP_uses_the_first_LEN_and_pod_to_pod_forwarding_has_no_direction()
        {
            var flow = Read("calico").Flows.Single(f => f.Source.Line == 3);
            Assert.Equal(Protocol.Udp, flow.Protocol);
            Assert.Equal((42896, 53), (flow.Src.Port!.Value, flow.Dst.Port!.Value));
            Assert.Equal(FlowDirection.Unknown, flow.Direction);
        }

        [Fact]
        public void A_bsd_syslog_calico_drop_line_uses_year_and_zone_and_the_preset_verdict()
        {
            var flow = Read("calico").Flows.Single(f => f.Source.Line == 4);
            Assert.Equal("2024-05-19T01:42:44Z", flow.Time.ToString());
            Assert.Equal("ubuntu", flow.Source.Node);
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
            Assert.Equal("calico-drop:", flow.Reported.RawVerdict);
            Assert.Equal("calico-drop: ", flow.Reported.Rule);
            Assert.Equal(FlowDirection.Ingress, flow.Direction);
            Assert.Equal((56248, 80), (flow.Src.Port!.Value, flow.Dst.Port!.Value));
        }

        [Fact]
        public void Without_a_mapping_the_verdict_is_unknown_and_the_prefix_kept_verbatim()
        {
            var flow = Read().Flows.Single(f => f.Source.Line == 4);
            Assert.Equal(ReportedVerdict.Unknown, flow.Reported.Verdict);
            Assert.Null(flow.Reported.RawVerdict);
            Assert.Equal("calico-drop: ", flow.Reported.Rule);
            // Forwarded (IN and OUT set) and no calico preset: no direction is claimed.
            Assert.Equal(FlowDirection.Unknown, flow.Direction);
        }
    }

    // Written from net/netfilter/nf_log_syslog.c (field order and spelling) and each transport's documented time
    // layout: no public Kubernetes IPv6 LOG sample exists (../shared iptables-log.md) and journald is absent here.
    public class Given_written_records
    {
        private const string V4 = "IN=eth0 OUT= MAC=b6:56:90:02:fb:85:0a:76:bc:8b:69:6d:08:00 SRC=10.199.1.1 DST=10.199.1.10 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=27510 DF PROTO=TCP SPT=40001 DPT=8080 WINDOW=64240 RES=0x00 SYN URGP=0 ";
        private const string V6 = "IN= OUT=eth0 SRC=fd00:0000:0000:0000:0000:0000:0000:0001 DST=fd00:0000:0000:0000:0000:0000:0000:0002 LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=12345 PROTO=TCP SPT=50000 DPT=443 WINDOW=64800 RES=0x00 SYN URGP=0 ";

        [Fact]
        public void Dmesg_iso_keeps_microseconds_and_the_offset()
        {
            var flow = One($"2026-11-27T10:00:01,123456+01:00 PT-DROP: {V4}", Prefixes("PT-DROP: =deny"));
            Assert.Equal("2026-11-27T09:00:01.123456Z", flow.Time.ToString());
            Assert.Equal(6, flow.Time.FractionDigits);
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
            Assert.Equal("PT-DROP:", flow.Reported.RawVerdict);
            Assert.Equal(FlowDirection.Ingress, flow.Direction);
            Assert.Null(flow.Source.Node);
        }

        [Fact]
        public void IPv6_egress_is_read_from_the_fully_expanded_addresses()
        {
            var flow = One($"2026-11-27T10:00:01,000001+00:00 PT-ALLOW: {V6}", Prefixes("PT-ALLOW=allow"));
            Assert.Equal(IPAddress.Parse("fd00::1"), flow.Src.IP);
            Assert.Equal(IPAddress.Parse("fd00::2"), flow.Dst.IP);
            Assert.Equal((50000, 443), (flow.Src.Port!.Value, flow.Dst.Port!.Value));
            Assert.Equal(FlowDirection.Egress, flow.Direction);
            Assert.Equal(ReportedVerdict.Allowed, flow.Reported.Verdict);
        }

        [Fact]
        public void ICMPv6_keeps_type_and_code()
        {
            var flow = One("2026-11-27T10:00:01+00:00 host kernel: DROP6 IN=eth0 OUT= SRC=fe80:0000:0000:0000:823f:5dff:fe87:e293 DST=ff02:0000:0000:0000:0000:0000:0000:0001 LEN=76 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=ICMPv6 TYPE=130 CODE=0 ");
            Assert.Equal(Protocol.IcmpV6, flow.Protocol);
            Assert.Equal((130, 0), flow.Icmp);
            Assert.Equal("DROP6 ", flow.Reported.Rule);
        }

        [Fact]
        public void Journalctl_short_iso_offsets_without_a_colon_are_read()
        {
            var flow = One($"2026-11-27T10:00:01+0100 node-a kernel: PT-DROP: {V4}");
            Assert.Equal("2026-11-27T09:00:01Z", flow.Time.ToString());
            Assert.Equal("node-a", flow.Source.Node);
        }

        [Fact]
        public void Journalctl_json_reads_MESSAGE_realtime_and_hostname()
        {
            var json = $$"""{"__REALTIME_TIMESTAMP":"1795773601123456","_HOSTNAME":"node-b","_TRANSPORT":"kernel","SYSLOG_IDENTIFIER":"kernel","PRIORITY":"4","MESSAGE":"PT-ALLOW: {{V4.TrimEnd()}}"}""";
            var flow = One(json, Prefixes("PT-ALLOW: =allow"));
            Assert.Equal("2026-11-27T10:00:01.123456Z", flow.Time.ToString());
            Assert.Equal("node-b", flow.Source.Node);
            Assert.Equal(ReportedVerdict.Allowed, flow.Reported.Verdict);
            Assert.Equal(40001, flow.Src.Port);
        }

        [Fact]
        public void Journalctl_json_MESSAGE_as_a_byte_array_is_decoded()
        {
            var bytes = string.Join(',', System.Text.Encoding.UTF8.GetBytes($"X: {V4}").Select(b => b.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var flow = One($$"""{"__REALTIME_TIMESTAMP":"1795773601000000","MESSAGE":[{{bytes}}]}""");
            Assert.Equal(IPAddress.Parse("10.199.1.10"), flow.Dst.IP);
        }

        [Fact]
        public void Other_journal_and_kernel_messages_are_skipped_not_rejected()
        {
            var text = """
                {"__REALTIME_TIMESTAMP":"1795773601000000","MESSAGE":"EXT4-fs (vda): mounted filesystem"}
                2026-11-27T10:00:01+00:00 host kernel: [ 1.286499] EXT4-fs (vda): mounted filesystem
                [    1.276903] tokio-rt-worker (69): drop_caches: 3
                Nov 27 10:00:01 host sshd[42]: Accepted publickey for root
                """;
            var outcome = Harness.ParseText(text, "netfilter");
            Assert.Empty(outcome.Rejects);
            Assert.Equal(4, outcome.Summary.Formats["netfilter"].Skipped["not a netfilter LOG message"]);
        }

        [Fact]
        public void Rfc5424_with_and_without_structured_data()
        {
            var nil = One($"<4>1 2026-11-27T10:00:01.5Z node-c kernel - - - PT-DROP: {V4}");
            Assert.Equal("2026-11-27T10:00:01.500Z", nil.Time.ToString());
            Assert.Equal("node-c", nil.Source.Node);
            var sd = One($"<4>1 2026-11-27T10:00:01.5Z node-c kernel - - [meta sequenceId=\"1\" x=\"a\\]b\"] \uFEFFPT-DROP: {V4}");
            Assert.Equal("PT-DROP: ", sd.Reported.Rule);
        }

        [Fact]
        public void Bsd_syslog_uses_the_year_option_and_the_zone()
        {
            var options = new FormatOptions { Year = 2026, TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), Node = "ignored" };
            var flow = One($"Nov  7 10:00:01 node-d kernel: [ 1156.246182] PT-DROP: {V4}", options);
            Assert.Equal("2026-11-07T09:00:01Z", flow.Time.ToString());
            Assert.Equal("node-d", flow.Source.Node);
            Assert.Equal("PT-DROP: ", flow.Reported.Rule);
        }

        [Fact]
        public void Dmesg_ctime_is_read_in_the_zone_and_the_node_option_names_the_node()
        {
            var options = new FormatOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), Node = "worker-1" };
            var flow = One($"[Fri Nov 27 10:00:01 2026] PT-DROP: {V4}", options);
            Assert.Equal("2026-11-27T09:00:01Z", flow.Time.ToString());
            Assert.Equal("worker-1", flow.Source.Node);
        }

        [Fact]
        public void Other_protocols_sctp_and_numbers()
        {
            var sctp = One("2026-11-27T10:00:01+00:00 X IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 LEN=60 PROTO=SCTP SPT=3868 DPT=3868 ");
            Assert.Equal((Protocol.Sctp, 3868), (sctp.Protocol, sctp.Dst.Port!.Value));
            var gre = One("2026-11-27T10:00:01+00:00 X IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 LEN=60 PROTO=47 ");
            Assert.Equal(Protocol.Unknown, gre.Protocol);
            Assert.Null(gre.Dst.Port);
            var udp17 = One("2026-11-27T10:00:01+00:00 X IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 LEN=60 PROTO=17 ");
            Assert.Equal(Protocol.Udp, udp17.Protocol);
        }

        [Fact]
        public void An_icmp_error_reads_the_outer_packet_not_the_quoted_one()
        {
            var flow = One("2026-11-27T10:00:01+00:00 X IN=eth0 OUT= SRC=10.0.0.9 DST=10.0.0.1 LEN=88 TOS=0x00 PREC=0xC0 TTL=64 ID=1 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.0.0.1 DST=10.0.0.9 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=2 DF PROTO=UDP SPT=5000 DPT=53 LEN=40 ] ");
            Assert.Equal(IPAddress.Parse("10.0.0.9"), flow.Src.IP);
            Assert.Equal((3, 3), flow.Icmp);
            Assert.Null(flow.Src.Port);
        }

        [Fact]
        public void A_prefix_without_a_trailing_space_is_split_from_IN()
        {
            var flow = One($"2026-11-27T10:00:01+00:00 DROP{V4}", Prefixes("DROP=deny"));
            Assert.Equal("DROP", flow.Reported.Rule);
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
        }
    }

    public class Given_prefix_rules
    {
        private const string Fields = "IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 LEN=60 PROTO=TCP SPT=1 DPT=2 ";

        [Fact]
        public void An_explicit_policy_is_reported_with_namespace_and_name()
        {
            var flow = One($"2026-11-27T10:00:01+00:00 DROP-NP: {Fields}", Prefixes("DROP-NP:=deny:default/deny-all"));
            Assert.Equal(["default/deny-all"], flow.Reported.Policies);
            var hit = Assert.Single(flow.Reported.Hits!);
            Assert.Equal(("default", "deny-all", "deny"), (hit.Namespace, hit.Name, hit.Action));
        }

        [Fact]
        public void Calico_placeholders_capture_tier_kind_and_policy()
        {
            // FelixConfiguration logPrefix "%t %k %p" (Calico >= 3.30, felix rules/policy.go generateLogPrefix); a Log
            // action logs before the rule that decides, so "log" keeps the verdict unknown.
            var flow = One($"2026-11-27T10:00:01+00:00 default knp prod/deny-db: {Fields}", Prefixes("%t %k %p=log"));
            Assert.Equal(ReportedVerdict.Unknown, flow.Reported.Verdict);
            Assert.Equal(["prod/deny-db"], flow.Reported.Policies);
            var hit = Assert.Single(flow.Reported.Hits!);
            Assert.Equal(("default", "knp", "prod", "deny-db", "log"), (hit.Tier, hit.Kind, hit.Namespace, hit.Name, hit.Action));
        }

        [Fact]
        public void A_trailing_star_matches_by_prefix_and_user_rules_beat_presets()
        {
            var star = One($"2026-11-27T10:00:01+00:00 DENY-123: {Fields}", Prefixes("DENY-*=deny"));
            Assert.Equal(ReportedVerdict.Denied, star.Reported.Verdict);
            var overridden = One($"2026-11-27T10:00:01+00:00 calico-packet: {Fields}", Prefixes("calico", "calico-packet=allow"));
            Assert.Equal(ReportedVerdict.Allowed, overridden.Reported.Verdict);
        }

        [Fact]
        public void A_bad_entry_rejects_every_line_with_the_entry_named()
        {
            var reason = RejectOf($"2026-11-27T10:00:01+00:00 X: {Fields}", Prefixes("X=maybe"));
            Assert.Contains("--netfilter-prefix 'X=maybe'", reason, StringComparison.Ordinal);
        }
    }

    public class Given_malformed_lines
    {
        [Theory]
        [InlineData("[ 3289.154010] PT: IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 PROTO=TCP SPT=1 DPT=2", "kernel uptime only")]
        [InlineData("2026-11-27T10:00:01+00:00 PT: IN=eth0 OUT= SRC=10.0.0.999 DST=10.0.0.2 PROTO=TCP", "bad SRC '10.0.0.999'")]
        [InlineData("2026-11-27T10:00:01+00:00 PT: IN=eth0 OUT= SRC=10.0.0.1 PROTO=TCP", "without SRC= and DST=")]
        [InlineData("2026-11-27T10:00:01+00:00 PT: IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 PROTO=TCP SPT=70000 DPT=2", "bad SPT '70000'")]
        [InlineData("2026-11-27T10:00:01+00:00 PT: IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 PROTO=ICMP TYPE=x CODE=0", "bad ICMP TYPE 'x'")]
        [InlineData("2026-13-27T10:00:01+00:00 PT: IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2", "bad time '2026-13-27T10:00:01+00:00'")]
        [InlineData("Feb 29 10:00:01 host kernel: PT: IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2", "in year 2026 (give --year)")]
        [InlineData("[Nov27 10:00] PT: IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2", "neither kernel uptime")]
        [InlineData("hello IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2", "not a kernel log line")]
        [InlineData("<4>1 - host kernel - - - PT: IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2", "without a time")]
        [InlineData("{\"MESSAGE\":\"PT: IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2\"}", "without a numeric __REALTIME_TIMESTAMP")]
        [InlineData("{\"MESSAGE\":\"PT: IN=eth0 OUT= SRC=10.0.0.1", "invalid or truncated JSON")]
        public void Each_is_rejected_with_a_clear_reason(string line, string reason)
        {
            Assert.Contains(reason, RejectOf(line, new FormatOptions { Year = 2026 }), StringComparison.Ordinal);
        }

        [Fact]
        public void Truncated_and_garbled_lines_never_throw()
        {
            var line = "May 18 18:42:44 ubuntu kernel: [ 1156.246182] calico-drop: IN=tunl0 OUT=cali76be879f658 MAC= SRC=192.168.128.30 DST=fe80:0000:0000:0000:823f:5dff:fe87:e293 LEN=60 PROTO=ICMPv6 TYPE=1 CODE=4 [SRC=1.2.3.4 ]";
            var json = """{"__REALTIME_TIMESTAMP":"99999999999999999999","MESSAGE":[1,2,300]}""";
            var text = string.Join('\n', Enumerable.Range(0, line.Length).Select(n => line[..n]).Concat(Enumerable.Range(0, json.Length).Select(n => json[..n]))
                .Concat([new string('x', 10_000), "\u0000\u0001IN= OUT= SRC= DST=", "{}", "[]", "1 2 3 4 5 6 7"]));
            var outcome = Harness.ParseText(text, "netfilter", Prefixes("calico", "%p %p %n=deny"));
            Assert.Equal(outcome.Summary.Read, outcome.Flows.Count + outcome.Rejects.Count + outcome.Summary.Skipped);
        }
    }

    public class Given_other_formats_lines
    {
        [Fact]
        public void Neither_format_claims_any_other_shared_sample()
        {
            var dir = Path.GetDirectoryName(Fixtures.PathOrSkip("iptables-log.txt"))!;
            foreach (var file in Directory.GetFiles(dir).Where(f => !f.EndsWith(".md", StringComparison.Ordinal) && !f.EndsWith("iptables-log.txt", StringComparison.Ordinal)))
            {
                var sample = File.ReadLines(file).Where(l => l.Trim().Length > 0).Take(FormatRegistry.SampleLines).ToList();
                Assert.True(new NetfilterFormat().Detect(sample) == 0, $"netfilter claims {file}");
                Assert.True(new UlogdJsonFormat().Detect(sample) == 0, $"ulogd-json claims {file}");
            }
        }

        [Fact]
        public void Detection_claims_none_of_them()
        {
            var format = new NetfilterFormat();
            Assert.Equal(0, format.Detect(["""{"flow":{"time":"2024-01-01T00:00:00Z","verdict":"DROPPED"}}""", "plain text", "",
                """{"timestamp": "2026-11-27T05:27:35.596700", "oob.prefix": "PT-ALLOW: ", "src_ip": "10.199.1.1", "dest_ip": "10.199.1.10"}""",
                """{"MESSAGE":"systemd started","__REALTIME_TIMESTAMP":"1"}"""]));
            Assert.True(format.Detect(["2026-11-27T10:00:01+00:00 X IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 PROTO=47 "]) > 50);
        }
    }
}
