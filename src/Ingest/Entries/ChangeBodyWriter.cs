using System.Buffers;
using PolicyTrail.Core.Flows;
using PolicyTrail.Identity.History;
using PolicyTrail.Identity.Watch;
using PolicyTrail.Ingest.Changes;
using PolicyTrail.Ledger.Canonical;

namespace PolicyTrail.Ingest.Entries;

/// <summary>
/// Writes the body of a change entry in its canonical form: what changed, how, when (or within which interval), who
/// changed it when known, where it was learned, and the object as <see cref="ObjectEvidence"/> keeps it (or, when the
/// object cannot be read, its text and why). Reuses its buffers; not thread-safe.
/// </summary>
public sealed class ChangeBodyWriter
{
    private readonly ArrayBufferWriter<byte> _body = new(4096);
    private readonly EvidenceWriter _evidence = new();
    private readonly InPlaceReader _inPlace;

    /// <summary>Creates a writer with its own buffers.</summary>
    public ChangeBodyWriter() => _inPlace = new InPlaceReader(this);

    /// <summary>
    /// The object reader to hand to <see cref="ChangeLines.TryRead(ReadOnlySpan{byte}, IChangeObjectReader, out ChangeLine, out string?, out Range?)"/>
    /// for one line (valid UTF-8): it writes the evidence of the change's object as the line is read, and
    /// <see cref="WrittenInPlace"/> then writes the body around it.
    /// </summary>
    public IChangeObjectReader InPlace()
    {
        _inPlace.Kind = null;
        _inPlace.Objects = 0;
        return _inPlace;
    }

    /// <summary>
    /// The body of a change from a line that <see cref="ChangeLines"/> read successfully with <see cref="InPlace"/>: the same
    /// bytes as <see cref="Write(ClusterChange, ReadOnlySpan{byte})"/> of its object; null when the object was not read in
    /// place exactly once as the change's kind (then write it from its bytes).
    /// </summary>
    public byte[]? WrittenInPlace(ClusterChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return _inPlace.Objects == 1 && _inPlace.Kind == change.Kind ? Body(change, hasObject: true, objectError: null) : null;
    }

    /// <summary>The body of a change, with its object (if any) as <see cref="ClusterChange.ObjectJson"/> holds it.</summary>
    public byte[] Write(ClusterChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var objectError = change.ObjectJson is { } json ? _evidence.Write(change.Kind, json) : null;
        return Body(change, change.ObjectJson is not null, objectError);
    }

    /// <summary>
    /// The body of a change whose object is given as the UTF-8 bytes of its text (as a change file holds it; its
    /// <see cref="ClusterChange.ObjectJson"/> is not read): the same bytes as <see cref="Write(ClusterChange)"/> of the
    /// change with the text those bytes decode to.
    /// </summary>
    public byte[] Write(ClusterChange change, ReadOnlySpan<byte> objectJson)
    {
        ArgumentNullException.ThrowIfNull(change);
        return Body(change, hasObject: true, _evidence.Write(change.Kind, objectJson));
    }

    // Members in RFC 8785 order (UTF-16 code units of the names).
    private byte[] Body(ClusterChange change, bool hasObject, string? objectError)
    {
        var o = _body;
        o.ResetWrittenCount();
        o.Write("{"u8);
        Member(o, "name"u8, change.Name, first: true);
        Member(o, "namespace"u8, change.Namespace);
        if (change.NotBefore is long.MinValue)
        {
            o.Write(",\"notBefore\":null"u8); // since some unknown time: first seen by a snapshot that gave no creation time
        }
        else if (change.NotBefore is { } notBefore)
        {
            Member(o, "notBefore"u8, new Timestamp(notBefore, 9).ToString());
        }
        if (hasObject && objectError is null)
        {
            o.Write(",\"object\":"u8);
            o.Write(_evidence.Evidence);
        }
        if (objectError is not null)
        {
            // Kept as it came, with the reason: the ledger loses nothing, and the history skips what it cannot read.
            o.Write(",\"objectError\":"u8);
            CanonicalJson.WriteUtf8String(System.Text.Encoding.UTF8.GetBytes(objectError), o);
        }
        Member(o, "objectKind"u8, change.Kind);
        if (objectError is not null)
        {
            o.Write(",\"objectText\":"u8);
            CanonicalJson.WriteUtf8String(_evidence.Utf8, o);
        }
        Member(o, "origin"u8, change.Origin);
        Member(o, "resourceVersion"u8, change.ResourceVersion);
        Member(o, "type"u8, change.Type switch { ChangeType.Added => "added", ChangeType.Modified => "modified", _ => "deleted" });
        Member(o, "uid"u8, change.Uid);
        Member(o, "user"u8, change.User);
        o.Write("}"u8);
        return o.WrittenSpan.ToArray();
    }

    private sealed class InPlaceReader(ChangeBodyWriter owner) : IChangeObjectReader
    {
        public string? Kind { get; set; }

        public int Objects { get; set; }

        public bool Read(string kind, ref System.Text.Json.Utf8JsonReader reader)
        {
            // Counted first: an object that failed is not one this writer holds.
            Objects++;
            Kind = null;
            owner._evidence.WriteInPlace(kind, ref reader);
            Kind = kind;
            return true;
        }
    }

    private static void Member(ArrayBufferWriter<byte> o, ReadOnlySpan<byte> name, string? value, bool first = false)
    {
        if (value is null)
        {
            return;
        }
        if (!first)
        {
            o.Write(","u8);
        }
        o.Write("\""u8);
        o.Write(name);
        o.Write("\":"u8);
        CanonicalJson.WriteString(value, o);
    }
}
