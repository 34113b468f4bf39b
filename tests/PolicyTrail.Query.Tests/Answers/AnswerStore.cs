using PolicyTrail.Ingest.Clusters;
using PolicyTrail.Ingest.Running;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.DuckDb;
using PolicyTrail.Ledger.Writing;

namespace PolicyTrail.Query.Tests.Answers;

/// <summary>
/// A store ingested once from examples/cluster and testassets/answers/flows.jsonl (eleven hand-written Hubble flows; see
/// its README), through the same ingest run the CLI uses.
/// </summary>
public sealed class AnswerStore : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("policytrail-answers-").FullName;

    public AnswerStore()
    {
        Path = System.IO.Path.Combine(_folder, "answers.duckdb");
        var (signerKey, _) = NoteKeys.Generate("test");
        using var signer = NoteSigner.FromKey(signerKey);
        using var store = DuckDbLedgerStore.Open(Path);
        var writer = LedgerWriter.Open(store, signer, "test.example/answers");
        var clusters = ClusterHistory.Load([System.IO.Path.Combine(Repo, "examples", "cluster")]);
        new IngestRun(store, writer, clusters, new IngestOptions { Files = [Flows] }).Run();
    }

    public string Path { get; }

    public static string Repo { get; } = FindRepo();

    public static string Flows => System.IO.Path.Combine(Repo, "tests", "PolicyTrail.Query.Tests", "testassets", "answers", "flows.jsonl");

    public DuckDbLedgerStore Open() => DuckDbLedgerStore.Open(Path, readOnly: true);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "PolicyTrail.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
