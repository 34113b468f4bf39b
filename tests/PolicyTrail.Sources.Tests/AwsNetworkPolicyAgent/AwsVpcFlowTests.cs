using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.AwsNetworkPolicyAgent;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Tests.Support;

namespace PolicyTrail.Sources.Tests.AwsNetworkPolicyAgent;

public class AwsVpcFlowTests
{
    public class Given_the_real_samples
    {
        [Fact]
        public void Every_record_is_read_two_flows_and_one_gap()
        {
            var outcome = Harness.ParseFiles([Fixtures.PathOrSkip("aws-vpc-flow-logs.log")]);
            var vpc = outcome.Summary.Formats["aws-vpc-flow"];
            Assert.Equal(3, vpc.Read);
            Assert.Equal(2, vpc.Flows);
            Assert.Equal(1, vpc.Gaps);
            Assert.Empty(outcome.Rejects);
        }

        [Fact]
        public void An_accepted_record_keeps_its_window_packets_and_bytes()
        {
            var flow = Harness.ParseFiles([Fixtures.PathOrSkip("aws-vpc-flow-logs.log")]).Flows.Single(f => f.Source.Line == 1);
            Assert.Equal((IPAddress.Parse("172.31.16.139"), 20641), (flow.Src.IP, flow.Src.Port));
            Assert.Equal((IPAddress.Parse("172.31.16.21"), 22), (flow.Dst.IP, flow.Dst.Port));
            Assert.Equal(Protocol.Tcp, flow.Protocol);
            Assert.Equal(ReportedVerdict.Allowed, flow.Reported.Verdict);
            Assert.Equal("ACCEPT", flow.Reported.RawVerdict);
            Assert.Empty(flow.Reported.Policies);
            Assert.Equal(20, flow.Packets);
            Assert.Equal(4249, flow.Bytes);
            Assert.Equal("2014-12-14T04:06:50Z", flow.Time.ToString());
            Assert.Equal("2014-12-14T04:06:50Z", flow.WindowStart.ToString());
            Assert.Equal("2014-12-14T04:07:50Z", flow.WindowEnd.ToString());
            Assert.Null(flow.Count);
            Assert.Equal(FlowDirection.Unknown, flow.Direction);
        }

        [Fact]
        public void A_rejected_record_is_denied()
        {
            var flow = Harness.ParseFiles([Fixtures.PathOrSkip("aws-vpc-flow-logs.log")]).Flows.Single(f => f.Source.Line == 2);
            Assert.Equal(ReportedVerdict.Denied, flow.Reported.Verdict);
            Assert.Equal("REJECT", flow.Reported.RawVerdict);
            Assert.Equal(3389, flow.Dst.Port);
        }

        [Fact]
        public void NODATA_becomes_a_gap_over_its_window()
        {
            var gap = Assert.Single(Harness.ParseFiles([Fixtures.PathOrSkip("aws-vpc-flow-logs.log")]).Gaps);
            Assert.Equal("2015-05-10T18:01:16Z", gap.Time.ToString());
            Assert.Equal("2015-05-10T18:02:14Z", gap.End.ToString());
            Assert.Contains("NODATA", gap.Reason, StringComparison.Ordinal);
            Assert.Contains("eni-1235b8ca123456789", gap.Reason, StringComparison.Ordinal);
            Assert.Null(gap.Lost);
        }

        [Fact]
        public void Detection_picks_aws_vpc_flow_and_no_other_sample_scores()
        {
            var path = Fixtures.PathOrSkip("aws-vpc-flow-logs.log");
            Assert.Equal("aws-vpc-flow", FormatRegistry.Detect(File.ReadAllLines(path))?.Name);
            var format = new AwsVpcFlowFormat();
            foreach (var file in Directory.GetFiles(Path.GetDirectoryName(path)!).Where(f => !f.EndsWith(".md", StringComparison.Ordinal) && f != path))
            {
                var sample = File.ReadLines(file).Where(l => l.Trim().Length > 0).Take(FormatRegistry.SampleLines).ToList();
                Assert.True(format.Detect(sample) == 0, $"{Path.GetFileName(file)} scored {format.Detect(sample)}");
            }
        }
    }

    /// <summary>Written from the AWS VPC Flow Logs field reference (no public sample of these cases is in ../shared); accounts and addresses are invented.</summary>
    public class Given_written_records
    {
        [Fact]
        public void SKIPDATA_is_a_gap()
        {
            var gap = Assert.Single(Harness.ParseText("2 123456789010 eni-0a1b2c3d4e5f67890 - - - - - - - 1700000000 1700000600 - SKIPDATA", format: "aws-vpc-flow").Gaps);
            Assert.Contains("SKIPDATA", gap.Reason, StringComparison.Ordinal);
            Assert.Equal("2023-11-14T22:13:20Z", gap.Time.ToString());
        }

        [Fact]
        public void A_header_gives_a_custom_field_order_with_packet_addresses_direction_and_IPv6()
        {
            var outcome = Harness.ParseText(
                """
                version interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr srcport dstport protocol packets bytes start end action log-status flow-direction reject-reason
                5 eni-0a1b2c3d4e5f67890 10.0.1.10 10.0.2.20 10.0.1.99 10.0.2.20 443 51515 6 3 180 1700000000 1700000060 REJECT OK ingress BPA
                5 eni-0a1b2c3d4e5f67890 2600:1f14:1::5 2600:1f14:2::6 - - 0 0 58 1 64 1700000000 1700000060 ACCEPT OK egress -
                """, format: "aws-vpc-flow", options: new FormatOptions { Node = "ip-10-0-1-10.ec2.internal" });
            Assert.Empty(outcome.Rejects);
            Assert.Equal(1, outcome.Summary.Formats["aws-vpc-flow"].Skipped["header"]);
            var rejected = outcome.Flows[0];
            Assert.Equal(IPAddress.Parse("10.0.1.99"), rejected.Src.IP);
            Assert.Equal(FlowDirection.Ingress, rejected.Direction);
            Assert.Equal("BPA", rejected.Reported.DropReason);
            Assert.Equal(ReportedVerdict.Denied, rejected.Reported.Verdict);
            Assert.Equal("ip-10-0-1-10.ec2.internal", rejected.Source.Node);
            var icmp6 = outcome.Flows[1];
            Assert.Equal(Protocol.IcmpV6, icmp6.Protocol);
            Assert.Equal(IPAddress.Parse("2600:1f14:1::5"), icmp6.Src.IP);
            Assert.Null(icmp6.Src.Port);
            Assert.Equal(FlowDirection.Egress, icmp6.Direction);
            Assert.Null(icmp6.Reported.DropReason);
        }

        [Theory]
        [InlineData("3 123456789010 eni-1 vpc-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1700000000 1700000060 ACCEPT OK", "15 fields: not the version 2 default format")]
        [InlineData("2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1700000000 1700000060 ALLOW OK", "unknown or missing action 'ALLOW'")]
        [InlineData("2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1700000000 1700000060 ACCEPT WEIRD", "unknown log-status 'WEIRD'")]
        [InlineData("2 123456789010 eni-1 10.0.0.999 10.0.0.2 1 2 6 1 1 1700000000 1700000060 ACCEPT OK", "bad srcaddr '10.0.0.999'")]
        [InlineData("2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 99999 6 1 1 1700000000 1700000060 ACCEPT OK", "bad port")]
        [InlineData("2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 tcp 1 1 1700000000 1700000060 ACCEPT OK", "bad protocol 'tcp'")]
        [InlineData("2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 x 1 1700000000 1700000060 ACCEPT OK", "bad packets 'x'")]
        [InlineData("2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 - 1700000060 ACCEPT OK", "bad or missing start")]
        public void Bad_lines_are_rejected_with_the_reason(string line, string reason)
        {
            var outcome = Harness.ParseText(line, format: "aws-vpc-flow");
            var reject = Assert.Single(outcome.Rejects);
            Assert.Contains(reason, reject.Reason, StringComparison.Ordinal);
            Assert.Equal(line, reject.Raw);
        }

        [Fact]
        public void A_line_wider_than_the_header_is_rejected_naming_both_counts()
        {
            var outcome = Harness.ParseText("version srcaddr dstaddr start end action log-status\n2 10.0.0.1 10.0.0.2 1700000000 1700000060 ACCEPT OK extra", format: "aws-vpc-flow");
            Assert.Contains("8 fields where the header names 7", Assert.Single(outcome.Rejects).Reason, StringComparison.Ordinal);
        }
    }
}
