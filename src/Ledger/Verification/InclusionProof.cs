using System.Text;
using System.Text.Json;
using PolicyTrail.Ledger.Canonical;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.Merkle;
using PolicyTrail.Ledger.Store;

namespace PolicyTrail.Ledger.Verification;

/// <summary>
/// A self-contained proof that one entry is in a log: the entry, its index, the RFC 6962 audit path and the signed
/// checkpoint it leads to. Checking it needs only the verifier key (see docs/VERIFYING.md, "Inclusion proofs").
/// </summary>
public sealed record InclusionProof(string Origin, long Index, long TreeSize, byte[] Entry, byte[] LeafHash, IReadOnlyList<byte[]> Path, string Checkpoint)
{
    /// <summary>The value of the document's "format" member.</summary>
    public const string FormatName = "policytrail-inclusion-proof/v1";

    /// <summary>Builds the proof of entry <paramref name="index"/> against the latest checkpoint that covers it.</summary>
    /// <remarks>For many entries, make one <see cref="InclusionProver"/> and prove them all with it.</remarks>
    public static InclusionProof Create(ILedgerStore store, long index)
    {
        ArgumentNullException.ThrowIfNull(store);
        using var prover = InclusionProver.ForLatestCheckpoint(store);
        if (index < 0 || index >= prover.TreeSize)
        {
            var size = store.LoadState()?.Size ?? 0;
            throw new ArgumentOutOfRangeException(nameof(index), index >= 0 && index < size
                ? $"entry {index} is not covered by the latest checkpoint (size {prover.TreeSize}) yet"
                : $"entry {index} does not exist (the log holds entries 0..{size - 1})");
        }
        return prover.Prove(index);
    }

    /// <summary>The proof as a JSON document (the entry embedded as its canonical JSON object), ending in a newline; <paramref name="indented"/> false gives one line.</summary>
    public byte[] ToJson(bool indented = true)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartObject();
            w.WriteString("format", FormatName);
            w.WriteString("origin", Origin);
            w.WriteNumber("index", Index);
            w.WriteNumber("treeSize", TreeSize);
            w.WriteString("leafHash", Convert.ToHexStringLower(LeafHash));
            w.WriteStartArray("auditPath");
            foreach (var hash in Path)
            {
                w.WriteStringValue(Convert.ToHexStringLower(hash));
            }
            w.WriteEndArray();
            w.WriteString("checkpoint", Checkpoint);
            w.WritePropertyName("entry");
            w.WriteRawValue(Entry, skipInputValidation: false);
            w.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }

    /// <summary>Reads a proof document; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static InclusionProof Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("a proof is a JSON object");
            }
            var format = Str(root, "format");
            if (format != FormatName)
            {
                throw new FormatException($"\"format\" is \"{format}\", expected \"{FormatName}\"");
            }
            if (!root.TryGetProperty("entry", out var entry) || entry.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("\"entry\" is missing or not an object");
            }
            byte[] canonical;
            try
            {
                canonical = JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(entry.GetRawText()));
            }
            catch (JsonCanonicalizationException e)
            {
                throw new FormatException($"\"entry\" cannot be canonicalized: {e.Message}", e);
            }
            if (!root.TryGetProperty("auditPath", out var path) || path.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("\"auditPath\" is missing or not an array");
            }
            var hashes = path.EnumerateArray().Select((h, i) => Hash(h, $"auditPath[{i}]")).ToArray();
            return new InclusionProof(Str(root, "origin"), Int(root, "index"), Int(root, "treeSize"), canonical, Hash(root.GetProperty("leafHash"), "leafHash"), hashes, Str(root, "checkpoint"));
        }
        catch (JsonException e)
        {
            throw new FormatException($"not JSON: {e.Message}", e);
        }
        catch (KeyNotFoundException e)
        {
            throw new FormatException(e.Message, e);
        }
    }

    /// <summary>Checks the proof: entry → leaf hash, leaf + path → root, root in a checkpoint signed by the key.</summary>
    public ProofVerification Verify(NoteVerifier key)
    {
        var leaf = MerkleHash.Leaf(Entry);
        if (!leaf.AsSpan().SequenceEqual(LeafHash))
        {
            return ProofVerification.Invalid("the entry does not hash to leafHash: the entry was changed");
        }
        using (var entry = JsonDocument.Parse(Entry))
        {
            if (!entry.RootElement.TryGetProperty("index", out var index) || !index.TryGetInt64(out var value) || value != Index)
            {
                return ProofVerification.Invalid($"the entry's own \"index\" is not {Index}");
            }
        }
        var note = SignedNote.Open(Encoding.UTF8.GetBytes(Checkpoint), key);
        if (!note.IsVerified)
        {
            return ProofVerification.Invalid($"checkpoint signature does not verify with key {key.Name}: {note.FailureReason}");
        }
        if (!Checkpoints.Checkpoint.TryParse(note.Text!, out var checkpoint, out var error))
        {
            return ProofVerification.Invalid($"signed text is not a checkpoint: {error}");
        }
        if (checkpoint.Origin != Origin)
        {
            return ProofVerification.Invalid($"checkpoint origin \"{checkpoint.Origin}\" differs from the proof's \"{Origin}\"");
        }
        if (checkpoint.Size != TreeSize)
        {
            return ProofVerification.Invalid($"checkpoint size {checkpoint.Size} differs from the proof's treeSize {TreeSize}");
        }
        return MerkleProofs.VerifyInclusion(leaf, Index, TreeSize, Path, checkpoint.RootHash);
    }

    private static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : throw new FormatException($"\"{name}\" is missing or not a string");

    private static long Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.TryGetInt64(out var v) ? v : throw new FormatException($"\"{name}\" is missing or not an integer");

    private static byte[] Hash(JsonElement e, string what)
    {
        if (e.ValueKind == JsonValueKind.String && e.GetString() is { Length: 64 } hex)
        {
            try
            {
                return Convert.FromHexString(hex);
            }
            catch (FormatException)
            {
            }
        }
        throw new FormatException($"\"{what}\" is not a 64-digit hex SHA-256");
    }
}
