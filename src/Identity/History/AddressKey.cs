using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace PolicyTrail.Identity.History;

/// <summary>
/// An IP address as one 128-bit number, the key of every address lookup: IPv6 as is, IPv4 as its IPv4-mapped IPv6
/// form (::ffff:a.b.c.d), so 10.0.0.1 and ::ffff:10.0.0.1 are the same address. Building one allocates nothing.
/// </summary>
public static class AddressKey
{
    private static readonly UInt128 V4Prefix = (UInt128)0xFFFF << 32;

    /// <summary>The key of an address.</summary>
    public static UInt128 Of(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            throw new ArgumentException($"{address}: cannot read the address bytes", nameof(address));
        }
        return Of(bytes[..written]);
    }

    /// <summary>The key of an address given as its 4 (IPv4) or 16 (IPv6) bytes in network order.</summary>
    public static UInt128 Of(ReadOnlySpan<byte> address) => address.Length switch
    {
        4 => V4Prefix | BinaryPrimitives.ReadUInt32BigEndian(address),
        16 => BinaryPrimitives.ReadUInt128BigEndian(address),
        _ => throw new ArgumentException($"an IP address has 4 or 16 bytes, not {address.Length}", nameof(address)),
    };

    /// <summary>The key of an IPv4 address given as a number (10.0.0.1 = 0x0A000001).</summary>
    public static UInt128 OfV4(uint address) => V4Prefix | address;

    /// <summary>The address a key stands for (IPv4 for IPv4-mapped keys).</summary>
    public static IPAddress ToAddress(UInt128 key)
    {
        if (key >> 32 == 0xFFFF)
        {
            Span<byte> v4 = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(v4, (uint)(key & uint.MaxValue));
            return new IPAddress(v4);
        }
        Span<byte> v6 = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(v6, key);
        return new IPAddress(v6);
    }

    /// <summary>Whether the network contains the address the key stands for.</summary>
    internal static bool Contains(IPNetwork network, UInt128 key)
    {
        var prefix = network.PrefixLength + (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 96 : 0);
        if (prefix == 0)
        {
            return true;
        }
        var mask = UInt128.MaxValue << (128 - prefix);
        return (key & mask) == (Of(network.BaseAddress) & mask);
    }
}
