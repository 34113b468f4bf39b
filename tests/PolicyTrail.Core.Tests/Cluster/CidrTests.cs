using System.Net;
using PolicyTrail.Core.Cluster;

namespace PolicyTrail.Core.Tests.Cluster;

public class CidrTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.255.1.2", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("10.244.1.11/4", "0.1.2.3", true)]
    [InlineData("10.244.1.11/4", "15.255.255.255", true)]
    [InlineData("10.244.1.11/4", "16.0.0.0", false)]
    [InlineData("0.0.0.0/0", "8.8.8.8", true)]
    [InlineData("0.0.0.0/0", "2001:db8::1", false)]
    [InlineData("2001:db8::/32", "2001:db8:ffff::1", true)]
    [InlineData("2001:db8::/32", "10.0.0.1", false)]
    [InlineData("192.168.1.7/32", "192.168.1.7", true)]
    [InlineData("192.168.1.7/32", "192.168.1.8", false)]
    public void Parses_and_masks_host_bits(string cidr, string address, bool contains)
    {
        Assert.True(Cidr.TryParse(cidr, out var network, out _));
        Assert.Equal(contains, network.Contains(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("10.0.0.0", "missing /prefix")]
    [InlineData("10.0.0.0/33", "prefix must be 0..32")]
    [InlineData("2001:db8::/129", "prefix must be 0..128")]
    [InlineData("10.0.0.300/8", "bad address")]
    [InlineData("10.0.0.0/-1", "prefix")]
    public void Rejects_bad_input_with_a_reason(string text, string reason)
    {
        Assert.False(Cidr.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
