using System.Buffers.Binary;
using System.Security.Cryptography;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Merkle;
using PolicyTrail.Ledger.Tests.Support;
using PolicyTrail.Ledger.Verification;
using PolicyTrail.Ledger.Writing;

namespace PolicyTrail.Ledger.Tests.Verification;

/// <summary>
/// Verify hashes 1,024-entry chunks in parallel and folds whole chunks into the tree by their roots: the result is the
/// same root as leaf by leaf, checkpoints inside a chunk are still checked, and a change is named by its entry.
/// </summary>
public sealed class LedgerVerifierTests
{
    private static readonly (string Signer, string Verifier) Keys = NoteKeys.Generate("test");

    // A log of gap entries with signed checkpoints after each of the given sizes (some inside a chunk) and at the end.
    private static (MemoryLedgerStore Store, List<byte[]> Leaves) Log(int size, params int[] checkpointsAt)
    {
        var store = new MemoryLedgerStore();
        using var signer = NoteSigner.FromKey(Keys.Signer);
        var writer = LedgerWriter.Open(store, signer, "example.com/verify", new CheckpointPolicy { EveryEntries = 0, Every = TimeSpan.Zero });
        var template = GapEntries.Template(writer);
        var leaves = new List<byte[]>();
        for (var i = 0; i < size; i++)
        {
            var row = new EntryRow { Template = template, Time = 1_764_236_415_000_000_000 + i, Count = i * 7 };
            writer.Append(row);
            leaves.Add(MerkleHash.Leaf(writer.CanonicalBytes(row)));
            if (checkpointsAt.Contains(i + 1))
            {
                writer.Commit(checkpoint: true);
            }
        }
        writer.Commit(checkpoint: true);
        return (store, leaves);
    }

    private static VerificationResult Verify(MemoryLedgerStore store) => LedgerVerifier.Verify(store, NoteVerifier.FromKey(Keys.Verifier));

    [Fact]
    public void A_log_of_several_chunks_with_checkpoints_inside_chunks_verifies_to_the_leaf_by_leaf_root()
    {
        var (store, leaves) = Log(5000, 1024, 1500, 3000, 4096);
        var tree = new TreeBuilder();
        leaves.ForEach(l => tree.Append(l));

        var result = Verify(store);

        Assert.True(result.Intact, result.Problem);
        Assert.Equal(5000, result.Entries);
        Assert.Equal(5, result.Checkpoints);
        Assert.Equal(tree.Root(), result.Root);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Checkpoints_in_more_chunks_than_it_keeps_leaves_of_are_proved_from_leaves_read_again(int kept)
    {
        var (store, leaves) = Log(5000, 1500, 2500, 3000, 4500);
        var tree = new TreeBuilder();
        leaves.ForEach(l => tree.Append(l));

        var result = LedgerVerifier.Verify(store, NoteVerifier.FromKey(Keys.Verifier), [], maxFoldedChunks: kept, cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.Intact, result.Problem);
        Assert.Equal(5, result.Checkpoints);
        Assert.Equal(tree.Root(), result.Root);
    }

    [Theory]
    [InlineData(1500)]
    [InlineData(2047)]
    [InlineData(4999)]
    public void An_edited_entry_in_a_later_chunk_is_named_by_its_index(int index)
    {
        var (store, _) = Log(5000, 3000);
        store.ReadEntries(index, index + 1).Single().Count += 1;

        var result = Verify(store);

        Assert.False(result.Intact);
        Assert.Equal(index, result.FirstBadIndex);
        Assert.StartsWith($"entry {index}: its content does not hash", result.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1023)]
    [InlineData(3500)]
    public void A_read_error_part_way_reaches_the_caller_and_stops_the_hashing_threads(long at)
    {
        var (store, _) = Log(40_000);
        store.FailReadingAt = at;

        var error = Assert.Throws<IOException>(() => Verify(store));

        Assert.Equal($"read error at entry {at}", error.Message);
        store.FailReadingAt = null;
        Assert.True(Verify(store).Intact);
    }

    [Fact]
    public void An_edited_entry_with_a_matching_tag_in_the_third_chunk_is_caught_by_its_chunk()
    {
        var (store, _) = Log(5000);
        var row = store.ReadEntries(2100, 2101).Single();
        row.Count += 1;
        var fragments = new FragmentTable(store.ReadFragments());
        row.LeafTag = BinaryPrimitives.ReadUInt32BigEndian(MerkleHash.Leaf(EntryTemplates.Rebuild(row, fragments)));

        var result = Verify(store);

        Assert.False(result.Intact);
        Assert.Equal(2048, result.FirstBadIndex);
        Assert.StartsWith("entries 2048..3071: recorded subtree hash differs", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_whole_subtree_appended_by_its_root_gives_the_tree_of_its_leaves_and_PerfectRoot_its_root()
    {
        var random = new Random(5);
        var leaves = Enumerable.Range(0, 5 * 1024 + 300).Select(_ => { var l = new byte[32]; random.NextBytes(l); return l; }).ToList();
        var byLeaf = new TreeBuilder();
        var byChunk = new TreeBuilder();
        var scratch = new byte[512 * 32];
        var root = new byte[32];
        for (var start = 0; start < leaves.Count; start += 1024)
        {
            var chunk = leaves.Skip(start).Take(1024).ToList();
            byte[]? completed = null;
            chunk.ForEach(l => completed = byLeaf.Append(l, 10) ?? completed);
            if (chunk.Count == 1024)
            {
                MerkleHash.PerfectRoot(chunk.SelectMany(l => l).ToArray(), scratch, root);
                Assert.Equal(completed, root);
                byChunk.AppendSubtree(root, 10);
            }
            else
            {
                chunk.ForEach(l => byChunk.Append(l));
            }
            Assert.Equal(byLeaf.Root(), byChunk.Root());
        }
        Assert.Throws<ArgumentException>(() => byChunk.AppendSubtree(root, 10));
    }

    [Fact]
    public void Native_sha256_when_present_agrees_with_the_managed_one_on_every_length_around_the_block_size()
    {
        if (!NativeSha256.Available)
        {
            Assert.Skip("libcrypto's SHA256_Init/Update/Final are not available on this system");
        }
        var data = new byte[1100];
        new Random(9).NextBytes(data);
        var native = new byte[32];
        foreach (var length in Enumerable.Range(0, 200).Concat([1023, 1024, 1025, 1100]))
        {
            NativeSha256.HashData(data.AsSpan(0, length), native);
            Assert.Equal(SHA256.HashData(data.AsSpan(0, length)), native);
        }
    }
}
