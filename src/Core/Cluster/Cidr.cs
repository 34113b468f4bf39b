using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PolicyTrail.Core.Cluster;

/// <summary>CIDR parsing that accepts host bits (as older API servers did) and masks them.</summary>
public static class Cidr
{
    /// <summary>Parses "a.b.c.d/n" or an IPv6 CIDR; host bits are cleared. Returns false with a reason on bad input.</summary>
    public static bool TryParse(string? text, out IPNetwork network, out string error)
    {
        network = default;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "empty CIDR";
            return false;
        }
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            error = $"'{text}' is not a CIDR (missing /prefix)";
            return false;
        }
        if (!IPAddress.TryParse(text.AsSpan(0, slash), out var address))
        {
            error = $"'{text}' is not a CIDR (bad address)";
            return false;
        }
        var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > max)
        {
            error = $"'{text}' is not a CIDR (prefix must be 0..{max})";
            return false;
        }
        var bytes = address.GetAddressBytes();
        for (var bit = prefix; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= unchecked((byte)~(0x80 >> (bit % 8)));
        }
        network = new IPNetwork(new IPAddress(bytes), prefix);
        return true;
    }
}
