using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace PolicyTrail.Ledger.Checkpoints;

/// <summary>Shared rules of the C2SP signed-note format: key names, key IDs and strict base64.</summary>
internal static class NoteFormat
{
    /// <summary>Signature type byte of Ed25519 in signed-note (and the first byte of encoded keys).</summary>
    public const byte Ed25519Type = 0x01;

    /// <summary>Key names are non-empty, with no Unicode spaces, no '+' (the key-string separator) and no control characters.</summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c == '+' || char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return false;
            }
            if (char.IsSurrogate(c))
            {
                if (!char.IsHighSurrogate(c) || i + 1 >= name.Length || !char.IsLowSurrogate(name[i + 1]))
                {
                    return false;
                }
                i++;
            }
        }
        return true;
    }

    /// <summary>Key ID = first 4 bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || 32-byte public key).</summary>
    public static uint KeyId(string name, ReadOnlySpan<byte> publicKey)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var buffer = new byte[nameBytes.Length + 2 + publicKey.Length];
        nameBytes.CopyTo(buffer, 0);
        buffer[nameBytes.Length] = 0x0A;
        buffer[nameBytes.Length + 1] = Ed25519Type;
        publicKey.CopyTo(buffer.AsSpan(nameBytes.Length + 2));
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(buffer));
    }

    /// <summary>Decodes RFC 4648 §4 base64 only in its one canonical spelling (padding present, no whitespace, zero spare bits).</summary>
    public static bool TryDecodeBase64(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length == 0 || text.Length % 4 != 0)
        {
            return false;
        }
        var buffer = new byte[text.Length / 4 * 3];
        if (!Convert.TryFromBase64String(text, buffer, out var written))
        {
            return false;
        }
        var decoded = buffer[..written];
        // Convert tolerates whitespace and non-zero spare bits; a second spelling of the same bytes would be malleable.
        if (!string.Equals(Convert.ToBase64String(decoded), text, StringComparison.Ordinal))
        {
            return false;
        }
        bytes = decoded;
        return true;
    }

    /// <summary>Parses the 8 hex digits of a key ID as written in key strings.</summary>
    public static bool TryParseKeyId(string text, out uint id)
    {
        id = 0;
        return text.Length == 8 && text.All(char.IsAsciiHexDigit)
            && uint.TryParse(text, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out id);
    }

    /// <summary>Splits at the first '+', as the key-string grammar does (base64 itself may contain '+').</summary>
    public static (string Before, string? After) Chop(string s)
    {
        var i = s.IndexOf('+', StringComparison.Ordinal);
        return i < 0 ? (s, null) : (s[..i], s[(i + 1)..]);
    }

    /// <summary>Key name and ID as written in key strings and messages: name+8 hex digits.</summary>
    public static string Describe(string name, uint id) => $"{name}+{id:x8}";
}
