namespace PolicyTrail.Ledger.Merkle;

/// <summary>Appends leaf hashes one by one and gives the RFC 6962 root at any size, keeping only O(log n) hashes.</summary>
/// <remarks>
/// It keeps the roots of the perfect subtrees that make up the tree (one per set bit of <see cref="Size"/>, largest first),
/// the "compact range" of transparency-dev. Not thread-safe.
/// </remarks>
public sealed class TreeBuilder
{
    // The frontier's hashes back to back, largest subtree first: one per set bit of Size, so at most 64.
    private readonly byte[] _subtrees = new byte[64 * MerkleHash.Size];
    private int _count;

    /// <summary>An empty tree.</summary>
    public TreeBuilder()
    {
    }

    /// <summary>Goes on from a tree of <paramref name="size"/> leaves whose <see cref="Frontier"/> was saved.</summary>
    public TreeBuilder(long size, IReadOnlyList<byte[]> frontier)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (frontier.Count != long.PopCount(size) || frontier.Any(h => h is not { Length: MerkleHash.Size }))
        {
            throw new ArgumentException($"a tree of {size} leaves has a frontier of {long.PopCount(size)} hashes of {MerkleHash.Size} bytes (got {frontier.Count})", nameof(frontier));
        }
        foreach (var hash in frontier)
        {
            Push(hash);
        }
        Size = size;
    }

    /// <summary>Number of leaves appended so far.</summary>
    public long Size { get; private set; }

    /// <summary>The roots of the perfect subtrees that make up the tree, largest first (one per set bit of <see cref="Size"/>).</summary>
    public IReadOnlyList<byte[]> Frontier => Enumerable.Range(0, _count).Select(i => At(i).ToArray()).ToArray();

    /// <summary>Appends the hash of the next leaf (<see cref="MerkleHash.Leaf"/> of the entry).</summary>
    public void Append(ReadOnlySpan<byte> leafHash) => Append(leafHash, -1);

    /// <summary>
    /// Appends the hash of the next leaf; when this completes an aligned perfect subtree of 2^<paramref name="height"/>
    /// leaves, returns its root (the one the tree computes anyway), else null.
    /// </summary>
    public byte[]? Append(ReadOnlySpan<byte> leafHash, int height)
    {
        if (leafHash.Length != MerkleHash.Size)
        {
            throw new ArgumentException($"a leaf hash is {MerkleHash.Size} bytes (got {leafHash.Length})", nameof(leafHash));
        }
        byte[]? completed = height == 0 ? leafHash.ToArray() : null;
        Span<byte> current = stackalloc byte[MerkleHash.Size];
        leafHash.CopyTo(current);
        // Each trailing 1 bit of the old size is a perfect subtree of the same height as the one being carried: merge them.
        var level = 0;
        for (var size = Size; (size & 1) == 1; size >>= 1)
        {
            MerkleHash.Node(Pop(), current, current);
            if (++level == height)
            {
                completed = current.ToArray();
            }
        }
        Push(current);
        Size++;
        return completed;
    }

    /// <summary>
    /// Appends a whole perfect subtree of 2^<paramref name="height"/> leaves by its root, as if its leaves were appended
    /// one by one; the tree's size must be a multiple of 2^<paramref name="height"/>.
    /// </summary>
    public void AppendSubtree(ReadOnlySpan<byte> root, int height)
    {
        if (root.Length != MerkleHash.Size)
        {
            throw new ArgumentException($"a subtree root is {MerkleHash.Size} bytes (got {root.Length})", nameof(root));
        }
        if (height is < 0 or > 62 || (Size & ((1L << height) - 1)) != 0)
        {
            throw new ArgumentException($"a subtree of height {height} cannot follow {Size} leaves", nameof(height));
        }
        Span<byte> current = stackalloc byte[MerkleHash.Size];
        root.CopyTo(current);
        // The frontier's smallest subtrees are at least this high: merge while the carried one has a twin on its left.
        for (var size = Size >> height; (size & 1) == 1; size >>= 1)
        {
            MerkleHash.Node(Pop(), current, current);
        }
        Push(current);
        Size += 1L << height;
    }

    /// <summary>Root hash of the tree of the leaves appended so far (<see cref="MerkleHash.Empty"/> when none).</summary>
    public byte[] Root()
    {
        if (_count == 0)
        {
            return MerkleHash.Empty;
        }
        // RFC 6962 splits at the largest power of two, so the smaller subtrees on the right fold first.
        var root = At(_count - 1).ToArray();
        for (var i = _count - 2; i >= 0; i--)
        {
            MerkleHash.Node(At(i), root, root);
        }
        return root;
    }

    private Span<byte> At(int i) => _subtrees.AsSpan(i * MerkleHash.Size, MerkleHash.Size);

    // The smallest subtree's hash, removed from the frontier (its bytes stay readable until the next push).
    private ReadOnlySpan<byte> Pop() => At(--_count);

    private void Push(ReadOnlySpan<byte> hash) => hash.CopyTo(At(_count++));
}
