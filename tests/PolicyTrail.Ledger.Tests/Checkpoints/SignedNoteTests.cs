using System.Buffers.Binary;
using System.Text;
using CsCheck;
using PolicyTrail.Ledger.Checkpoints;

namespace PolicyTrail.Ledger.Tests.Checkpoints;

/// <summary>Round trips with fresh keys and every kind of tampering.</summary>
public class SignedNoteTests
{
    private const string Text = "example.com/log\n42\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    [Fact]
    public void Generated_keys_have_the_documented_shape_and_key_id()
    {
        var (signerKey, verifierKey) = NoteKeys.Generate("example.com/log");
        var parts = verifierKey.Split('+', 3);
        Assert.Equal("example.com/log", parts[0]);
        Assert.Matches("^[0-9a-f]{8}$", parts[1]);
        var raw = Convert.FromBase64String(parts[2]);
        Assert.Equal(33, raw.Length);
        Assert.Equal(0x01, raw[0]);
        var id = BinaryPrimitives.ReadUInt32BigEndian(System.Security.Cryptography.SHA256.HashData([.. "example.com/log\n"u8, .. raw]));
        Assert.Equal(id.ToString("x8"), parts[1]);
        Assert.StartsWith($"PRIVATE+KEY+example.com/log+{parts[1]}+", signerKey);
        using var signer = NoteSigner.FromKey(signerKey);
        Assert.Equal(verifierKey, signer.VerifierKey);
        Assert.Equal(id, NoteVerifier.FromKey(verifierKey).KeyId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a+b")]
    [InlineData("a\nb")]
    public void Invalid_key_names_are_refused(string name) => Assert.Throws<ArgumentException>(() => NoteKeys.Generate(name));

    [Fact]
    public void Sign_then_open_round_trips_with_one_or_several_signers()
    {
        var (s1, v1) = NoteKeys.Generate("log.example/one");
        var (s2, v2) = NoteKeys.Generate("witness.example/two");
        using var one = NoteSigner.FromKey(s1);
        using var two = NoteSigner.FromKey(s2);
        var note = SignedNote.Sign(Text, one, two);
        var text = Encoding.UTF8.GetString(note);
        Assert.StartsWith(Text + "\n\u2014 log.example/one ", text);
        Assert.Contains("\n\u2014 witness.example/two ", text);
        Assert.Equal(Text, SignedNote.Open(note, NoteVerifier.FromKey(v1)).Text);
        Assert.Equal(Text, SignedNote.Open(note, NoteVerifier.FromKey(v2)).Text);
    }

    [Fact]
    public void Texts_with_blank_lines_and_non_ASCII_round_trip()
    {
        var (s, v) = NoteKeys.Generate("k");
        using var signer = NoteSigner.FromKey(s);
        const string text = "Ognuno sta solo sul cuor della terra\n\ned è subito sera — 😀\n\n";
        Assert.Equal(text, SignedNote.Open(SignedNote.Sign(text, signer), NoteVerifier.FromKey(v)).Text);
    }

    [Theory]
    [InlineData("no newline", "does not end in a newline")]
    [InlineData("tab\there\n", "control character U+0009")]
    [InlineData("cr\r\n", "control character U+000D")]
    public void Unsignable_texts_are_refused(string text, string reason)
    {
        var (s, _) = NoteKeys.Generate("k");
        using var signer = NoteSigner.FromKey(s);
        Assert.Contains(reason, Assert.Throws<ArgumentException>(() => SignedNote.Sign(text, signer)).Message);
    }

    [Fact]
    public void Texts_with_lone_surrogates_are_refused()
    {
        var (s, _) = NoteKeys.Generate("k");
        using var signer = NoteSigner.FromKey(s);
        var text = "lone " + (char)0xD800 + " surrogate\n";
        Assert.Contains("lone surrogate", Assert.Throws<ArgumentException>(() => SignedNote.Sign(text, signer)).Message);
    }

    [Fact]
    public void Signing_needs_distinct_signers()
    {
        var (s, _) = NoteKeys.Generate("k");
        using var signer = NoteSigner.FromKey(s);
        Assert.Throws<ArgumentException>(() => SignedNote.Sign(Text));
        Assert.Contains("given twice", Assert.Throws<ArgumentException>(() => SignedNote.Sign(Text, signer, signer)).Message);
    }

    [Fact]
    public void A_changed_text_is_a_bad_signature()
    {
        var (s, v) = NoteKeys.Generate("example.com/log");
        using var signer = NoteSigner.FromKey(s);
        var note = Encoding.UTF8.GetString(SignedNote.Sign(Text, signer));
        var tampered = Encoding.UTF8.GetBytes(note.Replace("\n42\n", "\n43\n", StringComparison.Ordinal));
        var result = SignedNote.Open(tampered, NoteVerifier.FromKey(v));
        Assert.Equal(NoteStatus.BadSignature, result.Status);
        Assert.Null(result.Text);
    }

    [Fact]
    public void Another_key_is_not_accepted_even_with_the_same_name()
    {
        var (s1, _) = NoteKeys.Generate("example.com/log");
        var (_, v2) = NoteKeys.Generate("example.com/log");
        using var signer = NoteSigner.FromKey(s1);
        var note = SignedNote.Sign(Text, signer);
        var result = SignedNote.Open(note, NoteVerifier.FromKey(v2));
        Assert.Equal(NoteStatus.UnknownKey, result.Status);
        Assert.Null(result.Text);
    }

    [Fact]
    public void A_signature_relabelled_with_the_trusted_key_id_is_a_bad_signature()
    {
        // An attacker with their own key of the same name copies the trusted key ID into their signature line.
        var (attackerKey, _) = NoteKeys.Generate("example.com/log");
        var (_, trusted) = NoteKeys.Generate("example.com/log");
        var verifier = NoteVerifier.FromKey(trusted);
        using var attacker = NoteSigner.FromKey(attackerKey);
        var note = Encoding.UTF8.GetString(SignedNote.Sign(Text, attacker));
        var prefix = Text + "\n\u2014 example.com/log ";
        var signature = Convert.FromBase64String(note[prefix.Length..^1]);
        BinaryPrimitives.WriteUInt32BigEndian(signature, verifier.KeyId);
        var forged = Encoding.UTF8.GetBytes(prefix + Convert.ToBase64String(signature) + "\n");
        Assert.Equal(NoteStatus.BadSignature, SignedNote.Open(forged, verifier).Status);
    }

    [Fact]
    public void A_bad_signature_by_the_key_rejects_the_note_even_next_to_a_good_one()
    {
        var (s, v) = NoteKeys.Generate("k");
        using var signer = NoteSigner.FromKey(s);
        var good = Encoding.UTF8.GetString(SignedNote.Sign(Text, signer));
        var line = good[(Text.Length + 1)..];
        var bytes = Convert.FromBase64String(line["\u2014 k ".Length..^1]);
        bytes[^1] ^= 1;
        var bad = "\u2014 k " + Convert.ToBase64String(bytes) + "\n";
        Assert.Equal(NoteStatus.BadSignature, SignedNote.Open(Encoding.UTF8.GetBytes(good + bad), NoteVerifier.FromKey(v)).Status);
    }

    [Fact]
    public void No_single_byte_change_anywhere_in_a_note_verifies()
    {
        var (s, v) = NoteKeys.Generate("example.com/log");
        using var signer = NoteSigner.FromKey(s);
        var note = SignedNote.Sign(Text, signer);
        var verifier = NoteVerifier.FromKey(v);
        Gen.Select(Gen.Int[0, note.Length - 1], Gen.Byte[1, 255]).Sample((position, mask) =>
        {
            var copy = (byte[])note.Clone();
            copy[position] ^= mask;
            var result = SignedNote.Open(copy, verifier);
            Assert.False(result.IsVerified, $"byte {position} ^ {mask:x2} verified");
            Assert.NotNull(result.FailureReason);
        }, iter: 2000);
    }

    [Fact]
    public void Every_truncation_of_a_note_fails()
    {
        var (s, v) = NoteKeys.Generate("example.com/log");
        using var signer = NoteSigner.FromKey(s);
        var note = SignedNote.Sign(Text, signer);
        var verifier = NoteVerifier.FromKey(v);
        for (var length = 0; length < note.Length; length++)
        {
            Assert.False(SignedNote.Open(note[..length], verifier).IsVerified);
        }
    }
}
