using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PolicyTrail.Export.Delivery;

/// <summary>Where exported records go: a stream (stdout, a file), a UDP or a TCP collector. Dispose flushes.</summary>
internal interface IRecordSink : IDisposable
{
    /// <summary>Sends one record (without framing; the sink frames it).</summary>
    void Send(ReadOnlySpan<byte> record, long index);
}

/// <summary>A record could not be delivered (connection refused, host unknown, datagram too large): one line for users.</summary>
internal sealed class DeliveryException : IOException
{
    public DeliveryException(string message)
        : base(message)
    {
    }

    public DeliveryException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public DeliveryException()
    {
    }
}

/// <summary>Records one per line, LF-terminated (JSON lines, CEF lines, syslog lines).</summary>
internal sealed class StreamSink(Stream stream, bool leaveOpen) : IRecordSink
{
    public void Send(ReadOnlySpan<byte> record, long index)
    {
        stream.Write(record);
        stream.WriteByte((byte)'\n');
    }

    public void Dispose()
    {
        stream.Flush();
        if (!leaveOpen)
        {
            stream.Dispose();
        }
    }
}

/// <summary>One datagram per record (RFC 5426 for syslog; the same for the JSON and CEF formats).</summary>
internal sealed class UdpSink : IRecordSink
{
    /// <summary>The largest UDP payload over IPv4.</summary>
    public const int MaxDatagram = 65_507;

    private readonly Socket _socket;
    private readonly string _target;

    private UdpSink(Socket socket, string target)
    {
        _socket = socket;
        _target = target;
    }

    public static UdpSink Connect(string host, int port)
    {
        var target = $"udp://{host}:{port.ToString(CultureInfo.InvariantCulture)}";
        var address = Destination.Resolve(host, target);
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Connect(new IPEndPoint(address, port));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new DeliveryException($"{target}: {Destination.Describe(e)}", e);
        }
        return new UdpSink(socket, target);
    }

    public void Send(ReadOnlySpan<byte> record, long index)
    {
        if (record.Length > MaxDatagram)
        {
            throw new DeliveryException($"{_target}: entry {index} is {record.Length} bytes, more than a UDP datagram holds ({MaxDatagram}); use --to tcp://");
        }
        try
        {
            _socket.Send(record);
        }
        catch (SocketException e)
        {
            // A connected UDP socket learns of an ICMP port-unreachable on a later send.
            throw new DeliveryException($"{_target}: {Destination.Describe(e)} (at entry {index})", e);
        }
    }

    public void Dispose() => _socket.Dispose();
}

/// <summary>
/// A TCP stream: octet counting ("LEN SP MSG", RFC 6587 §3.4.1) for syslog, one record per LF-terminated line for the
/// other formats.
/// </summary>
internal sealed class TcpSink : IRecordSink
{
    private readonly TcpClient _client;
    private readonly BufferedStream _stream;
    private readonly bool _octetCounting;
    private readonly string _target;

    private TcpSink(TcpClient client, bool octetCounting, string target)
    {
        _client = client;
        _stream = new BufferedStream(client.GetStream(), 1 << 16);
        _octetCounting = octetCounting;
        _target = target;
    }

    public static TcpSink Connect(string host, int port, bool octetCounting)
    {
        var target = $"tcp://{host}:{port.ToString(CultureInfo.InvariantCulture)}";
        var address = Destination.Resolve(host, target);
        var client = new TcpClient(address.AddressFamily) { NoDelay = false };
        try
        {
            client.Connect(new IPEndPoint(address, port));
        }
        catch (SocketException e)
        {
            client.Dispose();
            throw new DeliveryException($"{target}: {Destination.Describe(e)}", e);
        }
        return new TcpSink(client, octetCounting, target);
    }

    public void Send(ReadOnlySpan<byte> record, long index)
    {
        try
        {
            if (_octetCounting)
            {
                Span<byte> length = stackalloc byte[12];
                record.Length.TryFormat(length, out var written, provider: CultureInfo.InvariantCulture);
                _stream.Write(length[..written]);
                _stream.WriteByte((byte)' ');
                _stream.Write(record);
            }
            else
            {
                _stream.Write(record);
                _stream.WriteByte((byte)'\n');
            }
        }
        catch (IOException e) when (e.InnerException is SocketException s)
        {
            throw new DeliveryException($"{_target}: {Destination.Describe(s)} (at entry {index})", e);
        }
    }

    public void Dispose()
    {
        try
        {
            _stream.Flush();
        }
        catch (IOException e) when (e.InnerException is SocketException s)
        {
            throw new DeliveryException($"{_target}: {Destination.Describe(s)} (while sending the last records)", e);
        }
        finally
        {
            _stream.Dispose();
            _client.Dispose();
        }
    }
}

/// <summary>Parses --to udp://HOST:PORT | tcp://HOST:PORT and opens the sink it names.</summary>
internal static class Destination
{
    /// <summary>Opens the sink; throws <see cref="DeliveryException"/> when the collector cannot be reached.</summary>
    public static IRecordSink Open(string to, bool octetCountingOverTcp)
    {
        if (!TryParse(to, out var scheme, out var host, out var port, out var error))
        {
            throw new DeliveryException(error);
        }
        return scheme == "udp" ? UdpSink.Connect(host, port) : TcpSink.Connect(host, port, octetCountingOverTcp);
    }

    /// <summary>Reads "udp://host:port" or "tcp://host:port" (IPv6 literals in brackets); error says what is wrong.</summary>
    public static bool TryParse(string to, out string scheme, out string host, out int port, out string error)
    {
        (scheme, host, port, error) = ("", "", 0, "");
        if (!Uri.TryCreate(to, UriKind.Absolute, out var uri) || uri.Scheme is not ("udp" or "tcp"))
        {
            error = $"--to '{to}': use udp://HOST:PORT or tcp://HOST:PORT";
            return false;
        }
        if (uri.IsDefaultPort || uri.Port is <= 0 or > 65535 || string.IsNullOrEmpty(uri.Host) || uri.AbsolutePath is not ("" or "/"))
        {
            error = $"--to '{to}': give a host and a port, as in {uri.Scheme}://collector.example:514";
            return false;
        }
        (scheme, host, port) = (uri.Scheme, uri.Host.Trim('[', ']'), uri.Port);
        return true;
    }

    internal static IPAddress Resolve(string host, string target)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return literal;
        }
        try
        {
            return Dns.GetHostAddresses(host).OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).First();
        }
        catch (Exception e) when (e is SocketException or InvalidOperationException)
        {
            throw new DeliveryException($"{target}: cannot resolve host '{host}'", e);
        }
    }

    internal static string Describe(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "host unreachable",
        SocketError.TimedOut => "connection timed out",
        SocketError.ConnectionReset => "connection reset by the collector",
        SocketError.Shutdown or SocketError.ConnectionAborted => "connection closed by the collector",
        _ => e.Message,
    };
}
