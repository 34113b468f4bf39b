using System.Diagnostics;
using CsCheck;
using PolicyTrail.Ledger.Merkle;

namespace PolicyTrail.Ledger.Tests.Merkle;

/// <summary>Every proof of every small tree verifies, and no tampering or shifted position is accepted.</summary>
public class ProofPropertyTests
{
    private const int N = 130;

    private static readonly byte[][] Leaves = [.. Enumerable.Range(0, N + 2).Select(i => MerkleHash.Leaf(BitConverter.GetBytes(i)))];

    private static readonly ISubtreeHashes Tree = MerkleProofs.CreateSubtreeHashes(i => Leaves[i]);

    // Roots[s] is the root of the first s leaves, from the incremental builder.
    private static readonly byte[][] Roots = BuildRoots();

    private static byte[][] BuildRoots()
    {
        var builder = new TreeBuilder();
        var roots = new byte[N + 2][];
        roots[0] = builder.Root();
        for (var s = 1; s < roots.Length; s++)
        {
            builder.Append(Leaves[s - 1]);
            roots[s] = builder.Root();
        }
        return roots;
    }

    private static byte[] Flip(byte[] hash, int position, byte mask)
    {
        var copy = (byte[])hash.Clone();
        copy[position % copy.Length] ^= mask;
        return copy;
    }

    private static List<byte[]> FlipIn(IReadOnlyList<byte[]> proof, int element, int position, byte mask)
    {
        var copy = proof.ToList();
        copy[element] = Flip(copy[element], position, mask);
        return copy;
    }

    private static bool SameProof(IReadOnlyList<byte[]> a, IReadOnlyList<byte[]> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.AsSpan().SequenceEqual(p.Second));

    /// <summary>Reference MTH straight from RFC 6962 §2.1, to check the builder and the cache against.</summary>
    private static byte[] NaiveRoot(int start, int end)
    {
        if (end - start == 1)
        {
            return Leaves[start];
        }
        var k = (int)MerkleProofs.LargestPowerOfTwoBelow(end - start);
        return MerkleHash.Node(NaiveRoot(start, start + k), NaiveRoot(start + k, end));
    }

    [Fact]
    public void Builder_cache_and_naive_roots_agree_for_every_size()
    {
        for (var s = 1; s <= N; s++)
        {
            Assert.Equal(NaiveRoot(0, s), Roots[s]);
            Assert.Equal(Roots[s], Tree.Hash(0, s));
            Assert.Equal(Roots[s], MerkleProofs.Root(Leaves, 0, s));
        }
    }

    [Fact]
    public void Every_inclusion_proof_verifies_and_shifted_positions_fail()
    {
        for (long size = 1; size <= N; size++)
        {
            for (long index = 0; index < size; index++)
            {
                var proof = MerkleProofs.Inclusion(Tree, index, size);
                Assert.Equal(MerkleProofs.InclusionLength(index, size), proof.Count);
                var ok = MerkleProofs.VerifyInclusion(Leaves[index], index, size, proof, Roots[size]);
                Assert.True(ok.IsValid, $"index {index} size {size}: {ok.FailureReason}");

                Assert.False(MerkleProofs.VerifyInclusion(Leaves[index], index - 1, size, proof, Roots[size]).IsValid);
                Assert.False(MerkleProofs.VerifyInclusion(Leaves[index], index + 1, size, proof, Roots[size]).IsValid);
                Assert.False(MerkleProofs.VerifyInclusion(Leaves[index + 1], index, size, proof, Roots[size]).IsValid);
                // A size is only ever checked together with the root signed for it, so shift both.
                foreach (var other in new[] { size - 1, size + 1 })
                {
                    var accepted = MerkleProofs.VerifyInclusion(Leaves[index], index, other, proof, Roots[other]).IsValid;
                    var genuine = index < other && SameProof(proof, MerkleProofs.Inclusion(Tree, index, other));
                    Assert.Equal(genuine, accepted);
                }
            }
        }
    }

    [Fact]
    public void Every_consistency_proof_verifies_and_shifted_sizes_fail()
    {
        for (long newSize = 1; newSize <= N; newSize++)
        {
            for (long oldSize = 0; oldSize <= newSize; oldSize++)
            {
                var proof = MerkleProofs.Consistency(Tree, oldSize, newSize);
                var ok = MerkleProofs.VerifyConsistency(oldSize, newSize, Roots[oldSize], Roots[newSize], proof);
                Assert.True(ok.IsValid, $"{oldSize} -> {newSize}: {ok.FailureReason}");
                Assert.False(MerkleProofs.VerifyConsistency(oldSize, newSize, Roots[newSize], Roots[oldSize], proof).IsValid && oldSize != newSize);

                foreach (var (o, n) in new[] { (oldSize - 1, newSize), (oldSize + 1, newSize), (oldSize, newSize - 1), (oldSize, newSize + 1) })
                {
                    if (o < 0 || n < o)
                    {
                        Assert.False(MerkleProofs.VerifyConsistency(o, n, Roots[Math.Max(0, o)], Roots[Math.Max(0, n)], proof).IsValid);
                        continue;
                    }
                    var accepted = MerkleProofs.VerifyConsistency(o, n, Roots[o], Roots[n], proof).IsValid;
                    Assert.Equal(SameProof(proof, MerkleProofs.Consistency(Tree, o, n)), accepted);
                }
            }
        }
    }

    [Fact]
    public void Any_changed_byte_breaks_an_inclusion_proof() =>
        Gen.Int[1, N].SelectMany(size => Gen.Select(Gen.Int[0, size - 1], Gen.Int[0, 40], Gen.Int[0, 31], Gen.Byte[1, 255], (index, target, position, mask) => (size, index, target, position, mask)))
            .Sample(t =>
            {
                var proof = MerkleProofs.Inclusion(Tree, t.index, t.size);
                var leaf = Leaves[t.index];
                var root = Roots[t.size];
                var mask = (byte)t.mask;
                var slot = t.target % (proof.Count + 2);
                ProofVerification result = slot == proof.Count ? MerkleProofs.VerifyInclusion(Flip(leaf, t.position, mask), t.index, t.size, proof, root)
                    : slot == proof.Count + 1 ? MerkleProofs.VerifyInclusion(leaf, t.index, t.size, proof, Flip(root, t.position, mask))
                    : MerkleProofs.VerifyInclusion(leaf, t.index, t.size, FlipIn(proof, slot, t.position, mask), root);
                Assert.False(result.IsValid);
                Assert.NotNull(result.FailureReason);
            }, iter: 3000);

    [Fact]
    public void Any_changed_byte_breaks_a_consistency_proof() =>
        Gen.Int[2, N].SelectMany(newSize => Gen.Select(Gen.Int[1, newSize - 1], Gen.Int[0, 40], Gen.Int[0, 31], Gen.Byte[1, 255], (oldSize, target, position, mask) => (newSize, oldSize, target, position, mask)))
            .Sample(t =>
            {
                var proof = MerkleProofs.Consistency(Tree, t.oldSize, t.newSize);
                var oldRoot = Roots[t.oldSize];
                var newRoot = Roots[t.newSize];
                var mask = (byte)t.mask;
                var slot = t.target % (proof.Count + 2);
                ProofVerification result = slot == proof.Count ? MerkleProofs.VerifyConsistency(t.oldSize, t.newSize, Flip(oldRoot, t.position, mask), newRoot, proof)
                    : slot == proof.Count + 1 ? MerkleProofs.VerifyConsistency(t.oldSize, t.newSize, oldRoot, Flip(newRoot, t.position, mask), proof)
                    : MerkleProofs.VerifyConsistency(t.oldSize, t.newSize, oldRoot, newRoot, FlipIn(proof, slot, t.position, mask));
                Assert.False(result.IsValid);
            }, iter: 3000);

    [Fact]
    public void Truncated_extended_or_reordered_proofs_fail() =>
        Gen.Int[3, N].SelectMany(size => Gen.Int[0, size - 1].Select(index => (size, index)))
            .Sample(t =>
            {
                var proof = MerkleProofs.Inclusion(Tree, t.index, t.size);
                var leaf = Leaves[t.index];
                var root = Roots[t.size];
                Assert.False(MerkleProofs.VerifyInclusion(leaf, t.index, t.size, proof.Take(proof.Count - 1).ToList(), root).IsValid);
                Assert.False(MerkleProofs.VerifyInclusion(leaf, t.index, t.size, [.. proof, root], root).IsValid);
                Assert.False(MerkleProofs.VerifyInclusion(leaf, t.index, t.size, [root, .. proof], root).IsValid);
                if (proof.Count > 1 && !proof[0].AsSpan().SequenceEqual(proof[1]))
                {
                    Assert.False(MerkleProofs.VerifyInclusion(leaf, t.index, t.size, [proof[1], proof[0], .. proof.Skip(2)], root).IsValid);
                }
            }, iter: 1000);

    /// <summary>Proofs over a quarter-million leaves read each leaf about once, not once per proof.</summary>
    [Fact]
    public void Proofs_over_a_large_log_share_the_subtree_cache()
    {
        const long size = 1 << 18;
        long reads = 0;
        byte[] LeafAt(long i)
        {
            reads++;
            return MerkleHash.Leaf(BitConverter.GetBytes(i));
        }

        var builder = new TreeBuilder();
        for (long i = 0; i < size; i++)
        {
            builder.Append(MerkleHash.Leaf(BitConverter.GetBytes(i)));
        }
        var root = builder.Root();
        var tree = MerkleProofs.CreateSubtreeHashes(LeafAt);
        var random = new Random(42);
        var watch = Stopwatch.StartNew();
        const int proofs = 500;
        for (var p = 0; p < proofs; p++)
        {
            var index = random.NextInt64(size);
            var proof = MerkleProofs.Inclusion(tree, index, size);
            Assert.Equal(18, proof.Count);
            Assert.True(MerkleProofs.VerifyInclusion(MerkleHash.Leaf(BitConverter.GetBytes(index)), index, size, proof, root).IsValid);
        }
        var oldSize = size - 12345;
        var consistency = MerkleProofs.Consistency(tree, oldSize, size);
        Assert.True(MerkleProofs.VerifyConsistency(oldSize, size, MerkleProofs.CreateSubtreeHashes(LeafAt).Hash(0, oldSize), root, consistency).IsValid);
        // First proof reads every leaf; later ones re-read at most the 63 leaves below the cached height per proof.
        Assert.True(reads <= 2 * size + (proofs + 1) * 64, $"{reads} leaf reads");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");
    }
}
