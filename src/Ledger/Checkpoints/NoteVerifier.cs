using NSec.Cryptography;

namespace PolicyTrail.Ledger.Checkpoints;

/// <summary>An Ed25519 verifier key for signed notes, loaded from its "name+id+base64" string.</summary>
public sealed class NoteVerifier
{
    private readonly PublicKey _publicKey;

    private NoteVerifier(string name, uint keyId, PublicKey publicKey, string key)
    {
        Name = name;
        KeyId = keyId;
        _publicKey = publicKey;
        Key = key;
    }

    /// <summary>Key name that signature lines must carry.</summary>
    public string Name { get; }

    /// <summary>Key ID that signatures must start with.</summary>
    public uint KeyId { get; }

    /// <summary>The verifier key string this was loaded from.</summary>
    public string Key { get; }

    /// <summary>Parses a verifier key; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static NoteVerifier FromKey(string verifierKey)
    {
        ArgumentNullException.ThrowIfNull(verifierKey);
        var (name, rest) = NoteFormat.Chop(verifierKey);
        var (idText, key64) = rest is null ? (string.Empty, null) : NoteFormat.Chop(rest);
        if (!NoteFormat.IsValidName(name))
        {
            throw new FormatException("verifier key has an invalid key name (empty, or with spaces, '+' or control characters)");
        }
        if (!NoteFormat.TryParseKeyId(idText, out var keyId) || key64 is null)
        {
            throw new FormatException($"verifier key for \"{name}\" must be <name>+<8 hex digits>+<base64 key>");
        }
        if (!NoteFormat.TryDecodeBase64(key64, out var raw) || raw.Length == 0)
        {
            throw new FormatException($"verifier key for \"{name}\" has invalid base64 key data");
        }
        if (raw[0] != NoteFormat.Ed25519Type)
        {
            throw new FormatException($"verifier key for \"{name}\" uses signature type 0x{raw[0]:x2}; only Ed25519 (0x01) is supported");
        }
        if (raw.Length != 33)
        {
            throw new FormatException($"verifier key for \"{name}\" must hold 0x01 and a 32-byte Ed25519 public key (has {raw.Length} bytes)");
        }
        if (NoteFormat.KeyId(name, raw.AsSpan(1)) != keyId)
        {
            throw new FormatException($"verifier key for \"{name}\" has key ID {keyId:x8}, which does not match its key");
        }
        if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, raw.AsSpan(1), KeyBlobFormat.RawPublicKey, out var publicKey) || publicKey is null)
        {
            throw new FormatException($"verifier key for \"{name}\" is not a valid Ed25519 public key");
        }
        return new NoteVerifier(name, keyId, publicKey, verifierKey);
    }

    /// <summary>Whether <paramref name="signature"/> is a valid Ed25519 signature by this key over <paramref name="message"/>.</summary>
    internal bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        signature.Length == SignatureAlgorithm.Ed25519.SignatureSize
        && SignatureAlgorithm.Ed25519.Verify(_publicKey, message, signature);
}
