using System.Net;
using System.Text;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Gke;
using PolicyTrail.Sources.Tests.Support;

namespace PolicyTrail.Sources.Tests.Gke;

public class GkeDpv2Tests
{
    public class Given_the_real_samples
    {
        // gke-dpv2.jsonl: expected-output constants of GKE's policy logger unit tests (see gke-dpv2.md there); lines 1-2
        // are the older key order, 3-7 the newer one.
        private static ParseOutcome ParseSamples(FormatOptions? options = null) =>
            Harness.ParseFiles([Fixtures.PathOrSkip("gke-dpv2.jsonl")], options: options);

        [Fact]
        public void Every_line_is_detected_and_read_with_nothing_rejected()
        {
            var outcome = ParseSamples();
            var gke = outcome.Summary.Formats["gke-dpv2"];
            Assert.Equal(7, gke.Read);
            Assert.Equal(7, gke.Flows);
            Assert.Equal(0, gke.Gaps);
            Assert.Empty(gke.Skipped);
            Assert.Empty(outcome.Rejects);
            Assert.Single(outcome.Summary.Formats);
        }

        [Fact]
        public void An_allowed_ingress_flow_keeps_addresses_ports_pods_workloads_and_the_policy()
        {
            var flow = ParseSamples().Flows.Single(f => f.Source.Line == 1);
            Assert.Equal("2020-06-13T21:29:31.445836587Z", flow.Time.ToString());
            Assert.Equal(9, flow.Time.FractionDigits);
            Assert.Equal(IPAddress.Parse("10.84.1.7"), flow.Src.IP);
            Assert.Equal(55644, flow.Src.Port);
            Assert.Equal("default", flow.Src.Namespace);
            Assert.Equal("client-allow-7b78d7c957-zkn54", flow.Src.Pod);
            Assert.Equal(("client-allow-7b78d7c957", "ReplicaSet"), (flow.Src.Workload, flow.Src.WorkloadKind));
            Assert.Null(flow.Src.Node);
            Assert.Equal(IPAddress.Parse("10.84.0.11"), flow.Dst.IP);
            Assert.Equal(8080, flow.Dst.Port);
            Assert.Equal("test-service-745c798fc9-hzpxt", flow.Dst.Pod);
            Assert.Equal(Protocol.Tcp, flow.Protocol);
            Assert.Equal(FlowDirection.Ingress, flow.Direction);
            Assert.Null(flow.IsReply);
            Assert.Equal(ReportedVerdict.Allowed, flow.Reported.Verdict);
            Assert.Equal("allow", flow.Reported.RawVerdict);
            Assert.Equal(["default/allow-all"], flow.Reported.Policies);
            var hit = Assert.Single(flow.Reported.Hits!);
            Assert.Equal(new PolicyHit { Kind = "NetworkPolicy", Namespace = "default", Name = "allow-all", Action = "allow", Direction = "ingress" }, hit);
            Assert.Equal(1, flow.Count);
            Assert.Null(flow.Source.Node);
            Assert.Equal("gke-dpv2", flow.Source.Format);
            Assert.Equal(64, flow.Source.Sha256!.Length);
        }

        [Fact]
        public void A_denied_flow_names_no_policy_and_keeps_its_count()
        {
            var flow = ParseSamples().Flows.Single(f => f.Source.Line == 2);
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
            Assert.Equal("deny", flow.Reported.RawVerdict);
            Assert.Empty(flow.Reported.Policies);
            Assert.Null(flow.Reported.Hits);
            Assert.Null(flow.Reported.DropReason);
            Assert.Equal(1, flow.Count);
            Assert.Equal("client-deny-5689846f5b-cqqsj", flow.Src.Pod);
            Assert.Equal(45084, flow.Src.Port);
            Assert.Equal(FlowDirection.Ingress, flow.Direction);
        }

        [Fact]
        public void Both_key_orders_read_the_same()
        {
            // Line 1 (older logger) and line 3 (newer) describe the same flow; only key order and the policy name differ.
            var flows = ParseSamples().Flows;
            var older = RecordJson.Of(flows.Single(f => f.Source.Line == 1), withSource: false);
            var newer = RecordJson.Of(flows.Single(f => f.Source.Line == 3), withSource: false);
            Assert.Equal(older.Replace("allow-all", "np", StringComparison.Ordinal), newer);
        }

        [Fact]
        public void A_node_peer_is_named_as_a_node_with_no_pod_or_namespace()
        {
            var flows = ParseSamples().Flows;
            foreach (var line in new[] { 4, 5 })
            {
                var dst = flows.Single(f => f.Source.Line == line).Dst;
                Assert.Equal("gke-demo-default-pool-e8df3298-412p", dst.Node);
                Assert.Equal("Node", dst.WorkloadKind);
                Assert.Null(dst.Workload);
                Assert.Null(dst.Pod);
                Assert.Null(dst.Namespace);
                Assert.Equal(IPAddress.Parse("10.128.0.9"), dst.IP);
                Assert.Equal(22, dst.Port);
            }
            Assert.Equal(ReportedVerdict.Denied, flows.Single(f => f.Source.Line == 5).Reported.Verdict);
            Assert.Equal("2020-06-13T21:32:00.000000001Z", flows.Single(f => f.Source.Line == 5).Time.ToString());
        }

        [Fact]
        public void An_uncorrelated_allow_is_allowed_with_no_policy()
        {
            var flow = ParseSamples().Flows.Single(f => f.Source.Line == 6);
            Assert.Equal(ReportedVerdict.Allowed, flow.Reported.Verdict);
            Assert.Empty(flow.Reported.Policies);
            Assert.Null(flow.Reported.Hits);
        }

        [Fact]
        public void An_egress_FQDN_policy_allow_to_a_non_pod_instance_keeps_the_kind()
        {
            var flow = ParseSamples().Flows.Single(f => f.Source.Line == 7);
            Assert.Equal(FlowDirection.Egress, flow.Direction);
            Assert.Equal(Protocol.Udp, flow.Protocol);
            Assert.Equal(("client-allow", "Deployment"), (flow.Src.Workload, flow.Src.WorkloadKind));
            Assert.Equal(IPAddress.Parse("169.254.169.254"), flow.Dst.IP);
            Assert.Equal(53, flow.Dst.Port);
            Assert.Equal(FlowEndpoint.Empty with { IP = flow.Dst.IP, Port = 53 }, flow.Dst);
            Assert.Equal(["default/client-allow"], flow.Reported.Policies);
            var hit = Assert.Single(flow.Reported.Hits!);
            Assert.Equal(("FQDNNetworkPolicy", "egress", "allow"), (hit.Kind, hit.Direction, hit.Action));
        }

        [Fact]
        public void The_node_option_names_the_source_when_lines_do_not()
        {
            var flows = ParseSamples(new FormatOptions { Node = "gke-demo-default-pool-e8df3298-abcd" }).Flows;
            Assert.All(flows, f => Assert.Equal("gke-demo-default-pool-e8df3298-abcd", f.Source.Node));
        }

        [Fact]
        public void Detection_claims_no_other_sample_file()
        {
            var gke = new GkeDpv2Format();
            var dir = Path.GetDirectoryName(Fixtures.PathOrSkip("gke-dpv2.jsonl"))!;
            foreach (var file in Directory.GetFiles(dir).Where(f => !f.EndsWith("gke-dpv2.jsonl", StringComparison.Ordinal) && !f.EndsWith(".md", StringComparison.Ordinal)))
            {
                var sample = File.ReadLines(file).Where(l => l.Trim().Length > 0).Take(FormatRegistry.SampleLines).ToList();
                Assert.True(gke.Detect(sample) == 0, $"gke-dpv2 claims {Path.GetFileName(file)}");
            }
        }

        [Fact]
        public void Every_truncation_is_rejected_and_every_garbled_line_has_exactly_one_outcome()
        {
            var lines = File.ReadAllLines(Fixtures.PathOrSkip("gke-dpv2.jsonl"));
            var parser = new GkeDpv2Format().CreateParser(new FormatOptions());
            var context = new LineContext();
            var truncated = new CountingSink();
            var garbledSink = new CountingSink();
            foreach (var line in lines)
            {
                var bytes = Encoding.UTF8.GetBytes(line);
                for (var length = 0; length < bytes.Length; length++)
                {
                    context.Reset(bytes.AsMemory(0, length), "fuzz", 1, "gke-dpv2", 2020);
                    parser.Parse(context, truncated);
                }
                for (var i = 0; i < bytes.Length; i += 3)
                {
                    var garbled = (byte[])bytes.Clone();
                    garbled[i] ^= 0x5a;
                    var before = garbledSink.Calls;
                    context.Reset(garbled, "fuzz", 1, "gke-dpv2", 2020);
                    parser.Parse(context, garbledSink);
                    Assert.Equal(before + 1, garbledSink.Calls);
                }
            }
            Assert.Equal(lines.Sum(Encoding.UTF8.GetByteCount), truncated.Rejected);
            Assert.Equal(truncated.Rejected, truncated.Calls);
            Assert.True(garbledSink.Rejected > 0 && garbledSink.Emitted > 0);
        }
    }

    public class Given_written_node_records
    {
        // Written from the field list in ../shared/fixtures/flows/gke-dpv2.md: no public sample has IPv6, ICMP, an
        // aggregated deny (count > 1), node_name, or a cluster-wide policy.
        private const string AggregatedIpv6Deny = """
            {"connection":{"src_ip":"fd00:10:84:1::8","dest_ip":"2001:db8::5","src_port":40000,"dest_port":443,"protocol":"tcp","direction":"egress"},"disposition":"deny","src":{"pod_name":"web-0","workload_kind":"StatefulSet","workload_name":"web","pod_namespace":"shop","namespace":"shop"},"dest":{"instance":"2001:db8::5"},"count":4,"node_name":"gke-c-pool-1-aaaa","timestamp":"2026-01-02T03:04:05.123Z"}
            """;

        [Fact]
        public void An_aggregated_IPv6_egress_deny_keeps_count_node_and_millisecond_precision()
        {
            var flow = Assert.Single(Harness.ParseText(AggregatedIpv6Deny).Flows);
            Assert.Equal(IPAddress.Parse("fd00:10:84:1::8"), flow.Src.IP);
            Assert.Equal(IPAddress.Parse("2001:db8::5"), flow.Dst.IP);
            Assert.Equal(443, flow.Dst.Port);
            Assert.Equal(("web", "StatefulSet", "shop"), (flow.Src.Workload, flow.Src.WorkloadKind, flow.Src.Namespace));
            Assert.Equal(FlowDirection.Egress, flow.Direction);
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
            Assert.Empty(flow.Reported.Policies);
            Assert.Equal(4, flow.Count);
            Assert.Null(flow.WindowStart);
            Assert.Equal("gke-c-pool-1-aaaa", flow.Source.Node);
            Assert.Equal("2026-01-02T03:04:05.123Z", flow.Time.ToString());
        }

        [Fact]
        public void The_line_node_wins_over_the_node_option()
        {
            var flow = Assert.Single(Harness.ParseText(AggregatedIpv6Deny, options: new FormatOptions { Node = "other" }).Flows);
            Assert.Equal("gke-c-pool-1-aaaa", flow.Source.Node);
        }

        [Theory]
        [InlineData("10.0.0.1", "10.0.0.2", "icmp", Protocol.IcmpV4)]
        [InlineData("fd00::1", "fd00::2", "icmp", Protocol.IcmpV6)]
        [InlineData("fd00::1", "fd00::2", "icmpv6", Protocol.IcmpV6)]
        [InlineData("10.0.0.1", "10.0.0.2", "sctp", Protocol.Sctp)]
        [InlineData("10.0.0.1", "10.0.0.2", "UDP", Protocol.Udp)]
        public void ICMP_takes_its_family_from_the_address_and_portless_records_have_no_ports(string src, string dst, string protocol, Protocol expected)
        {
            var line = $$"""{"connection":{"src_ip":"{{src}}","dest_ip":"{{dst}}","protocol":"{{protocol}}","direction":"ingress"},"disposition":"allow","policies":[{"name":"allow-ping","namespace":"a","kind":"NetworkPolicy"}],"count":1,"timestamp":"2026-01-02T03:04:05Z"}""";
            var flow = Assert.Single(Harness.ParseText(line, format: "gke-dpv2").Flows);
            Assert.Equal(expected, flow.Protocol);
            Assert.Null(flow.Src.Port);
            Assert.Null(flow.Dst.Port);
            Assert.Null(flow.Icmp);
            Assert.Null(flow.Src.Pod);
            Assert.Equal(0, flow.Time.FractionDigits);
        }

        [Fact]
        public void A_cluster_wide_policy_is_named_without_a_namespace()
        {
            const string line = """{"connection":{"src_ip":"10.0.0.1","dest_ip":"10.0.0.2","src_port":1,"dest_port":2,"protocol":"tcp","direction":"ingress"},"disposition":"allow","policies":[{"name":"ccnp","kind":"CiliumClusterwideNetworkPolicy"},{"name":"np","namespace":"b","kind":"NetworkPolicy"}],"count":1,"timestamp":"2026-01-02T03:04:05Z"}""";
            var flow = Assert.Single(Harness.ParseText(line).Flows);
            Assert.Equal(["ccnp", "b/np"], flow.Reported.Policies);
            Assert.Null(flow.Reported.Hits![0].Namespace);
            Assert.Equal("CiliumClusterwideNetworkPolicy", flow.Reported.Hits[0].Kind);
        }

        [Fact]
        public void An_unknown_disposition_is_kept_raw_as_unknown()
        {
            const string line = """{"connection":{"src_ip":"10.0.0.1","dest_ip":"10.0.0.2","protocol":"tcp","direction":"ingress"},"disposition":"redirect","timestamp":"2026-01-02T03:04:05Z"}""";
            var flow = Assert.Single(Harness.ParseText(line, format: "gke-dpv2").Flows);
            Assert.Equal(ReportedVerdict.Unknown, flow.Reported.Verdict);
            Assert.Equal("redirect", flow.Reported.RawVerdict);
            Assert.Null(flow.Count);
        }

        private const string Good = """{"connection":{"src_ip":"10.0.0.1","dest_ip":"10.0.0.2","src_port":1,"dest_port":2,"protocol":"tcp","direction":"ingress"},"disposition":"deny","count":1,"timestamp":"2026-01-02T03:04:05Z"}""";

        [Fact]
        public void The_template_for_bad_lines_is_itself_good()
        {
            Assert.Single(Harness.ParseText(Good, format: "gke-dpv2").Flows);
        }

        [Theory]
        [InlineData("""{"connection":{"src_ip":"10.0.0.1""", "invalid or truncated JSON")]
        [InlineData("""[{"connection":{}}]""", "jq -c '.[]'")]
        [InlineData("\"text\"", "not a JSON object")]
        [InlineData("""{"disposition":"deny","timestamp":"2026-01-02T03:04:05Z"}""", "no connection object")]
        [InlineData("""{"connection":"10.0.0.1","disposition":"deny","timestamp":"2026-01-02T03:04:05Z"}""", "no connection object")]
        public void Lines_that_are_no_record_are_rejected_with_the_reason(string line, string reason)
        {
            var reject = Assert.Single(Harness.ParseText(line, format: "gke-dpv2").Rejects);
            Assert.Contains(reason, reject.Reason, StringComparison.Ordinal);
            Assert.Equal(line, reject.Raw);
        }

        [Theory]
        [InlineData("\"src_ip\":\"10.0.0.1\"", "\"src_ip\":\"10.0.0.300\"", "bad connection.src_ip '10.0.0.300'")]
        [InlineData("\"dest_ip\":\"10.0.0.2\",", "", "connection.dest_ip is missing")]
        [InlineData("\"src_ip\":\"10.0.0.1\"", "\"src_ip\":7", "connection.src_ip is not a string")]
        [InlineData("\"dest_port\":2", "\"dest_port\":70000", "connection.dest_port 70000 is not a port")]
        [InlineData("\"dest_port\":2", "\"dest_port\":\"2\"", "connection.dest_port is not an integer")]
        [InlineData("\"protocol\":\"tcp\"", "\"protocol\":\"gre\"", "unknown connection.protocol 'gre'")]
        [InlineData("\"direction\":\"ingress\"", "\"direction\":\"INGRESS\"", "unknown connection.direction 'INGRESS'")]
        [InlineData("\"disposition\":\"deny\",", "", "disposition is missing")]
        [InlineData(",\"timestamp\":\"2026-01-02T03:04:05Z\"", "", "timestamp is missing")]
        [InlineData("2026-01-02T03:04:05Z", "2026-01-02 03:04:05", "bad timestamp '2026-01-02 03:04:05'")]
        [InlineData("2026-01-02T03:04:05Z", "2026-02-30T03:04:05Z", "bad timestamp")]
        [InlineData("\"count\":1", "\"count\":0", "bad count 0")]
        [InlineData("\"count\":1", "\"count\":1.5", "count is not an integer")]
        [InlineData("\"count\":1", "\"count\":1,\"policies\":{\"name\":\"x\"}", "policies is not an array")]
        [InlineData("\"count\":1", "\"count\":1,\"policies\":[{\"namespace\":\"a\"}]", "policies[0].name is missing")]
        [InlineData("\"count\":1", "\"count\":1,\"policies\":[\"a/np\"]", "policies[0] is not an object")]
        [InlineData("\"count\":1", "\"count\":1,\"src\":[]", "src is not an object")]
        [InlineData("\"count\":1", "\"count\":1,\"dest\":{\"pod_name\":{}}", "dest.pod_name is not a string")]
        public void Broken_records_are_rejected_with_the_field_named(string find, string replace, string reason)
        {
            var line = Good.Replace(find, replace, StringComparison.Ordinal);
            Assert.NotEqual(Good, line);
            var reject = Assert.Single(Harness.ParseText(line, format: "gke-dpv2").Rejects);
            Assert.Contains(reason, reject.Reason, StringComparison.Ordinal);
            Assert.Equal(1, reject.Line);
        }
    }

    public class Given_written_Cloud_Logging_entries
    {
        // No real Cloud Logging entry of the policy-action log is public (../shared SUMMARY, "Gaps"). These are written by
        // hand from Google's documented LogEntry structure (insertId, jsonPayload, resource{type,labels}, timestamp,
        // receiveTimestamp, logName "projects/P/logs/LOG_ID"), with the k8s_node resource labels cluster_name, location,
        // node_name, project_id, and a jsonPayload holding the node log's object.
        private const string Payload = """{"connection":{"src_ip":"10.8.1.4","dest_ip":"10.8.2.9","src_port":51000,"dest_port":6379,"protocol":"tcp","direction":"ingress"},"disposition":"allow","policies":[{"name":"allow-cache","namespace":"shop","kind":"NetworkPolicy"}],"src":{"pod_name":"api-5d9c7-abcde","workload_kind":"ReplicaSet","workload_name":"api-5d9c7","pod_namespace":"shop","namespace":"shop"},"dest":{"pod_name":"redis-0","workload_kind":"StatefulSet","workload_name":"redis","pod_namespace":"shop","namespace":"shop"},"count":1,"timestamp":"2026-03-04T05:06:07.891011121Z"}""";

        private static string Entry(string payload, string logName = "projects/example-project/logs/policy-action") =>
            $$$"""{"insertId":"a1b2c3d4e5f6g7","jsonPayload":{{{payload}}},"resource":{"type":"k8s_node","labels":{"project_id":"example-project","location":"us-central1-c","cluster_name":"demo","node_name":"gke-demo-default-pool-1a2b3c4d-wxyz"}},"timestamp":"2026-03-04T05:06:07.891011121Z","logName":"{{{logName}}}","receiveTimestamp":"2026-03-04T05:06:09.004455667Z"}""";

        [Fact]
        public void An_entry_is_detected_and_reads_as_its_payload_would_on_the_node()
        {
            var wrapped = Assert.Single(Harness.ParseText(Entry(Payload)).Flows);
            var bare = Assert.Single(Harness.ParseText(Payload).Flows);
            Assert.Equal("gke-dpv2", wrapped.Source.Format);
            Assert.Equal(RecordJson.Of(bare, withSource: false), RecordJson.Of(wrapped, withSource: false));
            Assert.Equal(["shop/allow-cache"], wrapped.Reported.Policies);
            Assert.Equal(("redis", "StatefulSet"), (wrapped.Dst.Workload, wrapped.Dst.WorkloadKind));
        }

        [Fact]
        public void The_resource_node_names_the_source_unless_the_payload_does()
        {
            Assert.Equal("gke-demo-default-pool-1a2b3c4d-wxyz", Assert.Single(Harness.ParseText(Entry(Payload)).Flows).Source.Node);
            var withNode = Payload.Replace("\"count\":1", "\"count\":1,\"node_name\":\"payload-node\"", StringComparison.Ordinal);
            Assert.Equal("payload-node", Assert.Single(Harness.ParseText(Entry(withNode)).Flows).Source.Node);
        }

        [Fact]
        public void A_payload_without_its_own_timestamp_takes_the_entry_timestamp()
        {
            // The logging agent may lift a payload's time into LogEntry.timestamp; the entry then carries it.
            var payload = Payload.Replace(",\"timestamp\":\"2026-03-04T05:06:07.891011121Z\"", "", StringComparison.Ordinal);
            Assert.NotEqual(Payload, payload);
            var flow = Assert.Single(Harness.ParseText(Entry(payload)).Flows);
            Assert.Equal("2026-03-04T05:06:07.891011121Z", flow.Time.ToString());
        }

        [Fact]
        public void Entries_of_other_logs_are_skipped_not_rejected()
        {
            var text = Entry(Payload) + "\n" + Entry("""{"message":"hello"}""", "projects/example-project/logs/kubelet") + "\n";
            var outcome = Harness.ParseText(text);
            var gke = outcome.Summary.Formats["gke-dpv2"];
            Assert.Equal(1, gke.Flows);
            Assert.Equal(new Dictionary<string, long> { ["other Cloud Logging log"] = 1 }, gke.Skipped);
            Assert.Empty(outcome.Rejects);
        }

        [Fact]
        public void A_policy_action_entry_without_a_jsonPayload_is_rejected()
        {
            const string line = """{"insertId":"x","textPayload":"{\"connection\":{}}","logName":"projects/p/logs/policy-action","timestamp":"2026-03-04T05:06:07Z"}""";
            var reject = Assert.Single(Harness.ParseText(line, format: "gke-dpv2").Rejects);
            Assert.Contains("without a jsonPayload object", reject.Reason, StringComparison.Ordinal);
        }

        [Fact]
        public void A_broken_payload_names_the_field_under_jsonPayload()
        {
            var reject = Assert.Single(Harness.ParseText(Entry(Payload.Replace("10.8.1.4", "ten", StringComparison.Ordinal))).Rejects);
            Assert.Equal("bad jsonPayload.connection.src_ip 'ten'", reject.Reason);
        }
    }

    public class Given_other_formats
    {
        // A GCP VPC firewall rules log entry shares "connection" and "disposition" but is another product's log
        // (written from the documented firewall log format: numeric protocol, ALLOWED/DENIED).
        private const string VpcFirewall = """{"insertId":"f1","jsonPayload":{"connection":{"src_ip":"10.128.0.2","dest_ip":"10.128.0.3","src_port":33000,"dest_port":22,"protocol":6},"disposition":"ALLOWED","rule_details":{"reference":"network:default/firewall:allow-ssh","direction":"INGRESS"}},"logName":"projects/p/logs/compute.googleapis.com%2Ffirewall","resource":{"type":"gce_subnetwork","labels":{}},"timestamp":"2026-03-04T05:06:07.1Z"}""";

        [Theory]
        [InlineData(VpcFirewall)]
        [InlineData("""{"flow":{"time":"2026-01-02T03:04:05Z","verdict":"FORWARDED"},"node_name":"n"}""")]
        [InlineData("""{"connection":{"src_ip":"10.0.0.1"},"disposition":"ALLOWED"}""")]
        [InlineData("2024/01/02 03:04:05.000000 AntreaPolicyIngressRule AntreaNetworkPolicy:default/np Allow 14000 10.0.0.1 12345 10.0.0.2 80 TCP 60")]
        [InlineData("{")]
        [InlineData("[1,2]")]
        [InlineData("null")]
        public void Detection_returns_zero(string line)
        {
            Assert.Equal(0, new GkeDpv2Format().Detect([line]));
        }

        [Fact]
        public void Detection_is_confident_on_our_lines()
        {
            const string line = """{"connection":{"src_ip":"10.0.0.1","dest_ip":"10.0.0.2"},"disposition":"allow","timestamp":"2026-01-02T03:04:05Z"}""";
            Assert.True(new GkeDpv2Format().Detect([line]) >= 75);
            Assert.Equal(0, new GkeDpv2Format().Detect([]));
        }
    }

    private sealed class CountingSink : RecordSink
    {
        public int Emitted { get; private set; }
        public int Skipped { get; private set; }
        public int Rejected { get; private set; }
        public int Calls => Emitted + Skipped + Rejected;

        public override void Emit(NormalizedRecord record) => Emitted++;
        public override void Skip(string category) => Skipped++;
        public override void Reject(string reason) => Rejected++;
    }
}
