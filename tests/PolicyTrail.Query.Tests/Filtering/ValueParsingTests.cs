using System.Net;
using PolicyTrail.Ledger.Store;
using PolicyTrail.Query.Filtering;

namespace PolicyTrail.Query.Tests.Filtering;

public sealed class ValueParsingTests
{
    private static readonly Dictionary<string, string> Web = new() { ["app"] = "web", ["tier"] = "front", ["env"] = "prod" };

    [Theory]
    [InlineData("app=web", true)]
    [InlineData("app==web", true)]
    [InlineData("app = web", true)]
    [InlineData("app=api", false)]
    [InlineData("tier!=db", true)]
    [InlineData("tier!=front", false)]
    [InlineData("missing!=x", true)]
    [InlineData("env in (prod,staging)", true)]
    [InlineData("env in (dev, staging)", false)]
    [InlineData("env notin (dev,staging)", true)]
    [InlineData("missing notin (a)", true)]
    [InlineData("env notin (prod)", false)]
    [InlineData("!x", true)]
    [InlineData("!app", false)]
    [InlineData("app", true)]
    [InlineData("x", false)]
    [InlineData("app=web,tier!=db,env in (prod),!x", true)]
    [InlineData("app=web,x", false)]
    [InlineData("app.kubernetes.io/name", false)]
    [InlineData("app=", false)]
    public void A_label_selector_matches_as_kubectl_reads_it(string selector, bool expected) =>
        Assert.Equal(expected, LabelSelector.Parse(selector).Matches(Web));

    [Theory]
    [InlineData("", "label key expected")]
    [InlineData("app=web,", "label key expected")]
    [InlineData("env in (a,b", "')' expected")]
    [InlineData("env in a", "'(' expected")]
    [InlineData("app>3", "'=', '==', '!=', 'in' or 'notin' expected")]
    [InlineData("-app=web", "is not a label key")]
    [InlineData("app=web!", "unexpected '!'")]
    [InlineData("bad_/x=1", "invalid prefix")]
    [InlineData("app=-web", "not a label value")]
    public void An_invalid_selector_is_one_line_naming_the_selector_and_the_place(string selector, string why)
    {
        var e = Assert.Throws<FilterValueException>(() => LabelSelector.Parse(selector));
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
        Assert.StartsWith($"label selector '{selector}'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.244.1.10", true)]
    [InlineData("10.1.2.3/8", "10.9.9.9", true)]
    [InlineData("10.244.1.10", "10.244.1.10", true)]
    [InlineData("10.244.1.10", "10.244.1.11", false)]
    [InlineData("10.244.1.0/25", "10.244.1.200", false)]
    [InlineData("0.0.0.0/0", "192.0.2.1", true)]
    [InlineData("10.0.0.0/8", "::ffff:10.1.1.1", true)]
    [InlineData("fd00::/8", "fd12::1", true)]
    [InlineData("fd00::/8", "fe80::1", false)]
    [InlineData("2001:db8::1", "2001:db8::1", true)]
    [InlineData("10.0.0.0/8", "fd00::1", false)]
    public void An_address_or_cidr_contains_the_addresses_of_its_family(string prefix, string address, bool expected) =>
        Assert.Equal(expected, IpPrefix.Parse(prefix).Contains(IPAddress.Parse(address)));

    [Theory]
    [InlineData("10")]
    [InlineData("10.1")]
    [InlineData("10.0.0.0/33")]
    [InlineData("fd00::/129")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("web")]
    [InlineData("")]
    [InlineData("300.1.1.1")]
    public void An_invalid_address_or_cidr_is_refused(string text) =>
        Assert.Throws<FilterValueException>(() => IpPrefix.Parse(text));

    [Fact]
    public void Ports_protocols_pods_and_references_parse_or_say_why_not()
    {
        Assert.Equal(new PortRange(443, 443), FlowCriteria.ParsePort("443"));
        Assert.Equal(new PortRange(8000, 8080), FlowCriteria.ParsePort("8000-8080"));
        foreach (var bad in new[] { "0", "65536", "-1", "http", "90-80", "" })
        {
            Assert.Throws<FilterValueException>(() => FlowCriteria.ParsePort(bad));
        }
        Assert.Equal(["TCP"], FlowCriteria.ParseProtocol("tcp"));
        Assert.Equal(["ICMPv6"], FlowCriteria.ParseProtocol("ICMPV6"));
        Assert.Equal(["ICMPv4", "ICMPv6"], FlowCriteria.ParseProtocol("icmp"));
        Assert.Contains("not a protocol", Assert.Throws<FilterValueException>(() => FlowCriteria.ParseProtocol("HTTP")).Message, StringComparison.Ordinal);
        Assert.Equal(new PodPattern("payments", "api-"), PodPattern.Parse("payments/api-"));
        Assert.Equal(new PodPattern(null, "web"), PodPattern.Parse("web"));
        Assert.Equal(new PodPattern("payments", ""), PodPattern.Parse("payments/"));
        Assert.Throws<FilterValueException>(() => PodPattern.Parse("a/b/c"));
        Assert.Throws<FilterValueException>(() => PodPattern.Parse("/web"));
        Assert.Equal("ns/p", FlowCriteria.ParseReference("ns/p", clusterScoped: false));
        Assert.Equal("admin-deny", FlowCriteria.ParseReference("admin-deny", clusterScoped: true));
        Assert.Throws<FilterValueException>(() => FlowCriteria.ParseReference("api", clusterScoped: false));
        Assert.Throws<FilterValueException>(() => FlowCriteria.ParseReference("a/", clusterScoped: true));
    }
}
