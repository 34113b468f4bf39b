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

    /// <summary>Leaf hash of one entry: SHA-256(0x00 || entry).</summary>
    public static byte[] Leaf(ReadOnlySpan<byte> entry)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData([0x00]);
        hash.AppendData(entry);
        return hash.GetHashAndReset();
    }

    /// <summary>Interior node hash: SHA-256(0x01 || left || right).</summary>
    public static byte[] Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
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
        return SHA256.HashData(buffer);
    }
}
