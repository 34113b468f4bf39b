using System.Net;
using System.Net.Sockets;
using System.Text;
using PolicyTrail.Export.Delivery;
using PolicyTrail.Export.Mapping;
using PolicyTrail.Export.Tests.Support;

namespace PolicyTrail.Export.Tests.Delivery;

/// <summary>Delivery to real listeners on 127.0.0.1: UDP datagrams, TCP octet counting (RFC 6587) and lines, refusals.</summary>
public sealed class SinkTests
{
    private static readonly long[] Indexes = [Entries.Snapshot, Entries.PolicyChange, Entries.Allowed, Entries.Denied, Entries.Gap];

    private static byte[][] Records(string format)
    {
        var mapper = ExportFormats.Create(format, Entries.Options)!;
        return Indexes.Select(i =>
        {
            var output = new System.Buffers.ArrayBufferWriter<byte>();
            mapper.Write(Entries.Entry(i), output);
            return output.WrittenSpan.ToArray();
        }).ToArray();
    }

    [Fact]
    public async Task Udp_sends_one_datagram_per_record()
    {
        using var listener = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)listener.Client.LocalEndPoint!).Port;
        var records = Records("syslog");

        using (var sink = Destination.Open($"udp://127.0.0.1:{port}", octetCountingOverTcp: true))
        {
            for (var i = 0; i < records.Length; i++)
            {
                sink.Send(records[i], Indexes[i]);
            }
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        foreach (var expected in records)
        {
            var datagram = await listener.ReceiveAsync(timeout.Token);
            Assert.Equal(expected, datagram.Buffer);
        }
    }

    [Theory]
    [InlineData("syslog", true)]
    [InlineData("ocsf", false)]
    [InlineData("cef", false)]
    public async Task Tcp_frames_syslog_by_octet_counting_and_the_others_by_line(string format, bool octetCounting)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var records = Records(format);
            var received = Task.Run(async () =>
            {
                using var client = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
                using var stream = new MemoryStream();
                await client.GetStream().CopyToAsync(stream, TestContext.Current.CancellationToken);
                return stream.ToArray();
            }, TestContext.Current.CancellationToken);
            var mapper = ExportFormats.Create(format, Entries.Options)!;
            Assert.Equal(octetCounting, mapper.OctetCountingOverTcp);

            using (var sink = Destination.Open($"tcp://127.0.0.1:{port}", mapper.OctetCountingOverTcp))
            {
                for (var i = 0; i < records.Length; i++)
                {
                    sink.Send(records[i], Indexes[i]);
                }
            }

            var bytes = await received.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            var frames = octetCounting ? OctetCounted(bytes) : Lines(bytes);
            Assert.Equal(records.Length, frames.Count);
            for (var i = 0; i < records.Length; i++)
            {
                Assert.Equal(records[i], frames[i]);
            }
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>RFC 6587 §3.4.1: MSG-LEN SP SYSLOG-MSG, repeated; MSG-LEN is the octet count, NONZERO-DIGIT *DIGIT.</summary>
    private static List<byte[]> OctetCounted(byte[] stream)
    {
        var frames = new List<byte[]>();
        var i = 0;
        while (i < stream.Length)
        {
            var space = Array.IndexOf(stream, (byte)' ', i);
            var digits = Encoding.ASCII.GetString(stream, i, space - i);
            Assert.Matches("^[1-9][0-9]*$", digits);
            var length = int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
            frames.Add(stream[(space + 1)..(space + 1 + length)]);
            i = space + 1 + length;
        }
        return frames;
    }

    private static List<byte[]> Lines(byte[] stream)
    {
        Assert.Equal((byte)'\n', stream[^1]);
        var frames = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < stream.Length; i++)
        {
            if (stream[i] == '\n')
            {
                frames.Add(stream[start..i]);
                start = i + 1;
            }
        }
        return frames;
    }

    [Fact]
    public void A_refused_tcp_connection_is_one_clear_line()
    {
        // A port that was just free: bind, read it, close.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var e = Assert.Throws<DeliveryException>(() => Destination.Open($"tcp://127.0.0.1:{port}", true));

        Assert.Equal($"tcp://127.0.0.1:{port}: connection refused", e.Message);
    }

    [Theory]
    [InlineData("http://x:1", "use udp://HOST:PORT or tcp://HOST:PORT")]
    [InlineData("tcp://collector", "give a host and a port")]
    [InlineData("udp://collector:514/path", "give a host and a port")]
    public void Bad_destinations_say_what_is_wrong(string to, string expected)
    {
        Assert.False(Destination.TryParse(to, out _, out _, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Ipv6_literals_parse()
    {
        Assert.True(Destination.TryParse("udp://[::1]:514", out var scheme, out var host, out var port, out _));
        Assert.Equal(("udp", "::1", 514), (scheme, host, port));
    }
}
