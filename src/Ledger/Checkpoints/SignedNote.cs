using System.Buffers.Binary;
using System.Text;

namespace PolicyTrail.Ledger.Checkpoints;

/// <summary>What opening a signed note found.</summary>
public enum NoteStatus
{
    /// <summary>Not set.</summary>
    Unknown = 0,

    /// <summary>At least one signature by the key verified, and none by the key failed.</summary>
    Verified,

    /// <summary>The bytes are not a well-formed signed note.</summary>
    Malformed,

    /// <summary>Well-formed, but no signature carries the key's name and ID.</summary>
    UnknownKey,

    /// <summary>A signature that carries the key's name and ID does not verify: text or signature changed, or a forged key ID.</summary>
    BadSignature,
}

/// <summary>Result of <see cref="SignedNote.Open"/>: the text only when verified, otherwise the reason.</summary>
public sealed record OpenedNote(NoteStatus Status, string? Text, string? FailureReason)
{
    /// <summary>Whether the note carries a valid signature by the key (then <see cref="Text"/> is set).</summary>
    public bool IsVerified => Status == NoteStatus.Verified;
}

/// <summary>C2SP signed-note: a text ending in a newline, a blank line, then one "— name base64(key ID || signature)" line per key.</summary>
public static class SignedNote
{
    /// <summary>Upper bound on signature lines read, so a hostile note cannot make us parse forever (the spec asks for at least 16).</summary>
    public const int MaxSignatures = 100;

    private static readonly byte[] SignaturePrefix = "— "u8.ToArray();

    /// <summary>Signs <paramref name="text"/> (which must end in a newline) with each signer and returns the note bytes (UTF-8).</summary>
    public static byte[] Sign(string text, params NoteSigner[] signers)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(signers);
        if (signers.Length == 0)
        {
            throw new ArgumentException("a signed note needs at least one signer", nameof(signers));
        }
        if (CheckText(text) is { } problem)
        {
            throw new ArgumentException($"note text {problem}", nameof(text));
        }
        var textBytes = Encoding.UTF8.GetBytes(text);
        var note = new StringBuilder(text).Append('\n');
        var seen = new HashSet<(string, uint)>();
        foreach (var signer in signers)
        {
            ArgumentNullException.ThrowIfNull(signer, nameof(signers));
            if (!seen.Add((signer.Name, signer.KeyId)))
            {
                throw new ArgumentException($"key {NoteFormat.Describe(signer.Name, signer.KeyId)} is given twice", nameof(signers));
            }
            var signature = new byte[4 + 64];
            BinaryPrimitives.WriteUInt32BigEndian(signature, signer.KeyId);
            signer.Sign(textBytes).CopyTo(signature, 4);
            note.Append("\u2014 ").Append(signer.Name).Append(' ').Append(Convert.ToBase64String(signature)).Append('\n');
        }
        return Encoding.UTF8.GetBytes(note.ToString());
    }

    /// <summary>Parses <paramref name="note"/> and checks the signatures by <paramref name="verifier"/>'s key; others are ignored, as the spec requires.</summary>
    public static OpenedNote Open(byte[] note, NoteVerifier verifier)
    {
        ArgumentNullException.ThrowIfNull(note);
        ArgumentNullException.ThrowIfNull(verifier);
        if (!System.Text.Unicode.Utf8.IsValid(note))
        {
            return Malformed("it is not valid UTF-8");
        }
        for (var i = 0; i < note.Length; i++)
        {
            if (note[i] < 0x20 && note[i] != (byte)'\n')
            {
                return Malformed($"control character 0x{note[i]:x2} at byte {i} (only newlines are allowed)");
            }
        }
        var span = note.AsSpan();
        var split = span.LastIndexOf("\n\n"u8);
        if (split < 0)
        {
            return Malformed("no blank line before the signatures (the text must end in a newline, followed by an empty line)");
        }
        var text = span[..(split + 1)];
        var signatures = span[(split + 2)..];
        if (signatures.IsEmpty)
        {
            return Malformed("no signature lines after the blank line");
        }
        if (signatures[^1] != (byte)'\n')
        {
            return Malformed("the last signature line does not end in a newline");
        }

        var count = 0;
        var verified = 0;
        var others = new List<string>();
        while (!signatures.IsEmpty)
        {
            var end = signatures.IndexOf((byte)'\n');
            var line = signatures[..end];
            signatures = signatures[(end + 1)..];
            if (++count > MaxSignatures)
            {
                return Malformed($"more than {MaxSignatures} signature lines");
            }
            if (!line.StartsWith(SignaturePrefix))
            {
                return Malformed($"signature line {count} does not start with an em dash (U+2014) and a space");
            }
            var body = Encoding.UTF8.GetString(line[SignaturePrefix.Length..]);
            var space = body.IndexOf(' ', StringComparison.Ordinal);
            if (space < 0)
            {
                return Malformed($"signature line {count} has no space between key name and signature");
            }
            var name = body[..space];
            if (!NoteFormat.IsValidName(name))
            {
                return Malformed($"signature line {count} has an invalid key name");
            }
            if (!NoteFormat.TryDecodeBase64(body[(space + 1)..], out var signature) || signature.Length < 5)
            {
                return Malformed($"signature line {count} (key \"{name}\") is not base64 of a key ID and a signature");
            }
            var keyId = BinaryPrimitives.ReadUInt32BigEndian(signature);
            // The (name, key ID) pair selects the key; a signature matching only one of them is someone else's and ignored.
            if (!string.Equals(name, verifier.Name, StringComparison.Ordinal) || keyId != verifier.KeyId)
            {
                others.Add(NoteFormat.Describe(name, keyId));
                continue;
            }
            if (!verifier.Verify(text, signature.AsSpan(4)))
            {
                return new OpenedNote(NoteStatus.BadSignature, null,
                    $"signature line {count} by key {NoteFormat.Describe(name, keyId)} does not verify: the text or the signature was changed");
            }
            verified++;
        }
        if (verified == 0)
        {
            return new OpenedNote(NoteStatus.UnknownKey, null,
                $"no signature by key {NoteFormat.Describe(verifier.Name, verifier.KeyId)} (signed by {string.Join(", ", others)})");
        }
        return new OpenedNote(NoteStatus.Verified, Encoding.UTF8.GetString(text), null);
    }

    /// <summary>What is wrong with a note text, or null: it must end in a newline and hold no control characters but newlines.</summary>
    internal static string? CheckText(string text)
    {
        if (!text.EndsWith('\n'))
        {
            return "does not end in a newline";
        }
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 0x20 && c != '\n')
            {
                return $"contains control character U+{(int)c:X4} at index {i}";
            }
            if (char.IsSurrogate(c))
            {
                if (!char.IsHighSurrogate(c) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return $"contains a lone surrogate at index {i}";
                }
                i++;
            }
        }
        return null;
    }

    private static OpenedNote Malformed(string reason) => new(NoteStatus.Malformed, null, $"malformed note: {reason}");
}
