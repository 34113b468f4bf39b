using System.Buffers;
using System.Text.Json;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Merkle;
using PolicyTrail.Ledger.Store;

namespace PolicyTrail.Export.Reading;

/// <summary>
/// Streams the entries a filter selects, each rebuilt to its canonical bytes and hashed as its Merkle leaf, in index
/// order. One entry is held at a time, so an export of any size runs in constant memory.
/// </summary>
internal static class LedgerEntries
{
    public static IEnumerable<ExportEntry> Read(ILedgerStore store, EntryFilter filter, CancellationToken cancellationToken = default)
    {
        var fragments = new FragmentTable(store.ReadFragments());
        var buffer = new ArrayBufferWriter<byte>(4096);
        foreach (var row in store.Query(filter))
        {
            cancellationToken.ThrowIfCancellationRequested();
            buffer.ResetWrittenCount();
            EntryTemplates.Rebuild(row, fragments, buffer);
            var leaf = MerkleHash.Leaf(buffer.WrittenSpan);
            using var document = JsonDocument.Parse(buffer.WrittenMemory);
            yield return new ExportEntry(row.Index, leaf, document.RootElement);
        }
    }
}
