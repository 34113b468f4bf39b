using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.AwsNetworkPolicyAgent;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Tests.Support;

namespace PolicyTrail.Sources.Tests.AwsNetworkPolicyAgent;

public class AwsNpaTests
{
    public class Given_the_real_samples
    {
        [Fact]
        public void Every_agent_log_line_is_read_3_denied_and_6_accepted()
        {
            var outcome = Harness.ParseFiles([Fixtures.PathOrSkip("aws-npa.log")]);
            var npa = outcome.Summary.Formats["aws-npa"];
            Assert.Equal(9, npa.Read);
            Assert.Equal(9, npa.Flows);
            Assert.Empty(outcome.Rejects);
            Assert.Equal(3, outcome.Flows.Count(f => f.Reported.Verdict == ReportedVerdict.Denied));
            Assert.Equal(6, outcome.Flows.Count(f => f.Reported.Verdict == ReportedVerdict.Allowed));
            Assert.All(outcome.Flows, f => Assert.Empty(f.Reported.Policies));
        }

        [Fact]
        public void A_denied_flow_of_the_timestamp_keyed_layout_keeps_its_five_tuple_and_millisecond_time()
        {
            var flow = Harness.ParseFiles([Fixtures.PathOrSkip("aws-npa.log")]).Flows.Single(f => f.Source.Line == 1);
            Assert.Equal("2023-11-03T23:02:17.916Z", flow.Time.ToString());
            Assert.Equal(IPAddress.Parse("10.42.190.65"), flow.Src.IP);
            Assert.Equal(55986, flow.Src.Port);
            Assert.Equal(IPAddress.Parse("10.42.117.209"), flow.Dst.IP);
            Assert.Equal(8080, flow.Dst.Port);
            Assert.Equal(Protocol.Tcp, flow.Protocol);
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
            Assert.Equal("DENY", flow.Reported.RawVerdict);
            // The v1.0 layout has no direction, and the agent's lines name no pod, namespace or node.
            Assert.Equal(FlowDirection.Unknown, flow.Direction);
            Assert.Null(flow.Src.Pod);
            Assert.Null(flow.Dst.Namespace);
            Assert.Null(flow.Source.Node);
            Assert.Null(flow.Reported.Hits);
            Assert.Null(flow.IsReply);
            Assert.Equal(64, flow.Source.Sha256!.Length);
        }

        [Fact]
        public void An_accepted_UDP_flow_of_the_ts_keyed_layout_is_read()
        {
            var flow = Harness.ParseFiles([Fixtures.PathOrSkip("aws-npa.log")]).Flows.Single(f => f.Source.Line == 5);
            Assert.Equal("2023-12-12T07:00:03.731Z", flow.Time.ToString());
            Assert.Equal((IPAddress.Parse("10.1.206.228"), 56468), (flow.Src.IP, flow.Src.Port));
            Assert.Equal((IPAddress.Parse("172.20.0.10"), 53), (flow.Dst.IP, flow.Dst.Port));
            Assert.Equal(Protocol.Udp, flow.Protocol);
            Assert.Equal(ReportedVerdict.Allowed, flow.Reported.Verdict);
            Assert.Equal("ACCEPT", flow.Reported.RawVerdict);
        }

        [Fact]
        public void The_node_option_names_the_source_of_lines_that_do_not()
        {
            var outcome = Harness.ParseFiles([Fixtures.PathOrSkip("aws-npa.log")], options: new FormatOptions { Node = "ip-10-1-2-3.ec2.internal" });
            Assert.All(outcome.Flows, f => Assert.Equal("ip-10-1-2-3.ec2.internal", f.Source.Node));
        }

        [Fact]
        public void CloudWatch_console_lines_take_the_node_from_the_message_and_the_time_with_its_offset()
        {
            var outcome = Harness.ParseFiles([Fixtures.PathOrSkip("aws-npa-cloudwatch.log")], options: new FormatOptions { Node = "ignored" });
            Assert.Equal(2, outcome.Summary.Formats["aws-npa"].Flows);
            Assert.Empty(outcome.Rejects);
            var flow = outcome.Flows[0];
            Assert.Equal("2023-12-06T20:25:58.455Z", flow.Time.ToString());
            Assert.Equal("ip-172-27-44-11.ec2.internal", flow.Source.Node);
            Assert.Equal((IPAddress.Parse("172.27.32.157"), 60476), (flow.Src.IP, flow.Src.Port));
            Assert.Equal((IPAddress.Parse("172.27.38.227"), 5003), (flow.Dst.IP, flow.Dst.Port));
            Assert.Equal(Protocol.Tcp, flow.Protocol);
            Assert.Equal(ReportedVerdict.Allowed, flow.Reported.Verdict);
            Assert.Equal(FlowDirection.Unknown, flow.Direction);
            Assert.Null(flow.Reported.Rule);
            Assert.Equal("2023-12-06T20:25:58.466Z", outcome.Flows[1].Time.ToString());
        }

        [Theory]
        [InlineData("aws-npa.log")]
        [InlineData("aws-npa-cloudwatch.log")]
        public void Detection_picks_aws_npa(string file)
        {
            var sample = File.ReadLines(Fixtures.PathOrSkip(file)).Where(l => l.Trim().Length > 0).Take(FormatRegistry.SampleLines).ToList();
            Assert.Equal("aws-npa", FormatRegistry.Detect(sample)?.Name);
        }

        [Fact]
        public void Other_formats_samples_score_zero()
        {
            var dir = Path.GetDirectoryName(Fixtures.PathOrSkip("aws-npa.log"))!;
            var format = new AwsNpaFormat();
            foreach (var file in Directory.GetFiles(dir).Where(f => !f.EndsWith(".md", StringComparison.Ordinal) && !Path.GetFileName(f).StartsWith("aws-npa", StringComparison.Ordinal)))
            {
                var sample = File.ReadLines(file).Where(l => l.Trim().Length > 0).Take(FormatRegistry.SampleLines).ToList();
                Assert.True(format.Detect(sample) == 0, $"{Path.GetFileName(file)} scored {format.Detect(sample)}");
            }
        }
    }

    /// <summary>
    /// No public sample exists of the v1.2.2+ and v1.3.2+ text layouts, of IPv6, of CloudWatch exports other than the
    /// console copy, nor of EXPIRED/DELETED: these records are written here from the format strings in
    /// aws/aws-network-policy-agent pkg/ebpf/events/events.go (formatFlowLine, capturePolicyEvents, and the CloudWatch
    /// message built there) and from zap's JSON encoder with ISO8601TimeEncoder. Addresses and names are invented.
    /// </summary>
    public class Given_written_records_of_each_layout
    {
        [Fact]
        public void V1_2_2_IPv4_text_reads_direction_with_space_separated_labels()
        {
            var flow = Assert.Single(Harness.ParseText(
                """{"level":"info","ts":"2025-06-10T08:15:30.123Z","caller":"events/events.go:262","msg":"Flow Info: Src IP: 192.168.12.40 Src Port: 41822 Dest IP: 192.168.30.7 Dest Port: 8080 Proto TCP Verdict DENY Direction ingress"}""").Flows);
            Assert.Equal("2025-06-10T08:15:30.123Z", flow.Time.ToString());
            Assert.Equal((IPAddress.Parse("192.168.12.40"), 41822), (flow.Src.IP, flow.Src.Port));
            Assert.Equal((IPAddress.Parse("192.168.30.7"), 8080), (flow.Dst.IP, flow.Dst.Port));
            Assert.Equal(Protocol.Tcp, flow.Protocol);
            Assert.Equal(FlowDirection.Ingress, flow.Direction);
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
            Assert.Null(flow.Reported.Rule);
            Assert.Empty(flow.Reported.Policies);
        }

        [Fact]
        public void V1_2_2_IPv6_text_reads_the_colon_labels_and_an_accept_at_debug_level()
        {
            var flow = Assert.Single(Harness.ParseText(
                """{"level":"debug","ts":"2025-06-10T08:15:31.004Z","caller":"events/events.go:240","msg":"Flow Info: Src IP: 2600:1f14:abc:1::12 Src Port: 53122 Dest IP: 2600:1f14:abc:2::a Dest Port: 443 Proto: TCP Verdict: ACCEPT Direction: egress"}""").Flows);
            Assert.Equal(IPAddress.Parse("2600:1f14:abc:1::12"), flow.Src.IP);
            Assert.Equal((IPAddress.Parse("2600:1f14:abc:2::a"), 443), (flow.Dst.IP, flow.Dst.Port));
            Assert.Equal(FlowDirection.Egress, flow.Direction);
            Assert.Equal(ReportedVerdict.Allowed, flow.Reported.Verdict);
            Assert.Equal("ACCEPT", flow.Reported.RawVerdict);
        }

        [Fact]
        public void V1_3_2_IPv4_text_keeps_the_tier_and_drops_ICMPs_zero_ports()
        {
            var flow = Assert.Single(Harness.ParseText(
                """{"level":"info","ts":"2026-01-20T11:00:00.500Z","msg":"Flow Info: Src IP: 10.0.5.9 Src Port: 0 Dest IP: 10.0.7.3 Dest Port: 0 Proto ICMP Verdict DENY Direction egress, Tier DEFAULT"}""").Flows);
            Assert.Equal(Protocol.IcmpV4, flow.Protocol);
            Assert.Null(flow.Src.Port);
            Assert.Null(flow.Dst.Port);
            Assert.Equal(FlowDirection.Egress, flow.Direction);
            Assert.Equal("tier=DEFAULT", flow.Reported.Rule);
            Assert.Empty(flow.Reported.Policies);
        }

        [Fact]
        public void V1_3_2_IPv6_text_keeps_the_tier()
        {
            var flow = Assert.Single(Harness.ParseText(
                """{"level":"info","ts":"2026-01-20T11:00:01.000Z","msg":"Flow Info: Src IP: fd00:ec2::17 Src Port: 5353 Dest IP: fd00:ec2::29 Dest Port: 53 Proto: UDP Verdict: DENY Direction: ingress Tier: ADMIN"}""").Flows);
            Assert.Equal(IPAddress.Parse("fd00:ec2::17"), flow.Src.IP);
            Assert.Equal(Protocol.Udp, flow.Protocol);
            Assert.Equal(FlowDirection.Ingress, flow.Direction);
            Assert.Equal("tier=ADMIN", flow.Reported.Rule);
        }

        [Fact]
        public void ANY_PROTOCOL_with_its_space_is_read_whole_and_maps_to_unknown()
        {
            var flow = Assert.Single(Harness.ParseText(
                """{"level":"info","ts":"2026-01-20T11:00:02.000Z","msg":"Flow Info: Src IP: 10.0.5.9 Src Port: 0 Dest IP: 10.0.7.3 Dest Port: 0 Proto ANY PROTOCOL Verdict DENY Direction egress, Tier NETWORK_POLICY"}""").Flows);
            Assert.Equal(Protocol.Unknown, flow.Protocol);
            Assert.Null(flow.Dst.Port);
            Assert.Equal("tier=NETWORK_POLICY", flow.Reported.Rule);
        }

        [Fact]
        public void Zap_offsets_without_a_colon_and_epoch_seconds_are_converted_to_UTC()
        {
            var outcome = Harness.ParseText(
                """
                {"level":"info","ts":"2025-06-10T10:15:30.123+0200","msg":"Flow Info: Src IP: 10.0.0.1 Src Port: 1 Dest IP: 10.0.0.2 Dest Port: 2 Proto TCP Verdict DENY Direction ingress"}
                {"level":"info","ts":1749543330.123456,"msg":"Flow Info: Src IP: 10.0.0.1 Src Port: 1 Dest IP: 10.0.0.2 Dest Port: 2 Proto TCP Verdict DENY Direction ingress"}
                """, format: "aws-npa");
            Assert.Equal("2025-06-10T08:15:30.123Z", outcome.Flows[0].Time.ToString());
            Assert.Equal("2025-06-10T08:15:30.123456Z", outcome.Flows[1].Time.ToString());
        }

        [Fact]
        public void Old_agents_truncated_IPv4_addresses_are_restored()
        {
            // ConvByteArrayToIP (before the netip rewrite) dropped trailing zero octets: 64.6.160.0 printed as "64.6.160".
            var flow = Assert.Single(Harness.ParseText(
                """{"level":"info","ts":"2023-10-05T16:05:32.573Z","logger":"ebpf-client","msg":"Flow Info:  ","Src IP":"192.168.87.155","Src Port":38971,"Dest IP":"64.6.160","Dest Port":53,"Proto":"UDP","Verdict":"ACCEPT"}""").Flows);
            Assert.Equal(IPAddress.Parse("64.6.160.0"), flow.Dst.IP);
        }

        [Fact]
        public void Conntrack_expiry_and_the_agents_own_log_are_skipped_by_category()
        {
            var outcome = Harness.ParseText(
                """
                {"level":"info","ts":"2025-05-19T18:49:19.889Z","caller":"runtime/proc.go:283","msg":"Starting network policy agent with log level: info"}
                {"level":"info","ts":"2023-12-12T07:00:05.000Z","logger":"ebpf-client","msg":"Flow Info:  ","Src IP":"10.1.206.228","Src Port":49880,"Dest IP":"10.1.6.79","Dest Port":6379,"Proto":"TCP","Verdict":"EXPIRED/DELETED"}
                {"level":"debug","ts":"2025-06-10T08:15:31.004Z","msg":"Flow Info: Src IP: 10.0.0.1 Src Port: 1 Dest IP: 10.0.0.2 Dest Port: 2 Proto TCP Verdict EXPIRED/DELETED Direction egress"}
                """, format: "aws-npa");
            Assert.Empty(outcome.Records);
            Assert.Empty(outcome.Rejects);
            Assert.Equal(new Dictionary<string, long> { ["agent log"] = 1, ["conntrack expiry"] = 2 }, outcome.Summary.Formats["aws-npa"].Skipped);
        }

        [Fact]
        public void The_policy_branch_layout_names_the_policy_unless_it_is_a_lookup_sentinel()
        {
            // An unreleased development layout (lookupPolicyInfo, "Policy: %s/%s Precedence: %d"): never in a release.
            var outcome = Harness.ParseText(
                """
                {"level":"debug","ts":"2025-09-01T12:00:00.000Z","msg":"Flow Info: Src IP: 10.0.1.5 Src Port: 40000 Dest IP: 10.0.2.6 Dest Port: 80 Proto: TCP Verdict: ACCEPT Direction: ingress Policy: shop/allow-frontend Precedence: 1"}
                {"level":"info","ts":"2025-09-01T12:00:01.000Z","msg":"Flow Info: Src IP: 10.0.1.5 Src Port: 40001 Dest IP: 10.0.2.6 Dest Port: 81 Proto: TCP Verdict: DENY Direction: ingress Policy: default/default Precedence: 0"}
                """, format: "aws-npa");
            var named = outcome.Flows[0];
            Assert.Equal(["shop/allow-frontend"], named.Reported.Policies);
            var hit = Assert.Single(named.Reported.Hits!);
            Assert.Equal(("shop", "allow-frontend", "allow", "ingress"), (hit.Namespace, hit.Name, hit.Action, hit.Direction));
            Assert.Equal("precedence=1", named.Reported.Rule);
            Assert.Empty(outcome.Flows[1].Reported.Policies);
            Assert.Null(outcome.Flows[1].Reported.Hits);
        }

        [Fact]
        public void CloudWatch_v1_3_2_messages_in_an_Insights_table_use_the_zone_option()
        {
            var plusTwo = TimeZoneInfo.CreateCustomTimeZone("UTC+2", TimeSpan.FromHours(2), "UTC+2", "UTC+2");
            var outcome = Harness.ParseText(
                """
                | @timestamp | @message |
                |---|---|
                | 2026-08-07 17:05:21.588 | Node: ip-10-0-1-66.us-west-2.compute.internal;SIP: 2600:1f14:252c:c302::1e;SPORT: 48968;DIP: 2600:1f14:252c:c302:b00d::1;DPORT: 8181;PROTOCOL: TCP;PolicyVerdict: ACCEPT;Tier: DEFAULT |
                """, format: "aws-npa", options: new FormatOptions { TimeZone = plusTwo });
            var flow = Assert.Single(outcome.Flows);
            Assert.Empty(outcome.Rejects);
            Assert.Equal("2026-08-07T15:05:21.588Z", flow.Time.ToString());
            Assert.Equal("ip-10-0-1-66.us-west-2.compute.internal", flow.Source.Node);
            Assert.Equal(IPAddress.Parse("2600:1f14:252c:c302::1e"), flow.Src.IP);
            Assert.Equal((IPAddress.Parse("2600:1f14:252c:c302:b00d::1"), 8181), (flow.Dst.IP, flow.Dst.Port));
            Assert.Equal("tier=DEFAULT", flow.Reported.Rule);
            Assert.Equal(2, outcome.Summary.Formats["aws-npa"].Skipped["cloudwatch export header"]);
        }

        [Fact]
        public void CloudWatch_CSV_export_and_aws_logs_tail_lines_are_read()
        {
            var outcome = Harness.ParseText(
                """
                @timestamp,@message
                2026-02-01 10:00:00.123,"Node: ip-10-0-3-4.ec2.internal;SIP: 10.0.3.9;SPORT: 51000;DIP: 10.0.4.2;DPORT: 5432;PROTOCOL: TCP;PolicyVerdict: DENY;Tier: NETWORK_POLICY"
                2026-02-01T10:00:01.456000+00:00 aws-network-policy-agent-audit-6f1c2d3e-0000-4a5b-8c9d-1234567890ab Node: ip-10-0-3-4.ec2.internal;SIP: 10.0.3.9;SPORT: 51001;DIP: 10.0.4.2;DPORT: 5432;PROTOCOL: SCTP;PolicyVerdict: DENY;Tier: BASELINE
                """, format: "aws-npa");
            Assert.Empty(outcome.Rejects);
            Assert.Equal(2, outcome.Flows.Count);
            Assert.Equal("2026-02-01T10:00:00.123Z", outcome.Flows[0].Time.ToString());
            Assert.Equal("tier=NETWORK_POLICY", outcome.Flows[0].Reported.Rule);
            Assert.Equal("2026-02-01T10:00:01.456000Z", outcome.Flows[1].Time.ToString());
            Assert.Equal(Protocol.Sctp, outcome.Flows[1].Protocol);
            Assert.Equal("ip-10-0-3-4.ec2.internal", outcome.Flows[1].Source.Node);
        }

        [Fact]
        public void CloudWatch_JSON_events_and_subscription_envelopes_are_read_event_by_event()
        {
            var outcome = Harness.ParseText(
                """
                {"timestamp":1767225600123,"message":"Node: ip-10-0-3-4.ec2.internal;SIP: 10.0.3.9;SPORT: 51000;DIP: 10.0.4.2;DPORT: 443;PROTOCOL: TCP;PolicyVerdict: ACCEPT","ingestionTime":1767225601000,"logStreamName":"aws-network-policy-agent-audit-x","eventId":"1"}
                {"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"/aws/eks/demo/cluster","logStream":"aws-network-policy-agent-audit-x","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1767225602000,"message":"Node: n1;SIP: 10.0.3.9;SPORT: 1;DIP: 10.0.4.2;DPORT: 2;PROTOCOL: UDP;PolicyVerdict: DENY"},{"id":"2","timestamp":1767225603000,"message":"Node: n1;SIP: 10.0.3.9;SPORT: 3;DIP: 10.0.4.2;DPORT: 4;PROTOCOL: UDP;PolicyVerdict: ACCEPT"}]}
                {"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1767225604000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}
                {"messageType":"DATA_MESSAGE","logGroup":"/aws/eks/demo/cluster","logStream":"kube-apiserver-abc","logEvents":[{"id":"3","timestamp":1767225605000,"message":"I0101 00:00:00 apiserver log"}]}
                """, format: "aws-npa");
            Assert.Empty(outcome.Rejects);
            Assert.Equal(3, outcome.Flows.Count);
            Assert.Equal("2026-01-01T00:00:00.123Z", outcome.Flows[0].Time.ToString());
            Assert.Equal("ip-10-0-3-4.ec2.internal", outcome.Flows[0].Source.Node);
            Assert.Equal([2L, 2L], outcome.Flows.Skip(1).Select(f => f.Source.Line));
            Assert.Equal([ReportedVerdict.Denied, ReportedVerdict.Allowed], outcome.Flows.Skip(1).Select(f => f.Reported.Verdict));
            Assert.Equal(new Dictionary<string, long> { ["cloudwatch control message"] = 1, ["cloudwatch events of other streams"] = 1 }, outcome.Summary.Formats["aws-npa"].Skipped);
        }

        [Fact]
        public void The_policy_branch_CloudWatch_message_names_policy_and_pods()
        {
            var flow = Assert.Single(Harness.ParseText(
                "2025-09-01T12:00:00.000Z   Node: n1;SIP: 10.0.1.5;SPORT: 40000;DIP: 10.0.2.6;DPORT: 80;PROTOCOL: TCP;PolicyVerdict: ACCEPT;PolicyName: allow-frontend;PolicyNamespace: shop;Precedence: 1;SrcPod: shop/frontend-7d9f;DstPod: shop/web-0",
                format: "aws-npa").Flows);
            Assert.Equal(["shop/allow-frontend"], flow.Reported.Policies);
            Assert.Equal(("shop", "frontend-7d9f"), (flow.Src.Namespace, flow.Src.Pod));
            Assert.Equal(("shop", "web-0"), (flow.Dst.Namespace, flow.Dst.Pod));
        }

        [Fact]
        public void An_empty_node_in_the_message_falls_back_to_the_node_option()
        {
            // MY_NODE_NAME unset in the agent's environment prints "Node: ;".
            var flow = Assert.Single(Harness.ParseText(
                "2025-09-01T12:00:00.000Z Node: ;SIP: 10.0.1.5;SPORT: 1;DIP: 10.0.2.6;DPORT: 2;PROTOCOL: TCP;PolicyVerdict: DENY",
                format: "aws-npa", options: new FormatOptions { Node = "given" }).Flows);
            Assert.Equal("given", flow.Source.Node);
        }

        [Fact]
        public void Detection_recognises_the_newer_layouts()
        {
            var format = new AwsNpaFormat();
            Assert.True(format.Detect(["""{"level":"info","ts":"2026-01-20T11:00:00.500Z","msg":"Flow Info: Src IP: 10.0.5.9 Src Port: 0 Dest IP: 10.0.7.3 Dest Port: 0 Proto ICMP Verdict DENY Direction egress, Tier DEFAULT"}"""]) >= 70);
            Assert.True(format.Detect(["""{"timestamp":1767225600123,"message":"Node: n;SIP: 10.0.3.9;SPORT: 1;DIP: 10.0.4.2;DPORT: 2;PROTOCOL: TCP;PolicyVerdict: ACCEPT"}"""]) >= 70);
            Assert.Equal(0, format.Detect(["""{"level":"info","ts":"2025-05-19T18:49:19.889Z","caller":"main.go:1","msg":"some other Go program"}""", "plain text", "{not json"]));
        }
    }

    public class Given_malformed_lines
    {
        [Theory]
        [InlineData("""{"level":"info","ts":"2025-06-10T08:15:30.123Z","msg":"Flow Info: Src IP: 10.0.0.1 Src Port: 1""", "invalid or truncated JSON")]
        [InlineData("""{"level":"info","msg":"Flow Info: Src IP: 10.0.0.1 Src Port: 1 Dest IP: 10.0.0.2 Dest Port: 2 Proto TCP Verdict DENY Direction ingress"}""", "no time")]
        [InlineData("""{"level":"info","ts":"yesterday","msg":"Flow Info: Src IP: 10.0.0.1 Src Port: 1 Dest IP: 10.0.0.2 Dest Port: 2 Proto TCP Verdict DENY Direction ingress"}""", "bad time 'yesterday'")]
        [InlineData("""{"level":"info","ts":"2025-06-10T08:15:30Z","msg":"Flow Info: Src IP: 10.0.0.300 Src Port: 1 Dest IP: 10.0.0.2 Dest Port: 2 Proto TCP Verdict DENY Direction ingress"}""", "bad source IP '10.0.0.300'")]
        [InlineData("""{"level":"info","ts":"2025-06-10T08:15:30Z","msg":"Flow Info: Src IP: 10.0.0.1 Src Port: 70000 Dest IP: 10.0.0.2 Dest Port: 2 Proto TCP Verdict DENY Direction ingress"}""", "bad source port '70000'")]
        [InlineData("""{"level":"info","ts":"2025-06-10T08:15:30Z","msg":"Flow Info: Src IP: 10.0.0.1 Src Port: 1 Dest IP: 10.0.0.2 Dest Port: 2 Proto TCP Verdict MAYBE Direction ingress"}""", "unknown verdict 'MAYBE'")]
        [InlineData("""{"level":"info","ts":"2025-06-10T08:15:30Z","msg":"Flow Info: Src IP: 10.0.0.1 Src Port: 1 Dest IP: 10.0.0.2 Dest Port: 2 Proto TCP Verdict DENY Direction sideways"}""", "unknown direction 'sideways'")]
        [InlineData("""{"level":"info","ts":"2025-06-10T08:15:30Z","msg":"Flow Info: Src IP: 10.0.0.1 Src Port: 1 Dest IP: 10.0.0.2 Proto TCP Verdict DENY"}""", "without \"Dest Port:\"")]
        [InlineData("""{"level":"info","ts":"2025-06-10T08:15:30Z","msg":"Flow Info: Src IP: 10.0.0.1 Src Port: 1 Dest IP: 10.0.0.2 Dest Port: 2 Proto TCP Verdict DENY Direction ingress, Tier X trailing"}""", "unexpected text after the flow")]
        [InlineData("""{"level":"info","ts":"2023-12-12T07:00:02.818Z","logger":"ebpf-client","msg":"Flow Info:  ","Src IP":"10.1.206.228","Src Port":49880,"Dest IP":"10.1.6.79","Dest Port":6379,"Proto":"TCP"}""", "no \"Verdict\"")]
        [InlineData("""{"something":"else"}""", "neither a zap log line")]
        [InlineData("[1,2]", "not a JSON object")]
        [InlineData("Node: n;SIP: 10.0.1.5;SPORT: 1;DIP: 10.0.2.6;DPORT: 2;PROTOCOL: TCP;PolicyVerdict: DENY", "without its event time")]
        [InlineData("someday Node: n;SIP: 10.0.1.5;SPORT: 1;DIP: 10.0.2.6;DPORT: 2;PROTOCOL: TCP;PolicyVerdict: DENY", "unrecognised time 'someday'")]
        [InlineData("2025-09-01T12:00:00Z Node: n;SIP: 10.0.1.5;DIP: 10.0.2.6;DPORT: 2;PROTOCOL: TCP;PolicyVerdict: DENY", "has no SPORT")]
        [InlineData("""{"timestamp":"soon","message":"Node: n;SIP: 10.0.1.5;SPORT: 1;DIP: 10.0.2.6;DPORT: 2;PROTOCOL: TCP;PolicyVerdict: DENY"}""", "bad timestamp 'soon'")]
        [InlineData("""{"logEvents":[{"timestamp":1767225602000,"message":"Node: n1;SIP: x;SPORT: 1;DIP: 10.0.4.2;DPORT: 2;PROTOCOL: UDP;PolicyVerdict: DENY"}]}""", "logEvents[0]: bad source IP 'x'")]
        [InlineData("just some text", "not a network policy agent record")]
        public void Bad_lines_are_rejected_with_the_reason(string line, string reason)
        {
            var outcome = Harness.ParseText(line, format: "aws-npa");
            var reject = Assert.Single(outcome.Rejects);
            Assert.Contains(reason, reject.Reason, StringComparison.Ordinal);
            Assert.Equal(1, reject.Line);
            Assert.Equal(line, reject.Raw);
            Assert.Empty(outcome.Records);
        }

        [Fact]
        public void Garbled_and_truncated_input_is_rejected_never_thrown()
        {
            const string good = """{"level":"info","ts":"2026-01-20T11:00:00.500Z","msg":"Flow Info: Src IP: 10.0.5.9 Src Port: 0 Dest IP: 10.0.7.3 Dest Port: 0 Proto ICMP Verdict DENY Direction egress, Tier DEFAULT"}""";
            const string cw = "2026-02-01 10:00:00.123 Node: n;SIP: 10.0.3.9;SPORT: 51000;DIP: 10.0.4.2;DPORT: 5432;PROTOCOL: TCP;PolicyVerdict: DENY;Tier: NETWORK_POLICY";
            var lines = new List<string>();
            foreach (var s in new[] { good, cw })
            {
                for (var i = 1; i < s.Length; i += 7)
                {
                    lines.Add(s[..i]);
                    lines.Add(s[i..]);
                }
            }
            var outcome = Harness.ParseText(string.Join('\n', lines), format: "aws-npa");
            Assert.Equal(lines.Count(l => l.Trim().Length > 0), outcome.Summary.Formats["aws-npa"].Read);
        }
    }
}
