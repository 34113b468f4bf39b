using System.Buffers;
using System.Text;
using System.Text.Json;

namespace PolicyTrail.Ingest.Changes;

/// <summary>
/// Writes an object's evidence (what <see cref="ObjectEvidence"/> keeps) in canonical form: the one-walk writer first,
/// the reference way when it declines. Reuses its buffers; not thread-safe.
/// </summary>
public sealed class EvidenceWriter
{
    private readonly ArrayBufferWriter<byte> _evidence = new(4096);
    private readonly CanonicalEvidence _canonical = new();
    private byte[] _utf8 = new byte[4096];
    private int _utf8Length;
    private bool _fast;

    /// <summary>The evidence written by the last successful <see cref="Write(string, string)"/>.</summary>
    public ReadOnlySpan<byte> Evidence => _fast ? _canonical.Written : _evidence.WrittenSpan;

    /// <summary>The object's text as UTF-8, as given to the last <see cref="Write(string, string)"/>.</summary>
    public ReadOnlySpan<byte> Utf8 => _utf8.AsSpan(0, _utf8Length);

    /// <summary>Writes the evidence of an object of <paramref name="kind"/>; null when written, else why there is none.</summary>
    public string? Write(string kind, string json)
    {
        // Unpaired surrogates in the text become U+FFFD here, as they would in any UTF-8 the object is kept as.
        var length = Encoding.UTF8.GetMaxByteCount(json.Length);
        if (_utf8.Length < length)
        {
            _utf8 = new byte[Math.Max(length, _utf8.Length * 2)];
        }
        _utf8Length = Encoding.UTF8.GetBytes(json, _utf8);
        return WriteUtf8(kind);
    }

    /// <summary>
    /// Writes the evidence of an object given as the UTF-8 bytes of its text (as a change file holds it): the same
    /// evidence as <see cref="Write(string, string)"/> of the text those bytes decode to.
    /// </summary>
    public string? Write(string kind, ReadOnlySpan<byte> json)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            // Decoding replaces what is not UTF-8, as reading the text would have.
            return Write(kind, Encoding.UTF8.GetString(json));
        }
        if (_utf8.Length < json.Length)
        {
            _utf8 = new byte[Math.Max(json.Length, _utf8.Length * 2)];
        }
        json.CopyTo(_utf8);
        _utf8Length = json.Length;
        return WriteUtf8(kind);
    }

    /// <summary>
    /// Writes the evidence of the object value <paramref name="reader"/> stands on, read in place (its bytes valid UTF-8):
    /// the evidence <see cref="Write(string, ReadOnlySpan{byte})"/> writes for them. Throws where it cannot be decided so.
    /// </summary>
    public void WriteInPlace(string kind, ref Utf8JsonReader reader)
    {
        _fast = false;
        _canonical.WriteInPlace(kind, ref reader);
        _fast = true;
    }

    private string? WriteUtf8(string kind)
    {
        var utf8 = _utf8.AsMemory(0, _utf8Length);
        _evidence.ResetWrittenCount();
        _fast = true;
        try
        {
            _canonical.Write(kind, utf8.Span);
            return null;
        }
        catch (Exception e) when (e is JsonException or Ledger.Canonical.JsonCanonicalizationException or InvalidOperationException or ArgumentException)
        {
            // Not decided in one reading (which may refuse more than it must): the document writer, then the reference way.
        }
        _fast = false;
        try
        {
            _canonical.Write(kind, utf8, _evidence);
            return null;
        }
        catch (Exception e) when (e is JsonException or Ledger.Canonical.JsonCanonicalizationException or InvalidOperationException or ArgumentException)
        {
            // Not decided by the fast way (which may refuse more than it must): the reference way decides, and says why.
        }
        _evidence.ResetWrittenCount();
        try
        {
            var reduced = ObjectEvidence.Reduce(kind, utf8.Span);
            // Inside [] the object is as deep as it is in the body, so the depth limit falls where it always did.
            var wrapped = new byte[reduced.Length + 2];
            wrapped[0] = (byte)'[';
            reduced.CopyTo(wrapped, 1);
            wrapped[^1] = (byte)']';
            var canonical = Ledger.Canonical.JsonCanonicalizer.Canonicalize(wrapped);
            _evidence.Write(canonical.AsSpan(1, canonical.Length - 2));
            return null;
        }
        catch (Exception e) when (e is JsonException or Ledger.Canonical.JsonCanonicalizationException or InvalidOperationException or ArgumentException)
        {
            return e.Message;
        }
    }
}
