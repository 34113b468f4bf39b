using System.Numerics;

namespace PolicyTrail.Ledger.Merkle;

/// <summary>Outcome of checking a proof: valid, or invalid with the reason (proof checks never throw on bad input).</summary>
public readonly record struct ProofVerification(bool IsValid, string? FailureReason)
{
    /// <summary>The proof checks out.</summary>
    public static ProofVerification Valid => new(true, null);

    /// <summary>The proof does not check out, for <paramref name="reason"/>.</summary>
    public static ProofVerification Invalid(string reason) => new(false, reason);
}

/// <summary>RFC 6962 §2.1 / RFC 9162 §2.1 tree heads, inclusion and consistency proofs, and their verifiers.</summary>
/// <remarks>
/// Leaves are always given as leaf hashes (<see cref="MerkleHash.Leaf"/> of the entry). Generation takes an
/// <see cref="ISubtreeHashes"/>; the overloads taking a leaf accessor build a fresh cache per call, so a caller proving many
/// entries of one log should make one <see cref="CreateSubtreeHashes"/> and reuse it (see its complexity notes).
/// </remarks>
public static class MerkleProofs
{
    /// <summary>Subtree hashes over a leaf-hash accessor with a cache of perfect subtrees, to share across many proofs of one log.</summary>
    public static ISubtreeHashes CreateSubtreeHashes(Func<long, byte[]> leafAt) => new CachedSubtreeHashes(leafAt);

    /// <summary>RFC 6962 MTH of the leaf hashes <paramref name="leaves"/>[start..end); the empty range gives <see cref="MerkleHash.Empty"/>.</summary>
    public static byte[] Root(IReadOnlyList<byte[]> leaves, long start, long end)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfLessThan(end, start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(end, leaves.Count);
        if (start == end)
        {
            return MerkleHash.Empty;
        }
        var builder = new TreeBuilder();
        for (var i = start; i < end; i++)
        {
            builder.Append(leaves[checked((int)i)]);
        }
        return builder.Root();
    }

    /// <summary>RFC 6962 PATH: the audit path of leaf <paramref name="index"/> in the tree of the first <paramref name="size"/> leaves.</summary>
    public static IReadOnlyList<byte[]> Inclusion(Func<long, byte[]> leafAt, long index, long size) =>
        Inclusion(new CachedSubtreeHashes(leafAt), index, size);

    /// <summary>RFC 6962 PATH over shared subtree hashes: O(log n) hashes returned, leaf first.</summary>
    public static IReadOnlyList<byte[]> Inclusion(ISubtreeHashes tree, long index, long size)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, size);
        var proof = new List<byte[]>(64);
        Path(tree, index, 0, size, proof);
        return proof;
    }

    /// <summary>RFC 6962 PROOF: the consistency proof from the tree of <paramref name="oldSize"/> leaves to that of <paramref name="newSize"/>.</summary>
    public static IReadOnlyList<byte[]> Consistency(Func<long, byte[]> leafAt, long oldSize, long newSize) =>
        Consistency(new CachedSubtreeHashes(leafAt), oldSize, newSize);

    /// <summary>RFC 6962 PROOF over shared subtree hashes; empty when oldSize is 0 or equals newSize.</summary>
    public static IReadOnlyList<byte[]> Consistency(ISubtreeHashes tree, long oldSize, long newSize)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentOutOfRangeException.ThrowIfNegative(oldSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(newSize, oldSize);
        var proof = new List<byte[]>(64);
        if (oldSize > 0 && oldSize < newSize)
        {
            SubProof(tree, oldSize, 0, newSize, true, proof);
        }
        return proof;
    }

    /// <summary>RFC 9162 §2.1.3.2: checks that <paramref name="leafHash"/> is leaf <paramref name="index"/> of the tree of <paramref name="size"/> leaves with <paramref name="root"/>.</summary>
    public static ProofVerification VerifyInclusion(byte[] leafHash, long index, long size, IReadOnlyList<byte[]> proof, byte[] root)
    {
        if (CheckHashes(leafHash, root, proof) is { } bad)
        {
            return bad;
        }
        if (size <= 0)
        {
            return ProofVerification.Invalid($"tree size {size} has no leaves to include");
        }
        if (index < 0 || index >= size)
        {
            return ProofVerification.Invalid($"leaf index {index} is outside a tree of size {size}");
        }
        var expected = InclusionLength(index, size);
        if (proof.Count != expected)
        {
            return ProofVerification.Invalid($"proof has {proof.Count} hashes; leaf {index} of a tree of size {size} needs {expected}");
        }
        long fn = index, sn = size - 1;
        var r = leafHash;
        foreach (var p in proof)
        {
            if ((fn & 1) == 1 || fn == sn)
            {
                r = MerkleHash.Node(p, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                r = MerkleHash.Node(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return r.AsSpan().SequenceEqual(root)
            ? ProofVerification.Valid
            : ProofVerification.Invalid($"the root computed from the proof for leaf {index} differs from the expected root of the tree of size {size}");
    }

    /// <summary>RFC 9162 §2.1.4.2: checks that the tree of <paramref name="oldSize"/> leaves with <paramref name="oldRoot"/> is a prefix of the tree with <paramref name="newRoot"/>.</summary>
    /// <remarks>Stricter than RFC 9162 for empty trees: a size-0 root must be <see cref="MerkleHash.Empty"/>.</remarks>
    public static ProofVerification VerifyConsistency(long oldSize, long newSize, byte[] oldRoot, byte[] newRoot, IReadOnlyList<byte[]> proof)
    {
        if (CheckHashes(oldRoot, newRoot, proof) is { } bad)
        {
            return bad;
        }
        if (oldSize < 0 || newSize < oldSize)
        {
            return ProofVerification.Invalid($"old size {oldSize} is not between 0 and the new size {newSize}");
        }
        if (oldSize == 0)
        {
            if (proof.Count != 0)
            {
                return ProofVerification.Invalid($"proof from the empty tree must be empty (has {proof.Count} hashes)");
            }
            if (!oldRoot.AsSpan().SequenceEqual(MerkleHash.Empty))
            {
                return ProofVerification.Invalid("the old root of an empty tree is not SHA-256 of the empty string");
            }
            return newSize != 0 || newRoot.AsSpan().SequenceEqual(oldRoot)
                ? ProofVerification.Valid
                : ProofVerification.Invalid("the new root of an empty tree is not SHA-256 of the empty string");
        }
        if (oldSize == newSize)
        {
            if (proof.Count != 0)
            {
                return ProofVerification.Invalid($"proof between equal sizes must be empty (has {proof.Count} hashes)");
            }
            return oldRoot.AsSpan().SequenceEqual(newRoot)
                ? ProofVerification.Valid
                : ProofVerification.Invalid($"two different roots for the same tree size {oldSize}");
        }
        var expected = ConsistencyLength(oldSize, newSize);
        if (proof.Count != expected)
        {
            return ProofVerification.Invalid($"proof has {proof.Count} hashes; from size {oldSize} to {newSize} it needs {expected}");
        }
        IReadOnlyList<byte[]> path = IsPowerOfTwo(oldSize) ? [oldRoot, .. proof] : proof;
        long fn = oldSize - 1, sn = newSize - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }
        byte[] fr = path[0], sr = path[0];
        for (var i = 1; i < path.Count; i++)
        {
            var c = path[i];
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleHash.Node(c, fr);
                sr = MerkleHash.Node(c, sr);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                sr = MerkleHash.Node(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        if (!fr.AsSpan().SequenceEqual(oldRoot))
        {
            return ProofVerification.Invalid($"the old root computed from the proof differs from the root of the tree of size {oldSize}");
        }
        return sr.AsSpan().SequenceEqual(newRoot)
            ? ProofVerification.Valid
            : ProofVerification.Invalid($"the new root computed from the proof differs from the root of the tree of size {newSize}");
    }

    /// <summary>Largest power of two strictly below <paramref name="n"/> (n ≥ 2): where RFC 6962 splits a tree.</summary>
    internal static long LargestPowerOfTwoBelow(long n) => 1L << BitOperations.Log2((ulong)(n - 1));

    private static bool IsPowerOfTwo(long n) => (n & (n - 1)) == 0;

    /// <summary>Number of hashes in the audit path of leaf <paramref name="index"/> (the RFC 9162 loop run without hashing).</summary>
    internal static int InclusionLength(long index, long size) => PathLength(index, size - 1);

    /// <summary>Number of hashes in the consistency proof between two sizes, 0 &lt; old &lt; new (the RFC 9162 loop run without hashing).</summary>
    internal static int ConsistencyLength(long oldSize, long newSize)
    {
        long fn = oldSize - 1, sn = newSize - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }
        var length = PathLength(fn, sn);
        // The first path element is the old root itself when the old size is a power of two, so it is not sent.
        return IsPowerOfTwo(oldSize) ? length : length + 1;
    }

    /// <summary>Steps of the RFC 9162 verification loop from node fn up to root sn, counted without hashing.</summary>
    private static int PathLength(long fn, long sn)
    {
        var length = 0;
        while (sn != 0)
        {
            if ((fn & 1) == 0 && fn == sn)
            {
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            fn >>= 1;
            sn >>= 1;
            length++;
        }
        return length;
    }

    private static ProofVerification? CheckHashes(byte[]? first, byte[]? second, IReadOnlyList<byte[]>? proof)
    {
        if (first is not { Length: MerkleHash.Size } || second is not { Length: MerkleHash.Size })
        {
            return ProofVerification.Invalid($"hashes must be {MerkleHash.Size} bytes (got {first?.Length.ToString() ?? "null"} and {second?.Length.ToString() ?? "null"})");
        }
        if (proof is null)
        {
            return ProofVerification.Invalid("no proof given");
        }
        for (var i = 0; i < proof.Count; i++)
        {
            if (proof[i] is not { Length: MerkleHash.Size })
            {
                return ProofVerification.Invalid($"proof hash {i} is not {MerkleHash.Size} bytes");
            }
        }
        return null;
    }

    // Subtree hashes may be the cache's own arrays; a caller editing a proof must not corrupt later proofs.
    private static byte[] Copy(byte[] hash) => (byte[])hash.Clone();

    private static void Path(ISubtreeHashes tree, long m, long start, long end, List<byte[]> proof)
    {
        var n = end - start;
        if (n == 1)
        {
            return;
        }
        var k = LargestPowerOfTwoBelow(n);
        if (m < k)
        {
            Path(tree, m, start, start + k, proof);
            proof.Add(Copy(tree.Hash(start + k, end)));
        }
        else
        {
            Path(tree, m - k, start + k, end, proof);
            proof.Add(Copy(tree.Hash(start, start + k)));
        }
    }

    private static void SubProof(ISubtreeHashes tree, long m, long start, long end, bool completeSubtree, List<byte[]> proof)
    {
        var n = end - start;
        if (m == n)
        {
            // A verifier that holds this subtree's root (the old tree head) needs nothing more for it.
            if (!completeSubtree)
            {
                proof.Add(Copy(tree.Hash(start, end)));
            }
            return;
        }
        var k = LargestPowerOfTwoBelow(n);
        if (m <= k)
        {
            SubProof(tree, m, start, start + k, completeSubtree, proof);
            proof.Add(Copy(tree.Hash(start + k, end)));
        }
        else
        {
            SubProof(tree, m - k, start + k, end, false, proof);
            proof.Add(Copy(tree.Hash(start, start + k)));
        }
    }
}
