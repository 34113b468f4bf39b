using System.Text;
using CsCheck;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.Merkle;

namespace PolicyTrail.Ledger.Tests.Checkpoints;

/// <summary>C2SP tlog-checkpoint text: its example, round trips and strict parsing.</summary>
public class CheckpointTests
{
    private static readonly byte[] Root = Convert.FromBase64String("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");

    [Fact]
    public void The_specification_example_parses()
    {
        var checkpoint = Checkpoint.Parse("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
        Assert.Equal("example.com/behind-the-sofa", checkpoint.Origin);
        Assert.Equal(20852163, checkpoint.Size);
        Assert.Equal(Root, checkpoint.RootHash);
        Assert.Empty(checkpoint.Extensions);
    }

    [Fact]
    public void Note_text_is_byte_exact()
    {
        var checkpoint = new Checkpoint("example.com/log", 0, MerkleHash.Empty, ["ext one", "two"]);
        Assert.Equal("example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\ntwo\n", checkpoint.ToNoteText());
    }

    [Fact]
    public void Round_trips_with_value_equality() =>
        Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 1, 20], Gen.Long[0, long.MaxValue], Gen.Byte.Array[32], Gen.String[Gen.Char.AlphaNumeric, 1, 8].Array[0, 3])
            .Sample((origin, size, root, extensions) =>
            {
                var checkpoint = new Checkpoint(origin, size, root, extensions);
                var parsed = Checkpoint.Parse(checkpoint.ToNoteText());
                Assert.Equal(checkpoint, parsed);
                Assert.Equal(checkpoint.GetHashCode(), parsed.GetHashCode());
            }, iter: 500);

    [Fact]
    public void A_signed_checkpoint_opens_to_the_same_checkpoint()
    {
        var (s, v) = NoteKeys.Generate("example.com/log");
        using var signer = NoteSigner.FromKey(s);
        var checkpoint = new Checkpoint("example.com/log", 7, Root);
        var opened = SignedNote.Open(SignedNote.Sign(checkpoint.ToNoteText(), signer), NoteVerifier.FromKey(v));
        Assert.True(opened.IsVerified, opened.FailureReason);
        Assert.Equal(checkpoint, Checkpoint.Parse(opened.Text!));
    }

    [Theory]
    [InlineData("example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=", "does not end in a newline")]
    [InlineData("example.com/log\n5\n", "has 2 lines")]
    [InlineData("\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "line 1 (origin) is empty")]
    [InlineData("o\n05\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "leading zeros")]
    [InlineData("o\n+5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "line 2")]
    [InlineData("o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "line 2")]
    [InlineData("o\n 5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "line 2")]
    [InlineData("o\n\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "line 2")]
    [InlineData("o\n٥\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "line 2")]
    [InlineData("o\n9223372036854775808\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "too large")]
    [InlineData("o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n", "line 3 (root hash)")]
    [InlineData("o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n", "line 3 (root hash)")]
    [InlineData("o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx\n", "line 3 (root hash)")]
    [InlineData("o\n5\n CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "line 3 (root hash)")]
    [InlineData("o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n", "line 4 (extension) is empty")]
    [InlineData("o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\next\r\n", "control character")]
    public void Malformed_texts_are_refused_naming_the_line(string text, string reason)
    {
        var e = Assert.Throws<FormatException>(() => Checkpoint.Parse(text));
        Assert.StartsWith("invalid checkpoint: ", e.Message);
        Assert.Contains(reason, e.Message);
        Assert.False(Checkpoint.TryParse(text, out _, out var error));
        Assert.Equal(e.Message, error);
    }

    [Fact]
    public void Invalid_checkpoints_cannot_be_written()
    {
        Assert.Throws<ArgumentException>(() => new Checkpoint("", 1, Root).ToNoteText());
        Assert.Throws<ArgumentException>(() => new Checkpoint("a\nb", 1, Root).ToNoteText());
        Assert.Throws<ArgumentException>(() => new Checkpoint("o", -1, Root).ToNoteText());
        Assert.Throws<ArgumentException>(() => new Checkpoint("o", 1, new byte[31]).ToNoteText());
        Assert.Throws<ArgumentException>(() => new Checkpoint("o", 1, Root, [""]).ToNoteText());
        Assert.Throws<ArgumentException>(() => new Checkpoint("o", 1, Root, ["a\nb"]).ToNoteText());
    }

    [Fact]
    public void Every_garbled_text_either_fails_or_round_trips_exactly() =>
        Gen.Select(Gen.Int[0, 60], Gen.Char[(char)0, (char)0x7f])
            .Sample((position, c) =>
            {
                var text = new Checkpoint("example.com/log", 1234, Root, ["x"]).ToNoteText();
                var garbled = text.Remove(position % text.Length, 1).Insert(position % text.Length, c.ToString());
                if (Checkpoint.TryParse(garbled, out var parsed, out _))
                {
                    Assert.Equal(garbled, parsed.ToNoteText());
                }
            }, iter: 2000);
}
