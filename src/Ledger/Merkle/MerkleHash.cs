using System.Security.Cryptography;

namespace PolicyTrail.Ledger.Merkle;

/// <summary>RFC 6962 / RFC 9162 §2.1.1 hashing over SHA-256, with the 0x00 / 0x01 prefixes that keep leaves and nodes apart.</summary>
public static class MerkleHash
{
    /// <summary>Length in bytes of every hash in the tree.</summary>
    public const int Size = SHA256.HashSizeInBytes;

    private static readonly byte[] EmptyHash = SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>Root of the empty tree: SHA-256 of the empty string (a fresh copy each time).</summary>
    public static byte[] Empty => (byte[])EmptyHash.Clone();

    // One reusable hash object per thread: a one-shot SHA256.HashData sets up and frees OpenSSL state on every call,
    // which costs more than hashing a node.
    [ThreadStatic]
    private static IncrementalHash? _sha256;

    private static IncrementalHash Sha256 => _sha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Leaf hash of one entry: SHA-256(0x00 || entry).</summary>
    public static byte[] Leaf(ReadOnlySpan<byte> entry)
    {
        var hash = Sha256;
        hash.AppendData([0x00]);
        hash.AppendData(entry);
        return hash.GetHashAndReset();
    }

    /// <summary>Leaf hash of bytes that already start with the 0x00 prefix (saves a copy when the caller built them so).</summary>
    public static byte[] LeafOfPrefixed(ReadOnlySpan<byte> prefixedEntry)
    {
        var leaf = new byte[Size];
        LeafOfPrefixed(prefixedEntry, leaf);
        return leaf;
    }

    /// <summary>Leaf hash of bytes that already start with the 0x00 prefix, written into <paramref name="destination"/> (32 bytes).</summary>
    public static void LeafOfPrefixed(ReadOnlySpan<byte> prefixedEntry, Span<byte> destination)
    {
        if (prefixedEntry.IsEmpty || prefixedEntry[0] != 0x00)
        {
            throw new ArgumentException("a prefixed leaf starts with the byte 0x00", nameof(prefixedEntry));
        }
        Hash(prefixedEntry, destination);
    }

    /// <summary>
    /// Root of the perfect subtree over <paramref name="leaves"/> (a power of two of 32-byte leaf hashes, back to back),
    /// written into <paramref name="destination"/>; <paramref name="scratch"/> holds at least half of the leaves' bytes.
    /// </summary>
    public static void PerfectRoot(ReadOnlySpan<byte> leaves, Span<byte> scratch, Span<byte> destination)
    {
        var count = leaves.Length / Size;
        if (count == 0 || leaves.Length % Size != 0 || (count & (count - 1)) != 0 || scratch.Length < leaves.Length / 2)
        {
            throw new ArgumentException($"a perfect subtree has a power of two of {Size}-byte leaves and scratch for half of them (got {leaves.Length} and {scratch.Length} bytes)");
        }
        if (count == 1)
        {
            leaves[..Size].CopyTo(destination);
            return;
        }
        Span<byte> pair = stackalloc byte[1 + 2 * Size];
        pair[0] = 0x01;
        // The first level reads the leaves, the others fold the scratch in place (node j is written after 2j and 2j+1 were read).
        var from = leaves;
        for (var width = count / 2; width >= 1; width /= 2)
        {
            for (var j = 0; j < width; j++)
            {
                from.Slice(2 * j * Size, 2 * Size).CopyTo(pair[1..]);
                Hash(pair, width == 1 ? destination : scratch.Slice(j * Size, Size));
            }
            from = scratch;
        }
    }

    // SHA-256 into a span: libcrypto's SHA256_Init/Update/Final where they are (NativeSha256), else the thread's reusable hash.
    private static void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (NativeSha256.Available)
        {
            NativeSha256.HashData(data, destination);
            return;
        }
        var hash = Sha256;
        hash.AppendData(data);
        hash.GetHashAndReset(destination);
    }

    /// <summary>Interior node hash: SHA-256(0x01 || left || right).</summary>
    public static byte[] Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var node = new byte[Size];
        Node(left, right, node);
        return node;
    }

    /// <summary>Interior node hash written into <paramref name="destination"/> (32 bytes; it may overlap a child).</summary>
    public static void Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        // Children of a proof may come from untrusted input; a wrong length would silently change the tree.
        if (left.Length != Size || right.Length != Size)
        {
            throw new ArgumentException($"node children must be {Size}-byte hashes (got {left.Length} and {right.Length})");
        }
        Span<byte> buffer = stackalloc byte[1 + 2 * Size];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + Size)..]);
        Hash(buffer, destination);
    }
}
