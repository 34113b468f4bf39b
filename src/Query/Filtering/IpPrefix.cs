using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PolicyTrail.Query.Filtering;

/// <summary>An address or CIDR block (IPv4 or IPv6); bits after the prefix length are ignored, as in <c>10.1.2.3/8</c>.</summary>
public sealed class IpPrefix
{
    private readonly byte[] _bytes;

    private IpPrefix(string text, byte[] bytes, int length) => (Text, _bytes, Length) = (text, bytes, length);

    /// <summary>The value as given.</summary>
    public string Text { get; }

    /// <summary>The prefix length in bits (32 or 128 for a single address).</summary>
    public int Length { get; }

    /// <summary>Whether the address lies in this block (IPv4-mapped IPv6 addresses count as IPv4).</summary>
    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        var bytes = address.GetAddressBytes();
        if (bytes.Length != _bytes.Length)
        {
            return false;
        }
        for (var bit = 0; bit < Length; bit += 8)
        {
            var mask = Length - bit >= 8 ? 0xFF : (0xFF << (8 - (Length - bit))) & 0xFF;
            if ((bytes[bit / 8] & mask) != (_bytes[bit / 8] & mask))
            {
                return false;
            }
        }
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    /// <summary>Parses <c>ADDRESS</c> or <c>ADDRESS/LENGTH</c>.</summary>
    /// <exception cref="FilterValueException">Not an address or CIDR block.</exception>
    public static IpPrefix Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        // IPAddress.TryParse also takes "10" or "10.1" (old inet_aton forms): an IPv4 address must have four parts.
        var v4 = addressText.Contains('.', StringComparison.Ordinal) && !addressText.Contains(':', StringComparison.Ordinal);
        if ((v4 && addressText.Split('.').Length != 4) || (!v4 && !addressText.Contains(':', StringComparison.Ordinal))
            || !IPAddress.TryParse(addressText, out var address) || addressText.Contains('%', StringComparison.Ordinal))
        {
            throw new FilterValueException($"'{text}' is not an IP address or CIDR block (10.0.0.0/8, 10.1.2.3, fd00::/8)");
        }
        var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var length = max;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > max))
        {
            throw new FilterValueException($"'{text}': the prefix length must be 0 to {max}");
        }
        return new IpPrefix(text, address.GetAddressBytes(), length);
    }
}
