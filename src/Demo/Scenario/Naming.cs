using System.Security.Cryptography;
using System.Text;

namespace PolicyTrail.Demo.Scenario;

/// <summary>Deterministic Kubernetes-looking names and UIDs: the same demo every run.</summary>
internal static class Naming
{
    // The alphabet Kubernetes uses for generated name suffixes (no vowels, no confusable digits).
    private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>A suffix of <paramref name="length"/> characters derived from <paramref name="seed"/>.</summary>
    public static string Suffix(string seed, int length)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(seed));
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = Alphabet[hash[i] % Alphabet.Length];
        }
        return new string(chars);
    }

    /// <summary>A version-4-shaped UID derived from <paramref name="seed"/>.</summary>
    public static string Uid(string seed)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(seed));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x40);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return Convert.ToHexStringLower(hash, 0, 4) + "-" + Convert.ToHexStringLower(hash, 4, 2) + "-" + Convert.ToHexStringLower(hash, 6, 2)
            + "-" + Convert.ToHexStringLower(hash, 8, 2) + "-" + Convert.ToHexStringLower(hash, 10, 6);
    }
}
