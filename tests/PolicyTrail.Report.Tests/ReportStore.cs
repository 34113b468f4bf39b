using PolicyTrail.Ingest.Clusters;
using PolicyTrail.Ingest.Running;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.DuckDb;
using PolicyTrail.Ledger.Writing;

namespace PolicyTrail.Report.Tests;

/// <summary>
/// A store ingested once from examples/cluster plus testassets/report/vault.yaml (one snapshot) and
/// testassets/report/flows.jsonl (see its README), through the ingest run the CLI uses; with its verifier key.
/// </summary>
public sealed class ReportStore : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("policytrail-report-").FullName;

    public ReportStore()
    {
        Path = System.IO.Path.Combine(_folder, "report.duckdb");
        var (signerKey, verifierKey) = NoteKeys.Generate("test");
        VerifierKey = verifierKey;
        using var signer = NoteSigner.FromKey(signerKey);
        using var store = DuckDbLedgerStore.Open(Path);
        var writer = LedgerWriter.Open(store, signer, "test.example/report");
        var clusters = ClusterHistory.LoadOne(
            [System.IO.Path.Combine(Repo, "examples", "cluster"), Asset("vault.yaml")],
            takenAt: new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero));
        new IngestRun(store, writer, clusters, new IngestOptions { Files = [Asset("flows.jsonl")] }).Run();
    }

    public string Path { get; }

    public string VerifierKey { get; }

    public static string Repo { get; } = FindRepo();

    public static string Asset(string name) => System.IO.Path.Combine(Repo, "tests", "PolicyTrail.Report.Tests", "testassets", "report", name);

    public DuckDbLedgerStore Open() => DuckDbLedgerStore.Open(Path, readOnly: true);

    public ReportOptions Options(params string[] sensitive) => new()
    {
        Sensitive = sensitive,
        VerifierKey = NoteVerifier.FromKey(VerifierKey),
        VerifierKeySource = "test",
        StorePath = "report.duckdb",
    };

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
