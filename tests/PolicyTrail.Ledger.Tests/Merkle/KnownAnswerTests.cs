using PolicyTrail.Ledger.Merkle;
using PolicyTrail.Ledger.Tests.Support;

namespace PolicyTrail.Ledger.Tests.Merkle;

/// <summary>Vectors of transparency-dev/merkle proof/verify_test.go (the RFC 6962 test leaves, their roots and proofs).</summary>
public class KnownAnswerTests
{
    private static readonly byte[][] Entries =
    [
        Hex.Bytes(""), Hex.Bytes("00"), Hex.Bytes("10"), Hex.Bytes("2021"), Hex.Bytes("3031"), Hex.Bytes("40414243"),
        Hex.Bytes("5051525354555657"), Hex.Bytes("606162636465666768696a6b6c6d6e6f"),
    ];

    private static readonly string[] Roots =
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    private static readonly byte[][] LeafHashes = [.. Entries.Select(e => MerkleHash.Leaf(e))];

    private static byte[] LeafAt(long i) => LeafHashes[i];

    /// <summary>Inclusion vectors: (0-based index, size, proof).</summary>
    public static TheoryData<long, long, string[]> InclusionVectors => new()
    {
        { 0, 1, [] },
        { 0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"] },
        { 5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"] },
        { 2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"] },
        { 1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"] },
    };

    /// <summary>Consistency vectors: (old size, new size, proof).</summary>
    public static TheoryData<long, long, string[]> ConsistencyVectors => new()
    {
        { 1, 1, [] },
        { 1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"] },
        { 6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"] },
        { 2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"] },
        { 6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"] },
    };

    [Fact]
    public void Empty_tree_root_is_SHA256_of_nothing()
    {
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Hex.Of(MerkleHash.Empty));
        Assert.Equal(MerkleHash.Empty, new TreeBuilder().Root());
        Assert.Equal(MerkleHash.Empty, MerkleProofs.Root(LeafHashes, 3, 3));
    }

    [Fact]
    public void Leaf_hash_of_the_empty_entry_is_the_size_1_root() =>
        Assert.Equal(Roots[0], Hex.Of(MerkleHash.Leaf([])));

    [Fact]
    public void Roots_of_sizes_1_to_8_match_with_builder_and_range_root()
    {
        var builder = new TreeBuilder();
        for (var size = 1; size <= 8; size++)
        {
            builder.Append(LeafHashes[size - 1]);
            Assert.Equal(size, builder.Size);
            Assert.Equal(Roots[size - 1], Hex.Of(builder.Root()));
            Assert.Equal(Roots[size - 1], Hex.Of(MerkleProofs.Root(LeafHashes, 0, size)));
            Assert.Equal(Roots[size - 1], Hex.Of(MerkleProofs.CreateSubtreeHashes(LeafAt).Hash(0, size)));
        }
    }

    [Theory]
    [MemberData(nameof(InclusionVectors))]
    public void Inclusion_proofs_match_and_verify(long index, long size, string[] expected)
    {
        var proof = MerkleProofs.Inclusion(LeafAt, index, size);
        Assert.Equal(expected, proof.Select(Hex.Of));
        Assert.Equal(ProofVerification.Valid, MerkleProofs.VerifyInclusion(LeafHashes[index], index, size, [.. expected.Select(Hex.Bytes)], Hex.Bytes(Roots[size - 1])));
    }

    [Theory]
    [MemberData(nameof(ConsistencyVectors))]
    public void Consistency_proofs_match_and_verify(long oldSize, long newSize, string[] expected)
    {
        var proof = MerkleProofs.Consistency(LeafAt, oldSize, newSize);
        Assert.Equal(expected, proof.Select(Hex.Of));
        var result = MerkleProofs.VerifyConsistency(oldSize, newSize, Hex.Bytes(Roots[oldSize - 1]), Hex.Bytes(Roots[newSize - 1]), [.. expected.Select(Hex.Bytes)]);
        Assert.Equal(ProofVerification.Valid, result);
    }

    /// <summary>The edge cases of transparency-dev's TestVerifyConsistency, with the one deliberate difference for empty trees.</summary>
    [Fact]
    public void Consistency_edge_cases()
    {
        var empty = MerkleHash.Empty;
        var r1 = Hex.Bytes(Roots[0]);
        var r2 = Hex.Bytes(Roots[1]);
        Assert.True(MerkleProofs.VerifyConsistency(0, 0, empty, empty, []).IsValid);
        Assert.True(MerkleProofs.VerifyConsistency(0, 1, empty, r1, []).IsValid);
        Assert.True(MerkleProofs.VerifyConsistency(1, 1, r1, r1, []).IsValid);
        Assert.Contains("same tree size", MerkleProofs.VerifyConsistency(1, 1, r1, r2, []).FailureReason);
        Assert.Contains("not between", MerkleProofs.VerifyConsistency(1, 0, r1, empty, []).FailureReason);
        Assert.Contains("not between", MerkleProofs.VerifyConsistency(2, 1, r2, r1, []).FailureReason);
        Assert.Contains("needs 1", MerkleProofs.VerifyConsistency(1, 2, r1, r2, []).FailureReason);
        Assert.Contains("must be empty", MerkleProofs.VerifyConsistency(0, 0, empty, empty, [empty]).FailureReason);
        Assert.Contains("must be empty", MerkleProofs.VerifyConsistency(0, 1, empty, r1, [empty]).FailureReason);
        Assert.Contains("must be empty", MerkleProofs.VerifyConsistency(1, 1, r1, r1, [empty]).FailureReason);
        // transparency-dev accepts any old root for size 0; an empty tree has exactly one root, so we do not.
        Assert.Contains("empty string", MerkleProofs.VerifyConsistency(0, 1, r1, r1, []).FailureReason);
        Assert.Contains("32 bytes", MerkleProofs.VerifyConsistency(1, 2, r1[..31], r2, [r2]).FailureReason);
    }

    /// <summary>The bad probes of transparency-dev's TestVerifyInclusion: sizes and indexes that name no leaf.</summary>
    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    public void Inclusion_of_impossible_positions_fails(long index, long size)
    {
        var some = Hex.Bytes("abacaba000000000000000000000000000000000000000000060061e00123456");
        Assert.False(MerkleProofs.VerifyInclusion(some, index, size, [], []).IsValid);
        Assert.False(MerkleProofs.VerifyInclusion([], index, size, [], MerkleHash.Empty).IsValid);
        Assert.False(MerkleProofs.VerifyInclusion(some, index, size, [], MerkleHash.Empty).IsValid);
    }

    [Fact]
    public void Single_entry_tree_root_is_its_leaf_hash_with_an_empty_proof()
    {
        var hash = MerkleHash.Leaf("data"u8);
        Assert.True(MerkleProofs.VerifyInclusion(hash, 0, 1, [], hash).IsValid);
        Assert.False(MerkleProofs.VerifyInclusion(hash, 0, 1, [], []).IsValid);
        Assert.False(MerkleProofs.VerifyInclusion([], 0, 1, [], hash).IsValid);
        Assert.False(MerkleProofs.VerifyInclusion(hash, 0, 1, [hash], hash).IsValid);
    }

    [Fact]
    public void Generators_reject_impossible_requests()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleProofs.Inclusion(LeafAt, 3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleProofs.Inclusion(LeafAt, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleProofs.Consistency(LeafAt, 4, 3));
        Assert.Empty(MerkleProofs.Consistency(LeafAt, 0, 8));
        Assert.Empty(MerkleProofs.Consistency(LeafAt, 5, 5));
        Assert.Throws<ArgumentException>(() => new TreeBuilder().Append(new byte[31]));
    }
}
