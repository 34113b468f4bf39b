using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Tests.Support;
using PolicyTrail.Ledger.Verification;
using PolicyTrail.Ledger.Writing;

namespace PolicyTrail.Ledger.Tests.Writing;

/// <summary>The writer hands a batch's rows back for reuse once the batch is durable, and only to a store that copied them.</summary>
public sealed class RowReuseTests
{
    private static readonly (string Signer, string Verifier) Keys = NoteKeys.Generate("test");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rows_come_back_after_their_commit_only_from_a_store_that_copies_them(bool copies)
    {
        var store = new MemoryLedgerStore { CopiesAppendedRows = copies };
        using var signer = NoteSigner.FromKey(Keys.Signer);
        var writer = LedgerWriter.Open(store, signer, "example.com/reuse", new CheckpointPolicy { EveryEntries = 0, Every = TimeSpan.Zero });
        var handedBack = new List<EntryRow[]>();
        writer.OnRowsWritten = handedBack.Add;
        var template = GapEntries.Template(writer);
        var first = new[] { Gap(template, 1), Gap(template, 2) };
        foreach (var row in first)
        {
            writer.Append(row);
        }
        writer.Commit(wait: false);
        // Not before the caller has waited for the batch (its rows may still be hashed or written).
        Assert.Empty(handedBack);
        writer.WaitForStore();

        if (!copies)
        {
            Assert.Empty(handedBack);
            return;
        }
        var rows = Assert.Single(handedBack);
        Assert.Same(first[0], rows[0]);
        Assert.Same(first[1], rows[1]);
        // Filling a handed-back row again changes nothing the store holds.
        rows[0].Count = 99;
        rows[0].Time += 5;
        writer.Append(rows[0]);
        writer.Commit(checkpoint: true);
        var result = LedgerVerifier.Verify(store, NoteVerifier.FromKey(Keys.Verifier), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(result.Intact, result.Problem);
        Assert.Equal(3, result.Entries);
        Assert.Equal([1L, 2L, 99L], store.ReadEntries(0, 3).Select(r => r.Count!.Value));
    }

    private static EntryRow Gap(uint template, long lost) => new() { Template = template, Time = 1_764_236_415_000_000_000, Count = lost };
}
