using PolicyTrail.Ledger.DuckDb;
using PolicyTrail.Ledger.Store;

namespace PolicyTrail.Cli.Commands.Ledger;

/// <summary>Opens the store a path names (the embedded DuckDB backend), turning its refusals into one clear line.</summary>
internal static class StoreOpener
{
    public static ILedgerStore Open(string path, bool readOnly, string? memoryLimit = null)
    {
        try
        {
            return DuckDbLedgerStore.Open(path, readOnly, memoryLimit);
        }
        catch (Exception e) when (e is LedgerStoreLockedException or InvalidDataException or FileNotFoundException or UnauthorizedAccessException)
        {
            throw new UserInputException(e.Message);
        }
    }
}
