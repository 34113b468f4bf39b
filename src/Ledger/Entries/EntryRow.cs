namespace PolicyTrail.Ledger.Entries;

/// <summary>The kind of a ledger entry.</summary>
public enum EntryKind : byte
{
    /// <summary>A connection attempt (or an aggregate of several).</summary>
    Flow = 1,
    /// <summary>What a source did not see, or what was rejected.</summary>
    Gap = 2,
    /// <summary>A NetworkPolicy was created, changed or deleted.</summary>
    PolicyChange = 3,
    /// <summary>A cluster snapshot (or inventory change) that later flow entries point at.</summary>
    InventoryChange = 4,
}

/// <summary>PolicyTrail's verdict on a flow entry, as the store indexes it (0 for entries without a decision).</summary>
public enum EntryVerdict : byte
{
    /// <summary>Not a flow, or no decision.</summary>
    None = 0,
    /// <summary>allow.</summary>
    Allow = 1,
    /// <summary>deny.</summary>
    Deny = 2,
    /// <summary>unknown.</summary>
    Unknown = 3,
}

/// <summary>
/// One entry as a store keeps it: the template fragment and the slot values (see <see cref="EntrySlots"/>). The
/// canonical bytes the Merkle leaf hashes are rebuilt from this alone (<see cref="EntryTemplates.Rebuild(EntryRow, IFragmentSource)"/>).
/// </summary>
public sealed class EntryRow
{
    /// <summary>Position in the log, from 0.</summary>
    public long Index { get; set; }
    /// <summary>The root template (fragment id).</summary>
    public uint Template { get; set; }
    /// <summary>Source endpoint fragment, when the template has one.</summary>
    public uint? Src { get; set; }
    /// <summary>Destination endpoint fragment.</summary>
    public uint? Dst { get; set; }
    /// <summary>Source-reference fragment.</summary>
    public uint? SourceRef { get; set; }
    /// <summary>The decision's ingress side (a fragment).</summary>
    public uint? Ingress { get; set; }
    /// <summary>The decision's egress side (a fragment).</summary>
    public uint? Egress { get; set; }
    /// <summary>Event time, Unix nanoseconds.</summary>
    public long Time { get; set; }
    /// <summary>Ingest time, Unix nanoseconds.</summary>
    public long? ObservedAt { get; set; }
    /// <summary>Aggregation window start, Unix nanoseconds.</summary>
    public long? WindowStart { get; set; }
    /// <summary>Aggregation window end, Unix nanoseconds.</summary>
    public long? WindowEnd { get; set; }
    /// <summary>Source port.</summary>
    public int? SrcPort { get; set; }
    /// <summary>Destination port.</summary>
    public int? DstPort { get; set; }
    /// <summary>Line in the source.</summary>
    public long? Line { get; set; }
    /// <summary>SHA-256 of the raw record (32 bytes).</summary>
    public byte[]? Sha256 { get; set; }

    private byte[]? _ownSha256;

    /// <summary>Sets <see cref="Sha256"/> to a copy of <paramref name="digest"/> in an array this row keeps for reuse.</summary>
    public void SetSha256(ReadOnlySpan<byte> digest)
    {
        if (_ownSha256 is null || _ownSha256.Length != digest.Length)
        {
            _ownSha256 = new byte[digest.Length];
        }
        digest.CopyTo(_ownSha256);
        Sha256 = _ownSha256;
    }
    /// <summary>Aggregated flow count.</summary>
    public long? Count { get; set; }
    /// <summary>Aggregated packets.</summary>
    public long? Packets { get; set; }
    /// <summary>Aggregated bytes.</summary>
    public long? Bytes { get; set; }
    /// <summary>The entry's own value (canonical JSON) for a <see cref="EntrySlots.Body"/> slot.</summary>
    public byte[]? Body { get; set; }
    /// <summary>The first four bytes of the entry's leaf hash (big-endian): lets verify name the exact entry that changed.</summary>
    public uint LeafTag { get; set; }
}
