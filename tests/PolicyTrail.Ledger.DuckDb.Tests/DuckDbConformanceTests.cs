using PolicyTrail.Ledger.Conformance;
using PolicyTrail.Ledger.DuckDb.Tests.Support;
using PolicyTrail.Ledger.Store;

namespace PolicyTrail.Ledger.DuckDb.Tests;

/// <summary>The store conformance suite on a DuckDB file.</summary>
public sealed class DuckDbConformanceTests : StoreConformanceTests
{
    private readonly TempStore _file = new();

    protected override ILedgerStore OpenStore() => DuckDbLedgerStore.Open(_file.Path);

    public override void Dispose()
    {
        base.Dispose();
        _file.Dispose();
    }
}
