using System.Text;
using PolicyTrail.Ledger.Checkpoints;

namespace PolicyTrail.Ledger.Tests.Checkpoints;

/// <summary>Known answers from golang.org/x/mod/sumdb/note note_test.go (keys, key IDs, the deterministic Ed25519 signature, Open cases).</summary>
public class NoteKnownAnswerTests
{
    private const string PeterVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    private const string PeterSignerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    private const string EnochVerifierKey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    private const string Text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    private const string PeterSig = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    private const string EnochSig = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Verifier_key_parses_with_its_name_and_key_id()
    {
        var verifier = NoteVerifier.FromKey(PeterVerifierKey);
        Assert.Equal("PeterNeumann", verifier.Name);
        Assert.Equal(0xc74f20a3u, verifier.KeyId);
        Assert.Equal(0xaf0cfe78u, NoteVerifier.FromKey(EnochVerifierKey).KeyId);
    }

    [Fact]
    public void Signer_key_parses_and_derives_the_published_verifier_key()
    {
        using var signer = NoteSigner.FromKey(PeterSignerKey);
        Assert.Equal("PeterNeumann", signer.Name);
        Assert.Equal(0xc74f20a3u, signer.KeyId);
        Assert.Equal(PeterVerifierKey, signer.VerifierKey);
    }

    [Fact]
    public void Signing_reproduces_the_reference_note_byte_for_byte()
    {
        using var signer = NoteSigner.FromKey(PeterSignerKey);
        Assert.Equal(Text + "\n" + PeterSig, Encoding.UTF8.GetString(SignedNote.Sign(Text, signer)));
    }

    [Fact]
    public void Each_known_key_verifies_its_own_signature_and_ignores_the_other()
    {
        var note = Utf8(Text + "\n" + PeterSig + EnochSig);
        var peter = SignedNote.Open(note, NoteVerifier.FromKey(PeterVerifierKey));
        Assert.Equal(NoteStatus.Verified, peter.Status);
        Assert.Equal(Text, peter.Text);
        var enoch = SignedNote.Open(note, NoteVerifier.FromKey(EnochVerifierKey));
        Assert.True(enoch.IsVerified, enoch.FailureReason);
        Assert.Equal(Text, enoch.Text);
    }

    [Fact]
    public void A_note_without_the_key_reports_the_keys_it_has()
    {
        var result = SignedNote.Open(Utf8(Text + "\n" + EnochSig), NoteVerifier.FromKey(PeterVerifierKey));
        Assert.Equal(NoteStatus.UnknownKey, result.Status);
        Assert.Null(result.Text);
        Assert.Equal("no signature by key PeterNeumann+c74f20a3 (signed by EnochRoot+af0cfe78)", result.FailureReason);
    }

    [Fact]
    public void A_corrupted_signature_is_a_bad_signature()
    {
        var result = SignedNote.Open(Utf8(Text + "\n" + PeterSig[..60] + "ABCD" + PeterSig[60..]), NoteVerifier.FromKey(PeterVerifierKey));
        Assert.Equal(NoteStatus.BadSignature, result.Status);
        Assert.Contains("PeterNeumann+c74f20a3 does not verify", result.FailureReason);
    }

    [Fact]
    public void Signature_lines_with_the_wrong_name_or_key_id_are_someone_elses()
    {
        var verifier = NoteVerifier.FromKey(PeterVerifierKey);
        Assert.Equal(NoteStatus.UnknownKey, SignedNote.Open(Utf8(Text + "\n" + PeterSig.Replace("PeterNeumann", "CarmenSandiego", StringComparison.Ordinal)), verifier).Status);
        Assert.Equal(NoteStatus.UnknownKey, SignedNote.Open(Utf8(Text + "\n" + PeterSig.Replace("x08g", "xxxx", StringComparison.Ordinal)), verifier).Status);
    }

    /// <summary>note_test.go badMsgs, each with the reason we give.</summary>
    [Theory]
    [InlineData(Text, "no blank line")]
    [InlineData(Text + "\n", "no signature lines")]
    [InlineData(Text + "\n" + "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=", "does not end in a newline")]
    [InlineData("\u0001" + Text + "\n" + PeterSig, "control character 0x01 at byte 0")]
    [InlineData(Text + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", "is not base64")]
    [InlineData(Text + "\n" + PeterSig + "Unexpected line.\n", "line 2 does not start with an em dash")]
    [InlineData(Text + "\n" + "- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", "em dash")]
    [InlineData(Text + "\n" + "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n", "is not base64")]
    [InlineData(Text + "\n" + "— PeterNeumann x08go/ZJkuBS9UG/Sffcv IAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", "is not base64")]
    [InlineData(Text + "\n" + "— PeterNeumann\n", "no space")]
    [InlineData(Text + "\n" + "— PeterNeumann AAAA\n", "is not base64 of a key ID and a signature")]
    public void Malformed_notes_are_rejected_with_a_reason(string note, string reason)
    {
        var result = SignedNote.Open(Utf8(note), NoteVerifier.FromKey(PeterVerifierKey));
        Assert.Equal(NoteStatus.Malformed, result.Status);
        Assert.Null(result.Text);
        Assert.StartsWith("malformed note: ", result.FailureReason);
        Assert.Contains(reason, result.FailureReason);
    }

    [Fact]
    public void Invalid_UTF8_and_too_many_signatures_are_malformed()
    {
        var verifier = NoteVerifier.FromKey(PeterVerifierKey);
        Assert.Contains("UTF-8", SignedNote.Open([0xff, .. Utf8(Text + "\n" + PeterSig)], verifier).FailureReason);
        var many = SignedNote.Open(Utf8(Text + "\n" + string.Concat(Enumerable.Repeat(PeterSig, 101))), verifier);
        Assert.Equal(NoteStatus.Malformed, many.Status);
        Assert.Contains("more than 100", many.FailureReason);
        Assert.True(SignedNote.Open(Utf8(Text + "\n" + string.Concat(Enumerable.Repeat(PeterSig, 16))), verifier).IsVerified);
    }

    [Theory]
    [InlineData("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==", "invalid base64")] // wrong length, adjusted key ID; its last quantum also has non-zero spare bits, which we refuse
    [InlineData("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "type 0x65")] // unknown algorithm, adjusted key ID
    [InlineData("PeterNeumann+8a03836b+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAAAA", "36 bytes")]
    [InlineData("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match its key")]
    [InlineData("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "invalid key name")]
    [InlineData("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hex digits")]
    [InlineData("PeterNeumann+c74f20a3", "8 hex digits")]
    public void Bad_verifier_keys_are_rejected_with_a_reason(string key, string reason) =>
        Assert.Contains(reason, Assert.Throws<FormatException>(() => NoteVerifier.FromKey(key)).Message);

    /// <summary>note_test.go TestNewVerifier / TestNewSigner: every proper substring and every single-byte increment is refused.</summary>
    [Theory]
    [InlineData(PeterVerifierKey, false)]
    [InlineData(PeterSignerKey, true)]
    public void Every_mangling_of_a_key_is_refused(string key, bool signer)
    {
        void Refused(string mangled)
        {
            if (signer)
            {
                Assert.Throws<FormatException>(() => NoteSigner.FromKey(mangled).Dispose());
            }
            else
            {
                Assert.Throws<FormatException>(() => NoteVerifier.FromKey(mangled));
            }
        }

        for (var i = 0; i <= key.Length; i++)
        {
            for (var j = i + 1; j <= key.Length; j++)
            {
                if (i != 0 || j != key.Length)
                {
                    Refused(key[i..j]);
                }
            }
        }
        var chars = key.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i]++;
            Refused(new string(chars));
            chars[i]--;
        }
    }
}
