namespace PolicyTrail.Ledger.DuckDb.Tests.Support;

/// <summary>A temporary folder for one test's store file, deleted with the test.</summary>
public sealed class TempStore : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("policytrail-duckdb-");

    /// <summary>The store file's path (not created).</summary>
    public string Path => System.IO.Path.Combine(_directory.FullName, "policytrail.duckdb");

    public void Dispose() => _directory.Delete(recursive: true);
}
