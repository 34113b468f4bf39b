using System.Text;
using System.Text.Json;
using PolicyTrail.Identity.History;
using PolicyTrail.Identity.Watch;
using PolicyTrail.Ingest.Changes;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.DuckDb;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Verification;
using PolicyTrail.Ledger.Writing;

namespace PolicyTrail.Ingest.Tests.Changes;

public sealed class ChangeReplayTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("policytrail-replay-");

    public void Dispose() => _folder.Delete(recursive: true);

    private static string Line(ClusterChange change)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            ChangeLines.Write(json, change);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    [Fact]
    public void A_change_file_is_recorded_once_rejected_lines_are_named_and_a_second_run_records_only_what_was_appended()
    {
        var (signerKey, verifierKey) = NoteKeys.Generate("test");
        using var signer = NoteSigner.FromKey(signerKey);
        var store = Path.Combine(_folder.FullName, "s.duckdb");
        var file = Path.Combine(_folder.FullName, "changes.jsonl");
        var changes = PolicyTrail.Benchmarks.WatchEvents.Generate(6, 3).ToList();
        File.WriteAllLines(file, [Line(changes[0]), Line(changes[1]), "{\"record\":\"change\",\"type\":\"Added\",\"kind\":\"Pod\",\"name\":\"a\",\"origin\":\"watch\"}", "", Line(changes[2])]);
        var errors = new StringWriter();

        ChangeReplaySummary Run()
        {
            using var s = DuckDbLedgerStore.Open(store);
            var writer = LedgerWriter.Open(s, signer, "example.com/log");
            return ChangeReplay.Run(new ChangeRecorder(writer, commitEntries: 2), writer, file, errors, TestContext.Current.CancellationToken);
        }

        var first = Run();
        Assert.Equal((3L, 1L, 0L), (first.Changes, first.Rejected, first.AlreadyRecorded));
        Assert.Equal($"policytrail: {file}:3: change without \"time\"{Environment.NewLine}", errors.ToString());

        File.AppendAllLines(file, [Line(changes[3]), """{"record":"gap","from":"2026-11-01T00:00:00Z","to":"2026-11-01T00:01:00Z","reason":"pods: watch disconnected"}"""]);
        var second = Run();
        Assert.Equal((1L, 1L, 0L, 5L), (second.Changes, second.Gaps, second.Rejected, second.AlreadyRecorded));
        Assert.False(second.Replaced);

        using var reopened = DuckDbLedgerStore.Open(store, readOnly: true);
        var verified = LedgerVerifier.Verify(reopened, NoteVerifier.FromKey(verifierKey), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(verified.Intact, verified.Problem);
        Assert.Equal(6, verified.Entries);
        var read = ChangeReader.Read(reopened, new FragmentTable(reopened.ReadFragments())).ToArray();
        Assert.Equal(
            changes.Take(4).Select(c => $"{c.Type} {c.Key} {c.ResourceVersion}"),
            read.Select(r => $"{r.Change.Type} {r.Change.Key} {r.Change.ResourceVersion}"));
    }

    [Fact]
    public void Replayed_changes_are_the_same_entries_as_recorded_ones()
    {
        var file = Path.Combine(_folder.FullName, "changes.jsonl");
        var changes = PolicyTrail.Benchmarks.WatchEvents.Generate(50, 9).ToList();
        File.WriteAllLines(file, changes.Select(Line));
        var builder = new PolicyTrail.Ingest.Entries.EntryBuilder(new FragmentTable());
        var replayed = File.ReadLines(file).Select(l =>
        {
            Assert.True(ChangeLines.TryRead(Encoding.UTF8.GetBytes(l), out var read, out var error), error);
            return builder.Change(read.Change!, 0).Body!;
        }).ToList();
        Assert.Equal(changes.Select(c => builder.Change(c, 0).Body!), replayed);
    }
}
