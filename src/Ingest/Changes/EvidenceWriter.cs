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

    /// <summary>The evidence written by the last successful <see cref="Write"/>.</summary>
    public ReadOnlySpan<byte> Evidence => _evidence.WrittenSpan;

    /// <summary>The object's text as UTF-8, as given to the last <see cref="Write"/>.</summary>
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
        var utf8 = _utf8.AsMemory(0, _utf8Length);
        _evidence.ResetWrittenCount();
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
