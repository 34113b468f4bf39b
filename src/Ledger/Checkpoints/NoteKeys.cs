using NSec.Cryptography;

namespace PolicyTrail.Ledger.Checkpoints;

/// <summary>Creates Ed25519 key pairs in the signed-note key formats of golang.org/x/mod/sumdb/note.</summary>
public static class NoteKeys
{
    /// <summary>New key pair for <paramref name="name"/>: "PRIVATE+KEY+name+id+base64(0x01||seed)" and "name+id+base64(0x01||public key)".</summary>
    public static (string SignerKey, string VerifierKey) Generate(string name)
    {
        if (!NoteFormat.IsValidName(name))
        {
            throw new ArgumentException($"key name \"{name}\" must be non-empty, without spaces, '+' or control characters", nameof(name));
        }
        var parameters = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        using var key = Key.Create(SignatureAlgorithm.Ed25519, parameters);
        var seed = key.Export(KeyBlobFormat.RawPrivateKey);
        var publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        try
        {
            return (SignerKeyString(name, seed, publicKey), VerifierKeyString(name, publicKey));
        }
        finally
        {
            Array.Clear(seed);
        }
    }

    internal static string SignerKeyString(string name, ReadOnlySpan<byte> seed, ReadOnlySpan<byte> publicKey) =>
        $"PRIVATE+KEY+{NoteFormat.Describe(name, NoteFormat.KeyId(name, publicKey))}+{Convert.ToBase64String([NoteFormat.Ed25519Type, .. seed])}";

    internal static string VerifierKeyString(string name, ReadOnlySpan<byte> publicKey) =>
        $"{NoteFormat.Describe(name, NoteFormat.KeyId(name, publicKey))}+{Convert.ToBase64String([NoteFormat.Ed25519Type, .. publicKey])}";
}
