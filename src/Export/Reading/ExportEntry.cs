using System.Text.Json;

namespace PolicyTrail.Export.Reading;

/// <summary>
/// One ledger entry on its way out: its index, its RFC 6962 leaf hash (what <c>policytrail prove</c> proves) and the
/// entry itself, parsed. <see cref="Entry"/> is valid only until the reader moves on (the document is reused).
/// </summary>
internal sealed class ExportEntry
{
    public ExportEntry(long index, byte[] leafHash, JsonElement entry)
    {
        Index = index;
        LeafHash = Convert.ToHexStringLower(leafHash);
        Entry = entry;
        Facts = EntryFacts.Of(entry);
    }

    /// <summary>The entry's index in the log.</summary>
    public long Index { get; }

    /// <summary>Hex SHA-256(0x00 || canonical entry bytes): the Merkle leaf that an inclusion proof starts from.</summary>
    public string LeafHash { get; }

    /// <summary>The entry as stored (canonical JSON, parsed).</summary>
    public JsonElement Entry { get; }

    /// <summary>The fields every format maps, read once.</summary>
    public EntryFacts Facts { get; }
}
