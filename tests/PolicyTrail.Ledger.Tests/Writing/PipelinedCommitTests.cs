using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Tests.Support;
using PolicyTrail.Ledger.Verification;
using PolicyTrail.Ledger.Writing;

namespace PolicyTrail.Ledger.Tests.Writing;

/// <summary>
/// Commits without waiting overlap: a batch's leaves are hashed while the one before is written. These pin what callers
/// rely on: batches reach the store in order, two at most are in flight, a waiting commit returns only when everything
/// is durable (even when it has nothing new to write), and a failed write stops every batch after it.
/// </summary>
public sealed class PipelinedCommitTests : IDisposable
{
    private static readonly (string Signer, string Verifier) Keys = NoteKeys.Generate("test");
    private static readonly TimeSpan Blocked = TimeSpan.FromMilliseconds(200);
    private readonly NoteSigner _signer = NoteSigner.FromKey(Keys.Signer);

    public void Dispose() => _signer.Dispose();

    [Fact]
    public async Task A_waiting_commit_with_nothing_new_still_waits_for_the_batches_in_flight()
    {
        using var gate = new ManualResetEventSlim(false);
        // The second batch is held in the store; the first goes through.
        var store = Holding(size: 5, gate);
        var (writer, template) = Open(store);
        AppendGaps(writer, template, 3);
        writer.Commit(checkpoint: true, wait: false);
        AppendGaps(writer, template, 2);
        writer.Commit(wait: false);

        // Nothing is pending and no checkpoint is due: this commit has nothing to write, but must still wait.
        var last = Task.Run(() => writer.Commit(), TestContext.Current.CancellationToken);
        Assert.False(await Finishes(last), "Commit() returned while batches were still being written");
        gate.Set();
        await last;

        Assert.Equal(5, writer.CommittedSize);
        Assert.Equal([3, 2], store.AppendedBatches);
        Assert.Equal(1, writer.CheckpointsWritten);
    }

    [Fact]
    public async Task Batches_reach_the_store_in_order_and_a_third_commit_waits_for_the_first()
    {
        using var gate = new ManualResetEventSlim(false);
        var store = Holding(size: 1, gate);
        var (writer, template) = Open(store);
        AppendGaps(writer, template, 1);
        writer.Commit(wait: false);
        AppendGaps(writer, template, 2);
        // The second batch may be hashed while the first is held in the store: this returns.
        writer.Commit(wait: false);
        AppendGaps(writer, template, 3);
        var third = Task.Run(() => writer.Commit(wait: false), TestContext.Current.CancellationToken);
        Assert.False(await Finishes(third), "a third batch went in flight before the first was durable");
        Assert.Empty(store.AppendedBatches);

        gate.Set();
        await third;
        writer.Commit(checkpoint: true);
        Assert.Equal([1, 2, 3, 0], store.AppendedBatches);
        var result = LedgerVerifier.Verify(store, NoteVerifier.FromKey(Keys.Verifier), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(result.Intact, result.Problem);
        Assert.Equal(6, result.Entries);
    }

    [Fact]
    public async Task Without_overlap_a_commit_waits_for_the_one_before()
    {
        using var gate = new ManualResetEventSlim(false);
        var store = Holding(size: 1, gate);
        var (writer, template) = Open(store);
        writer.OverlapCommits = false;
        AppendGaps(writer, template, 1);
        writer.Commit(wait: false);
        AppendGaps(writer, template, 2);
        var second = Task.Run(() => writer.Commit(wait: false), TestContext.Current.CancellationToken);
        Assert.False(await Finishes(second), "a second batch went in flight before the first was durable");

        gate.Set();
        await second;
        writer.WaitForStore();
        Assert.Equal([1, 2], store.AppendedBatches);
        Assert.Equal(3, writer.CommittedSize);
    }

    [Fact]
    public void A_failed_write_surfaces_at_a_later_commit_and_nothing_after_it_is_written()
    {
        var store = new MemoryLedgerStore();
        store.BeforeAppend = batch =>
        {
            if (batch.Size == 2)
            {
                throw new IOException("disk full");
            }
        };
        var (writer, template) = Open(store);
        AppendGaps(writer, template, 2);
        writer.Commit(wait: false);
        AppendGaps(writer, template, 1);
        writer.Commit(wait: false);

        var error = Assert.Throws<IOException>(() => writer.WaitForStore());
        Assert.Equal("disk full", error.Message);
        Assert.Empty(store.AppendedBatches);
        Assert.Equal(0, writer.CommittedSize);
    }

    // A store that holds the batch ending at this size until the gate opens.
    private static MemoryLedgerStore Holding(long size, ManualResetEventSlim gate) => new()
    {
        BeforeAppend = batch =>
        {
            if (batch.Size == size)
            {
                gate.Wait(TestContext.Current.CancellationToken);
            }
        },
    };

    // Whether the task finishes within a while (a commit that should be held must not).
    private static async Task<bool> Finishes(Task task)
    {
        await Task.WhenAny(task, Task.Delay(Blocked, TestContext.Current.CancellationToken));
        return task.IsCompleted;
    }

    // A writer that signs only when asked, and the template of its gap entries.
    private (LedgerWriter Writer, uint Template) Open(MemoryLedgerStore store)
    {
        var writer = LedgerWriter.Open(store, _signer, "example.com/pipeline", new CheckpointPolicy { EveryEntries = 0, Every = TimeSpan.Zero });
        return (writer, GapEntries.Template(writer));
    }

    private static void AppendGaps(LedgerWriter writer, uint template, int count)
    {
        for (var i = 0; i < count; i++)
        {
            writer.Append(new EntryRow { Template = template, Time = 1_764_236_415_000_000_000 + writer.Size, Count = writer.Size + 1 });
        }
    }
}
