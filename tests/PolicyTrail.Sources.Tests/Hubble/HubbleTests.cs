using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Tests.Support;

namespace PolicyTrail.Sources.Tests.Hubble;

public class HubbleTests
{
    public class Given_the_real_samples
    {
        [Fact]
        public void Every_line_is_read_with_nothing_rejected()
        {
            var outcome = Harness.ParseFiles([Fixtures.PathOrSkip("hubble.jsonl")]);
            var hubble = outcome.Summary.Formats["hubble"];
            Assert.Equal(40, hubble.Read);
            Assert.Empty(outcome.Rejects);
            Assert.Equal(35, hubble.Flows);
            Assert.Equal(3, hubble.Gaps);
            Assert.Equal(new Dictionary<string, long> { ["agent_event"] = 1, ["debug_event"] = 1 }, hubble.Skipped);
        }

        [Fact]
        public void A_denied_flow_keeps_policy_names_identity_workload_and_the_drop_reason()
        {
            var outcome = Harness.ParseFiles([Fixtures.PathOrSkip("hubble.jsonl")]);
            var flow = outcome.Flows.Single(f => f.Source.Line == 40);
            Assert.Equal("2026-07-31T10:41:02.202450754Z", flow.Time.ToString());
            Assert.Equal(IPAddress.Parse("10.0.1.235"), flow.Src.IP);
            Assert.Equal(60524, flow.Src.Port);
            Assert.Equal("net-lab", flow.Src.Namespace);
            Assert.Equal("traffic-generator-9b649846d-bxqfc", flow.Src.Pod);
            Assert.Equal(("traffic-generator", "Deployment"), (flow.Src.Workload, flow.Src.WorkloadKind));
            Assert.Equal(24753, flow.Src.Identity);
            Assert.Equal("traffic-generator", flow.Src.Labels!["app"]);
            Assert.Equal(80, flow.Dst.Port);
            Assert.Equal(Protocol.Tcp, flow.Protocol);
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
            Assert.Equal("DROPPED", flow.Reported.RawVerdict);
            Assert.Equal(["net-lab/deny-tg-to-echo"], flow.Reported.Policies);
            var hit = Assert.Single(flow.Reported.Hits!);
            Assert.Equal(("egress", "deny"), (hit.Direction, hit.Action));
            Assert.Equal("64", flow.Source.Sha256!.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        [Fact]
        public void Lost_events_become_gaps_with_their_count()
        {
            var outcome = Harness.ParseFiles([Fixtures.PathOrSkip("hubble.jsonl")]);
            var gap = outcome.Gaps.Single(g => g.Source.Line == 39);
            Assert.Equal(1, gap.Lost);
            Assert.Contains("HUBBLE_RING_BUFFER", gap.Reason, StringComparison.Ordinal);
        }

        [Fact]
        public void The_legacy_bare_flow_and_the_wrapped_flow_read_the_same()
        {
            var outcome = Harness.ParseFiles([Fixtures.PathOrSkip("hubble.jsonl")]);
            var wrapped = outcome.Flows.Single(f => f.Source.Line == 37);
            var bare = outcome.Flows.Single(f => f.Source.Line == 38);
            Assert.Equal(RecordJson.Of(wrapped, withSource: false), RecordJson.Of(bare, withSource: false));
        }

        [Fact]
        public void ICMPv6_keeps_type_and_unknown_endpoints_stay_null()
        {
            var flow = Harness.ParseFiles([Fixtures.PathOrSkip("hubble.jsonl")]).Flows.Single(f => f.Source.Line == 1);
            Assert.Equal(Protocol.IcmpV6, flow.Protocol);
            Assert.Equal((133, 0), flow.Icmp);
            Assert.Null(flow.Src.Pod);
            Assert.Null(flow.Src.Port);
            Assert.Equal("kind-kind/kind-worker", flow.Source.Node);
            Assert.Equal("INVALID_SOURCE_IP", flow.Reported.DropReason);
        }
    }

    public class Given_written_records
    {
        // Written from flow.proto v1.19.4: no public sample has ingress_allowed_by or SCTP (../shared SUMMARY, "Gaps").
        private const string AllowedSctp = """
            {"flow":{"time":"2026-01-02T03:04:05.000000001Z","verdict":"FORWARDED","IP":{"source":"10.0.0.1","destination":"fd00::2","ipVersion":"IPv6"},"l4":{"SCTP":{"source_port":4000,"destination_port":5000}},"source":{"namespace":"a","pod_name":"p"},"destination":{"namespace":"b","pod_name":"q","identity":"70000"},"traffic_direction":"INGRESS","is_reply":false,"ingress_allowed_by":[{"name":"allow-sctp","namespace":"b","kind":"NetworkPolicy","revision":"12"}],"event_type":{"type":5},"aggregate":{"ingress_flow_count":"3","egress_flow_count":2}},"node_name":"n1","time":"2026-01-02T03:04:05.000000001Z"}
            """;

        [Fact]
        public void Allowed_by_attribution_SCTP_direction_and_aggregate_counts_are_read()
        {
            var flow = Assert.Single(Harness.ParseText(AllowedSctp).Flows);
            Assert.Equal(Protocol.Sctp, flow.Protocol);
            Assert.Equal(FlowDirection.Ingress, flow.Direction);
            Assert.False(flow.IsReply);
            Assert.Equal(ReportedVerdict.Allowed, flow.Reported.Verdict);
            Assert.Equal(["b/allow-sctp"], flow.Reported.Policies);
            Assert.Equal("12", flow.Reported.Hits![0].Revision);
            Assert.Equal(70000, flow.Dst.Identity);
            Assert.Equal(5, flow.Count);
            Assert.Equal("n1", flow.Source.Node);
        }

        [Theory]
        [InlineData("10.1.17.4")]
        [InlineData("0.0.0.0")]
        [InlineData("255.255.255.255")]
        [InlineData("192.168.100.200")]
        [InlineData("010.1.1.1")]
        [InlineData("10.01.1.1")]
        [InlineData("1.2.3")]
        [InlineData("1.2.3.4.5")]
        [InlineData("256.1.1.1")]
        [InlineData("1.2.3.1000")]
        [InlineData("0x0a.1.1.1")]
        [InlineData("1..2.3")]
        [InlineData("1.2.3.4 ")]
        [InlineData("167772161")]
        [InlineData("::ffff:10.0.0.1")]
        [InlineData("fd00::2")]
        public void An_address_reads_as_IPAddress_TryParse_reads_it(string address)
        {
            // IPv4 in its canonical form is read without IPAddress.TryParse; every other spelling goes through it.
            var line = """{"flow":{"time":"2026-01-02T03:04:05Z","IP":{"source":"ADDRESS","destination":"10.0.0.2"}}}""".Replace("ADDRESS", address, StringComparison.Ordinal);
            var outcome = Harness.ParseText(line, format: "hubble");
            if (IPAddress.TryParse(address, out var expected))
            {
                Assert.Equal(expected, Assert.Single(outcome.Flows).Src.IP);
            }
            else
            {
                Assert.Equal($"bad IP.source '{address}'", Assert.Single(outcome.Rejects).Reason);
            }
        }

        [Theory]
        [InlineData("""{"flow":{"time":"2026-01-02T03:04:05Z","verdict":"FORWARDED"}""", "truncated")]
        [InlineData("""{"flow":{"verdict":"FORWARDED"}}""", "flow has no time")]
        [InlineData("""{"flow":{"time":"yesterday","verdict":"FORWARDED"}}""", "bad time")]
        [InlineData("""{"flow":{"time":"2026-01-02T03:04:05Z","IP":{"source":"10.0.0.300"}}}""", "bad IP.source")]
        [InlineData("""{"flow":"nope"}""", "\"flow\" is not an object")]
        [InlineData("""{"something":"else"}""", "no flow, lost_events")]
        [InlineData("[1,2,3]", "not a JSON object")]
        public void Bad_lines_are_rejected_with_the_reason(string line, string reason)
        {
            var outcome = Harness.ParseText(line, format: "hubble");
            var reject = Assert.Single(outcome.Rejects);
            Assert.Contains(reason, reject.Reason, StringComparison.Ordinal);
            Assert.Equal(1, reject.Line);
            Assert.Equal(line, reject.Raw);
        }
    }
}
