using CsCheck;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Merkle;
using PolicyTrail.Ledger.Store;
using PolicyTrail.Ledger.Tests.Support;
using PolicyTrail.Ledger.Verification;
using PolicyTrail.Ledger.Writing;

namespace PolicyTrail.Ledger.Tests.Verification;

/// <summary>One prover for many proofs gives exactly the proofs of an independent reference and of a fresh prover per proof.</summary>
public sealed class InclusionProverTests
{
    private static readonly (string Signer, string Verifier) Keys = NoteKeys.Generate("test");

    /// <summary>A log of <paramref name="size"/> gap entries written by LedgerWriter, signed at the end; also returns every leaf hash.</summary>
    private static (MemoryLedgerStore Store, List<byte[]> Leaves) Log(int size, int seed)
    {
        var store = new MemoryLedgerStore();
        using var signer = NoteSigner.FromKey(Keys.Signer);
        var writer = LedgerWriter.Open(store, signer, "example.com/prover", new CheckpointPolicy { EveryEntries = 0, Every = TimeSpan.Zero });
        var template = GapEntries.Template(writer);
        var random = new Random(seed);
        var leaves = new List<byte[]>();
        for (var i = 0; i < size; i++)
        {
            var row = new EntryRow { Template = template, Time = 1_764_236_415_000_000_000 + i, Count = random.Next() };
            writer.Append(row);
            leaves.Add(MerkleHash.Leaf(writer.CanonicalBytes(row)));
            if (random.Next(700) == 0)
            {
                writer.Commit();
            }
        }
        writer.Commit(checkpoint: true);
        return (store, leaves);
    }

    [Fact]
    public void Proofs_of_many_indexes_and_sizes_equal_the_reference_and_a_fresh_prover_per_proof()
    {
        var verifier = NoteVerifier.FromKey(Keys.Verifier);
        Gen.Select(Gen.Int[1, 3100], Gen.Int, Gen.Bool, Gen.Int[1, 40]).Sample((size, seed, dropSubtrees, proofs) =>
        {
            var (store, leaves) = Log(size, seed);
            if (dropSubtrees)
            {
                store.DropSubtrees(s => (s.Start / 1024 + seed) % 2 == 0);
            }
            var reference = MerkleProofs.CreateSubtreeHashes(i => leaves[(int)i]);
            var random = new Random(seed);
            var indexes = Enumerable.Range(0, proofs).Select(_ => (long)random.Next(size)).Concat([0, size - 1]).Order().ToList();
            using var prover = InclusionProver.ForLatestCheckpoint(store);
            Assert.Equal(size, prover.TreeSize);
            foreach (var index in indexes)
            {
                var proof = prover.Prove(index);
                Assert.Equal(leaves[(int)index], proof.LeafHash);
                Assert.Equal(MerkleProofs.Inclusion(reference, index, size), proof.Path);
                var fresh = InclusionProof.Create(store, index);
                Assert.Equal(fresh.Path, proof.Path);
                Assert.Equal(fresh.Entry, proof.Entry);
                Assert.True(proof.Verify(verifier).IsValid);
            }
            // In index order, each chunk is read once (plus the partial last one, and chunks whose root was dropped).
            Assert.True(prover.ChunksRead <= indexes.Select(i => i / 1024).Distinct().Count() + 1 + (dropSubtrees ? size / 1024 : 0));
        }, iter: 25);
    }

    [Fact]
    public void Proofs_out_of_index_order_are_equal_too_and_indexes_outside_the_checkpoint_are_refused()
    {
        var (store, leaves) = Log(3000, 5);
        var reference = MerkleProofs.CreateSubtreeHashes(i => leaves[(int)i]);
        using var prover = InclusionProver.ForLatestCheckpoint(store);
        foreach (var index in new long[] { 2999, 5, 2048, 1023, 1024, 0, 2999, 7 })
        {
            Assert.Equal(MerkleProofs.Inclusion(reference, index, 3000), prover.Prove(index).Path);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => prover.Prove(3000));
        Assert.Throws<ArgumentOutOfRangeException>(() => prover.Prove(-1));
    }

    [Fact]
    public void A_store_without_a_checkpoint_cannot_be_proven()
    {
        var store = new MemoryLedgerStore();
        store.Initialize(new LogIdentity("example.com/empty", DateTimeOffset.UnixEpoch));
        var e = Assert.Throws<InvalidOperationException>(() => InclusionProver.ForLatestCheckpoint(store));
        Assert.Contains("no checkpoint", e.Message, StringComparison.Ordinal);
    }
}
