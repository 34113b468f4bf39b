using PolicyTrail.Identity.History;
using PolicyTrail.Ingest.Changes;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.DuckDb;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Verification;
using PolicyTrail.Ledger.Writing;

namespace PolicyTrail.Ingest.Tests.Changes;

public sealed class ChangeRecorderTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("policytrail-changes-");

    public void Dispose() => _folder.Delete(recursive: true);

    private static ClusterChange Change(long time, ChangeType type, string kind, string? ns, string name, string json, long? notBefore = null, string? user = null) => new()
    {
        Time = time,
        NotBefore = notBefore,
        Type = type,
        Kind = kind,
        Namespace = ns,
        Name = name,
        Uid = $"uid-{name}",
        ResourceVersion = time.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ObjectJson = json,
        User = user,
        Origin = "watch",
    };

    [Fact]
    public void Changes_and_gaps_are_recorded_verified_and_read_back_as_they_were()
    {
        var (signerKey, verifierKey) = NoteKeys.Generate("test");
        using var signer = NoteSigner.FromKey(signerKey);
        var path = Path.Combine(_folder.FullName, "s.duckdb");
        var changes = new[]
        {
            Change(1_764_230_400_000_000_001, ChangeType.Added, ObjectKinds.Pod, "shop", "web-1",
                """{"metadata":{"name":"web-1","namespace":"shop","labels":{"app":"web"},"managedFields":[{}]},"status":{"podIP":"10.0.0.7"}}"""),
            Change(1_764_230_460_000_000_000, ChangeType.Modified, ObjectKinds.NetworkPolicy, "shop", "deny-all",
                """{"metadata":{"name":"deny-all","namespace":"shop"},"spec":{"podSelector":{}}}""", user: "alice@example.com"),
            Change(1_764_230_520_000_000_000, ChangeType.Deleted, ObjectKinds.Pod, "shop", "web-1",
                """{"metadata":{"name":"web-1","namespace":"shop"}}""", notBefore: 1_764_230_500_000_000_000),
        };
        using (var store = DuckDbLedgerStore.Open(path))
        {
            var writer = LedgerWriter.Open(store, signer, "example.com/log");
            var recorder = new ChangeRecorder(writer, commitEntries: 2);
            recorder.Record(changes[0]);
            recorder.Gap(1_764_230_430_000_000_000, 1_764_230_440_000_000_000, "pods: watch disconnected: connection reset");
            recorder.Record(changes[1]);
            recorder.Record(changes[2]);
            recorder.Complete();
            Assert.Equal(3, recorder.Changes);
            Assert.Equal(1, recorder.Gaps);
            Assert.Equal(2, recorder.ByKind[ObjectKinds.Pod]);
        }
        using var reopened = DuckDbLedgerStore.Open(path, readOnly: true);
        var verified = LedgerVerifier.Verify(reopened, NoteVerifier.FromKey(verifierKey), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(verified.Intact, verified.Problem);
        Assert.Equal(4, verified.Entries);

        var fragments = new FragmentTable(reopened.ReadFragments());
        var read = ChangeReader.Read(reopened, fragments).ToArray();
        Assert.Equal([0L, 2, 3], read.Select(r => r.Index));
        for (var i = 0; i < changes.Length; i++)
        {
            var (expected, actual) = (changes[i], read[i].Change);
            Assert.Equal(expected with { ObjectJson = null }, actual with { ObjectJson = null });
        }
        Assert.DoesNotContain("managedFields", read[0].Change.ObjectJson);
        Assert.Contains("\"podIP\":\"10.0.0.7\"", read[0].Change.ObjectJson);

        var policyEntry = System.Text.Encoding.UTF8.GetString(EntryTemplates.Rebuild(reopened.ReadEntries(2, 3).Single(), fragments));
        Assert.StartsWith("""{"change":{"name":"deny-all","namespace":"shop","object":""", policyEntry);
        Assert.Contains("\"kind\":\"policy-change\"", policyEntry);
        Assert.Contains("\"user\":\"alice@example.com\"", policyEntry);
        var gap = System.Text.Encoding.UTF8.GetString(EntryTemplates.Rebuild(reopened.ReadEntries(1, 2).Single(), fragments));
        Assert.Contains("\"from\":\"2025-11-27T08:00:30.000000000Z\"", gap);
        Assert.Contains("\"until\":\"2025-11-27T08:00:40.000000000Z\"", gap);
    }
}
