using PolicyTrail.Ledger.DuckDb;
using PolicyTrail.Ledger.Store;

namespace PolicyTrail.Cli.Commands.Ledger;

/// <summary>Opens the store a path names (the embedded DuckDB backend), turning its refusals into one clear line.</summary>
internal static class StoreOpener
{
    public static ILedgerStore Open(string path, bool readOnly, string? memoryLimit = null, int? threads = null)
    {
        try
        {
            return DuckDbLedgerStore.Open(path, readOnly, memoryLimit, threads);
        }
        catch (Exception e) when (e is LedgerStoreLockedException or InvalidDataException or FileNotFoundException or UnauthorizedAccessException)
        {
            throw new UserInputException(e.Message);
        }
    }
}
