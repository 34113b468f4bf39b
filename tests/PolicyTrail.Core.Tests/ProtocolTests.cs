namespace PolicyTrail.Core.Tests;

public class ProtocolTests
{
    [Theory]
    [InlineData("tcp", Protocol.Tcp)]
    [InlineData("UDP", Protocol.Udp)]
    [InlineData("SCTP", Protocol.Sctp)]
    [InlineData("icmp", Protocol.IcmpV4)]
    [InlineData("ICMPv6", Protocol.IcmpV6)]
    public void Parses_names_case_insensitively(string text, Protocol expected)
    {
        Assert.True(ProtocolNames.TryParse(text, out var protocol));
        Assert.Equal(expected, protocol);
    }

    [Theory]
    [InlineData("")]
    [InlineData("HTTP")]
    [InlineData(null)]
    public void Rejects_other_names(string? text) => Assert.False(ProtocolNames.TryParse(text, out _));

    [Fact]
    public void Round_trips_every_protocol()
    {
        foreach (var protocol in Enum.GetValues<Protocol>().Where(p => p != Protocol.Unknown))
        {
            Assert.True(ProtocolNames.TryParse(protocol.ToName(), out var parsed));
            Assert.Equal(protocol, parsed);
        }
    }
}
