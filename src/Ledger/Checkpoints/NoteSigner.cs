using NSec.Cryptography;

namespace PolicyTrail.Ledger.Checkpoints;

/// <summary>An Ed25519 signing key for signed notes, loaded from its "PRIVATE+KEY+..." string; holds the private key until disposed.</summary>
public sealed class NoteSigner : IDisposable
{
    private readonly Key _key;

    private NoteSigner(string name, uint keyId, Key key, string verifierKey)
    {
        Name = name;
        KeyId = keyId;
        _key = key;
        VerifierKey = verifierKey;
    }

    /// <summary>Key name written in each signature line.</summary>
    public string Name { get; }

    /// <summary>Key ID (first 4 bytes of the key hash) written at the start of each signature.</summary>
    public uint KeyId { get; }

    /// <summary>The matching verifier key string, to publish.</summary>
    public string VerifierKey { get; }

    /// <summary>Parses a signer key; throws <see cref="FormatException"/> saying what is wrong (the message never contains key material).</summary>
    public static NoteSigner FromKey(string signerKey)
    {
        ArgumentNullException.ThrowIfNull(signerKey);
        var (priv, rest1) = NoteFormat.Chop(signerKey);
        var (keyWord, rest2) = rest1 is null ? (string.Empty, null) : NoteFormat.Chop(rest1);
        if (priv != "PRIVATE" || keyWord != "KEY" || rest2 is null)
        {
            throw new FormatException("signer key must start with \"PRIVATE+KEY+\"");
        }
        var (name, rest3) = NoteFormat.Chop(rest2);
        var (idText, key64) = rest3 is null ? (string.Empty, null) : NoteFormat.Chop(rest3);
        if (!NoteFormat.IsValidName(name))
        {
            throw new FormatException("signer key has an invalid key name (empty, or with spaces, '+' or control characters)");
        }
        if (!NoteFormat.TryParseKeyId(idText, out var keyId) || key64 is null)
        {
            throw new FormatException($"signer key for \"{name}\" must be PRIVATE+KEY+<name>+<8 hex digits>+<base64 key>");
        }
        if (!NoteFormat.TryDecodeBase64(key64, out var raw) || raw.Length == 0)
        {
            throw new FormatException($"signer key for \"{name}\" has invalid base64 key data");
        }
        try
        {
            if (raw[0] != NoteFormat.Ed25519Type)
            {
                throw new FormatException($"signer key for \"{name}\" uses signature type 0x{raw[0]:x2}; only Ed25519 (0x01) is supported");
            }
            if (raw.Length != 33)
            {
                throw new FormatException($"signer key for \"{name}\" must hold 0x01 and a 32-byte Ed25519 seed (has {raw.Length} bytes)");
            }
            var parameters = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None };
            var key = Key.Import(SignatureAlgorithm.Ed25519, raw.AsSpan(1), KeyBlobFormat.RawPrivateKey, parameters);
            var publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
            // The ID names the public key: a signer whose ID does not match would write signatures no verifier looks for.
            if (NoteFormat.KeyId(name, publicKey) != keyId)
            {
                key.Dispose();
                throw new FormatException($"signer key for \"{name}\" has key ID {keyId:x8}, which does not match its key");
            }
            return new NoteSigner(name, keyId, key, NoteKeys.VerifierKeyString(name, publicKey));
        }
        finally
        {
            Array.Clear(raw);
        }
    }

    /// <summary>Ed25519 signature (64 bytes) over <paramref name="message"/>.</summary>
    internal byte[] Sign(ReadOnlySpan<byte> message) => SignatureAlgorithm.Ed25519.Sign(_key, message);

    /// <summary>Releases the private key.</summary>
    public void Dispose() => _key.Dispose();
}
