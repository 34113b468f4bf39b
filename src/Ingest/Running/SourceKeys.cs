using System.Security.Cryptography;
using PolicyTrail.Sources.Reading;

namespace PolicyTrail.Ingest.Running;

/// <summary>
/// Names a source for its stored position: a file by its full path, standard input by a digest of its first bytes.
/// The fingerprint ("n:sha256") is the SHA-256 of the first n (≤ 4,096) bytes, after gzip decompression: a file that
/// only grew keeps it, a file that was replaced (rotated, rewritten) does not.
/// </summary>
public static class SourceKeys
{
    /// <summary>Bytes covered by a fingerprint.</summary>
    public const int FingerprintBytes = 4096;

    /// <summary>The fingerprint of a file's first bytes.</summary>
    public static string Fingerprint(Input input, Func<Stream> stdin)
    {
        using var stream = Inputs.Open(input, stdin);
        return Fingerprint(Head(stream));
    }

    /// <summary>The fingerprint of bytes already read.</summary>
    public static string Fingerprint(ReadOnlySpan<byte> head) =>
        $"{head.Length}:{Convert.ToHexStringLower(SHA256.HashData(head))}";

    /// <summary>Whether the input still starts with the bytes a stored fingerprint covers.</summary>
    public static bool StillMatches(string stored, Input input, Func<Stream> stdin)
    {
        var colon = stored.IndexOf(':');
        if (colon <= 0 || !int.TryParse(stored.AsSpan(0, colon), out var length))
        {
            return false;
        }
        using var stream = Inputs.Open(input, stdin);
        var head = Head(stream);
        return head.Length >= length && Fingerprint(head.AsSpan(0, length)) == stored;
    }

    /// <summary>Up to <see cref="FingerprintBytes"/> first bytes of a stream.</summary>
    public static byte[] Head(Stream stream)
    {
        var buffer = new byte[FingerprintBytes];
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return buffer[..read];
    }

    /// <summary>Standard input with its first bytes read ahead (for its fingerprint) and given back on reading.</summary>
    public static (Stream Stream, byte[] Head) PeekStdin(Stream stdin)
    {
        var head = Head(stdin);
        return (new PrefixedStream(head, stdin), head);
    }

    private sealed class PrefixedStream(byte[] prefix, Stream rest) : ReadOnlyStream
    {
        private int _position;

        public override int Read(Span<byte> buffer)
        {
            if (_position < prefix.Length)
            {
                var n = Math.Min(buffer.Length, prefix.Length - _position);
                prefix.AsSpan(_position, n).CopyTo(buffer);
                _position += n;
                return n;
            }
            return rest.Read(buffer);
        }
    }
}
