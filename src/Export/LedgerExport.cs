using System.Buffers;
using PolicyTrail.Export.Delivery;
using PolicyTrail.Export.Mapping;
using PolicyTrail.Export.Reading;
using PolicyTrail.Ledger.Store;

namespace PolicyTrail.Export;

/// <summary>The export pipeline: entries a filter selects → one format's records → a sink, one entry at a time.</summary>
internal static class LedgerExport
{
    /// <summary>Exports and returns how many records were sent.</summary>
    public static long Run(ILedgerStore store, EntryFilter filter, IEntryMapper mapper, IRecordSink sink, CancellationToken cancellationToken = default)
    {
        var record = new ArrayBufferWriter<byte>(2048);
        var count = 0L;
        foreach (var entry in LedgerEntries.Read(store, filter, cancellationToken))
        {
            record.ResetWrittenCount();
            mapper.Write(entry, record);
            sink.Send(record.WrittenSpan, entry.Index);
            count++;
        }
        return count;
    }
}
