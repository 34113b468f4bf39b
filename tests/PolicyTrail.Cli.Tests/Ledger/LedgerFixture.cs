using DuckDB.NET.Data;
using PolicyTrail.Cli.Tests.Support;

namespace PolicyTrail.Cli.Tests.Ledger;

/// <summary>A store ingested once (3,000 lines, checkpoints every 1,000 entries) that tests copy and then tamper with.</summary>
public sealed class LedgerFixture : IAsyncLifetime
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("policytrail-ledger-").FullName;

    public string Store => Path.Combine(Folder, "policytrail.duckdb");

    public string VerifierKey => Path.Combine(Folder, "policytrail.pub");

    public string Flows => Path.Combine(Folder, "flows.jsonl");

    public long Size { get; private set; }

    public async ValueTask InitializeAsync()
    {
        FlowFiles.Hubble(Flows, 3000, seed: 1);
        var r = await CliRunner.RunAsync("ingest", "--store", Store, "--cluster", Path.Combine(CliRunner.Examples, "cluster"), "--checkpoint-every", "1000", "--batch", "700", Flows);
        if (r.ExitCode is not (0 or 1))
        {
            throw new InvalidOperationException($"ingest failed ({r.ExitCode}): {r.Stderr}");
        }
        using var db = Open(Store);
        Size = Scalar(db, "SELECT count(*) FROM entries");
    }

    /// <summary>A copy of the store (and its key) in a fresh folder.</summary>
    public string Copy()
    {
        var folder = Directory.CreateTempSubdirectory("policytrail-tamper-").FullName;
        File.Copy(Store, Path.Combine(folder, "policytrail.duckdb"));
        File.Copy(VerifierKey, Path.Combine(folder, "policytrail.pub"));
        return Path.Combine(folder, "policytrail.duckdb");
    }

    public static DuckDBConnection Open(string path)
    {
        var connection = new DuckDBConnection($"Data Source={path}");
        connection.Open();
        return connection;
    }

    public static long Scalar(DuckDBConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static void Execute(string store, params string[] statements)
    {
        using var db = Open(store);
        foreach (var sql in statements)
        {
            using var command = db.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(Folder, recursive: true);
        return ValueTask.CompletedTask;
    }
}
