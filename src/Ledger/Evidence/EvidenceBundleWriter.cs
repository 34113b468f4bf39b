using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Merkle;
using PolicyTrail.Ledger.Store;
using PolicyTrail.Ledger.Verification;

namespace PolicyTrail.Ledger.Evidence;

/// <summary>What an evidence bundle is to hold: the store filter, the period it stands for, and how it was asked for.</summary>
public sealed record EvidenceRequest
{
    /// <summary>The entries to include (its limit and order are ignored: see <see cref="Limit"/> and <see cref="Descending"/>).</summary>
    public required EntryFilter Filter { get; init; }

    /// <summary>Start of the period (Unix ns, inclusive); null: the beginning of the log.</summary>
    public long? Since { get; init; }

    /// <summary>End of the period (Unix ns, exclusive); null: open.</summary>
    public long? Until { get; init; }

    /// <summary>At most this many entries (the first ones in ledger order, or the last with <see cref="Descending"/>).</summary>
    public long? Limit { get; init; }

    /// <summary>With <see cref="Limit"/>: keep the last entries instead of the first.</summary>
    public bool Descending { get; init; }

    /// <summary>The options as the user gave them (option → values; a flag has no value), for the manifest and README.</summary>
    public IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> FiltersAsGiven { get; init; } = [];

    /// <summary>The key the checkpoint must verify with; it goes into the bundle as verifier.vkey.</summary>
    public required NoteVerifier Key { get; init; }

    /// <summary>When the bundle is made (the only thing that differs between two bundles of the same request).</summary>
    public required DateTimeOffset GeneratedAt { get; init; }

    /// <summary>What made the bundle, e.g. "policytrail 1.0.0".</summary>
    public string Generator { get; init; } = "policytrail";
}

/// <summary>What went into a bundle (and what could not), as the manifest and README state it.</summary>
public sealed record EvidenceSummary
{
    /// <summary>The log's origin line.</summary>
    public required string Origin { get; init; }

    /// <summary>The checkpoint's tree size.</summary>
    public required long TreeSize { get; init; }

    /// <summary>The checkpoint's root hash.</summary>
    public required byte[] RootHash { get; init; }

    /// <summary>Entries in entries.jsonl.</summary>
    public long Entries { get; init; }

    /// <summary>Matching entries appended after the checkpoint: not provable against it, so not in the bundle.</summary>
    public long EntriesAfterCheckpoint { get; init; }

    /// <summary>Matching entries the checkpoint covers that <see cref="EvidenceRequest.Limit"/> left out.</summary>
    public long EntriesLeftOutByLimit { get; init; }

    /// <summary>Lines of policies.jsonl that give the version in force when the period began.</summary>
    public long PoliciesInForceAtStart { get; init; }

    /// <summary>Lines of policies.jsonl that are changes made during the period.</summary>
    public long PolicyChangesInPeriod { get; init; }

    /// <summary>Policy changes that belong to the period but lie after the checkpoint (not in the bundle).</summary>
    public long PolicyChangesAfterCheckpoint { get; init; }

    /// <summary>How many 1,024-entry chunks of the log were read to prove it all.</summary>
    public long ChunksRead { get; init; }
}

/// <summary>
/// Writes an evidence bundle (docs/EVIDENCE.md): the entries a filter selects and the policy versions in force during its
/// period, each with an inclusion proof against the store's latest checkpoint, that checkpoint, the verifier key, a
/// manifest with every file's SHA-256 and a README for the auditor. Deterministic apart from the generation time.
/// </summary>
public static class EvidenceBundleWriter
{
    // Zip stores local DOS times from 1980 on: one fixed instant keeps two bundles of the same evidence byte-identical.
    private static readonly DateTimeOffset FixedTime = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Writes the bundle to <paramref name="output"/>; large parts are staged in a temporary folder that is removed after.</summary>
    /// <exception cref="EvidenceException">The store cannot give evidence (no checkpoint; the key does not verify it; the store does not match it).</exception>
    public static EvidenceSummary Write(ILedgerStore store, EvidenceRequest request, Stream output)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        var state = store.LoadState() ?? throw new EvidenceException($"{store.Description}: the store holds no log");
        var stored = store.ReadCheckpoints().LastOrDefault(c => c.Size > 0)
            ?? throw new EvidenceException($"{store.Description}: no checkpoint has been signed yet, so nothing can be proven (run 'policytrail ingest' or 'policytrail snapshot import' with the store's signing key: each run ends with a signed checkpoint)");
        var opened = SignedNote.Open(Encoding.UTF8.GetBytes(stored.Note), request.Key);
        if (!opened.IsVerified || !Checkpoints.Checkpoint.TryParse(opened.Text!, out var checkpoint, out _))
        {
            throw new EvidenceException($"{store.Description}: the latest checkpoint does not verify with key {request.Key.Name}: {opened.FailureReason ?? "not a checkpoint"} (give the store's verifier key with --key)", storeInconsistent: opened.IsVerified);
        }
        if (checkpoint.Size != stored.Size || checkpoint.Origin != state.Identity.Origin)
        {
            throw new EvidenceException($"{store.Description}: the latest checkpoint says origin \"{checkpoint.Origin}\" size {checkpoint.Size}, the store {state.Identity.Origin} size {stored.Size}: run 'policytrail verify'", storeInconsistent: true);
        }

        using var prover = new InclusionProver(store, stored, state.Identity.Origin);
        var (indexes, afterCheckpoint, leftOut) = Select(store, request, checkpoint.Size);
        var policies = PolicyVersions(store, request, checkpoint.Size, out var policiesAfterCheckpoint);

        var staging = Directory.CreateTempSubdirectory("policytrail-evidence-");
        try
        {
            var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
            void Stage(string name, Action<Stream> write)
            {
                using (var file = File.Create(Path.Combine(staging.FullName, name)))
                {
                    write(file);
                }
                using var read = File.OpenRead(Path.Combine(staging.FullName, name));
                files[name] = Convert.ToHexStringLower(SHA256.HashData(read));
            }

            Stage(EvidenceFormat.Checkpoint, s => s.Write(Encoding.UTF8.GetBytes(stored.Note)));
            Stage(EvidenceFormat.VerifierKey, s => s.Write(Encoding.UTF8.GetBytes(request.Key.Key + "\n")));
            Stage(EvidenceFormat.Entries, entries => Stage(EvidenceFormat.Proofs, proofs =>
            {
                foreach (var index in indexes)
                {
                    var proof = Proven(prover, index, checkpoint.RootHash);
                    EvidenceFormat.WriteLine(entries, index, proof.LeafHash, [], proof.Entry);
                    proofs.Write(proof.ToJson(indented: false));
                }
            }));
            Stage(EvidenceFormat.Policies, lines => Stage(EvidenceFormat.PolicyProofs, proofs =>
            {
                foreach (var policy in policies)
                {
                    var proof = Proven(prover, policy.Index, checkpoint.RootHash);
                    EvidenceFormat.WriteLine(lines, policy.Index, proof.LeafHash,
                    [
                        ("role", policy.Role), ("objectKind", policy.Kind), ("policy", policy.Name),
                        ("changeType", policy.ChangeType), ("time", EvidenceFormat.Time(policy.Time)),
                    ], proof.Entry);
                    proofs.Write(proof.ToJson(indented: false));
                }
            }));
            var summary = new EvidenceSummary
            {
                Origin = state.Identity.Origin,
                TreeSize = checkpoint.Size,
                RootHash = checkpoint.RootHash,
                Entries = indexes.Count,
                EntriesAfterCheckpoint = afterCheckpoint,
                EntriesLeftOutByLimit = leftOut,
                PoliciesInForceAtStart = policies.Count(p => p.Role == EvidenceFormat.InForceAtStart),
                PolicyChangesInPeriod = policies.Count(p => p.Role == EvidenceFormat.ChangedInPeriod),
                PolicyChangesAfterCheckpoint = policiesAfterCheckpoint,
                ChunksRead = prover.ChunksRead,
            };
            Stage(EvidenceFormat.Readme, s => s.Write(Encoding.UTF8.GetBytes(EvidenceReadme.Render(request, summary))));
            Stage(EvidenceFormat.Manifest, s => s.Write(Manifest(request, summary, files)));

            using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var name in EvidenceFormat.Files)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
                entry.LastWriteTime = FixedTime;
                entry.ExternalAttributes = Convert.ToInt32("100644", 8) << 16; // a regular file, rw-r--r--, when unpacked on Unix
                using var target = entry.Open();
                using var source = File.OpenRead(Path.Combine(staging.FullName, name));
                source.CopyTo(target);
            }
            return summary;
        }
        finally
        {
            staging.Delete(recursive: true);
        }
    }

    /// <summary>The covered indexes to include, and how many matching entries lie after the checkpoint or beyond the limit.</summary>
    private static (List<long> Indexes, long AfterCheckpoint, long LeftOut) Select(ILedgerStore store, EvidenceRequest request, long treeSize)
    {
        var covered = new List<long>();
        long after = 0;
        foreach (var row in store.Query(request.Filter with { Limit = null, Descending = false, FromIndex = null }))
        {
            if (row.Index < treeSize)
            {
                covered.Add(row.Index);
            }
            else
            {
                after++;
            }
        }
        if (request.Limit is not { } limit || covered.Count <= limit)
        {
            return (covered, after, 0);
        }
        var kept = request.Descending ? covered.GetRange(covered.Count - (int)limit, (int)limit) : covered.GetRange(0, (int)limit);
        return (kept, after, covered.Count - limit);
    }

    private sealed record PolicyLine(long Index, long Time, string Role, string Kind, string Name, string ChangeType);

    /// <summary>
    /// The policy versions in force during the period: per policy (kind, namespace, name), the last change before the
    /// period's start unless it was a deletion, then every change inside the period; in index order.
    /// </summary>
    private static List<PolicyLine> PolicyVersions(ILedgerStore store, EvidenceRequest request, long treeSize, out long afterCheckpoint)
    {
        var fragments = new FragmentTable(store.ReadFragments());
        var atStart = new Dictionary<(string Kind, string Name), PolicyLine>();
        var during = new List<PolicyLine>();
        foreach (var row in store.Query(new EntryFilter { Kind = EntryKind.PolicyChange, Until = request.Until }))
        {
            if (row.Body is null)
            {
                continue; // an audit-log record of something that is not a followed policy: no version of one
            }
            using var entry = JsonDocument.Parse(EntryTemplates.Rebuild(row, fragments));
            if (!entry.RootElement.TryGetProperty("change", out var change) || change.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            var kind = Text(change, "objectKind") ?? "?";
            var name = Text(change, "namespace") is { } ns ? $"{ns}/{Text(change, "name")}" : Text(change, "name") ?? "?";
            var line = new PolicyLine(row.Index, row.Time, EvidenceFormat.ChangedInPeriod, kind, name, Text(change, "type") ?? "?");
            if (request.Since is { } since && row.Time < since)
            {
                // Changes come in index order, not time order: keep the latest in time (then in index).
                if (!atStart.TryGetValue((kind, name), out var previous) || (previous.Time, previous.Index).CompareTo((row.Time, row.Index)) < 0)
                {
                    atStart[(kind, name)] = line with { Role = EvidenceFormat.InForceAtStart };
                }
            }
            else
            {
                during.Add(line);
            }
        }
        var all = atStart.Values.Where(p => p.ChangeType != "deleted").Concat(during).OrderBy(p => p.Index).ToList();
        afterCheckpoint = all.Count(p => p.Index >= treeSize);
        return [.. all.Where(p => p.Index < treeSize)];
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    /// <summary>The proof of one entry, checked against the checkpoint's root before it goes into the bundle.</summary>
    private static InclusionProof Proven(InclusionProver prover, long index, byte[] root)
    {
        InclusionProof proof;
        try
        {
            proof = prover.Prove(index);
        }
        catch (InvalidDataException e)
        {
            throw new EvidenceException($"the store cannot prove entry {index}: {e.Message} (run 'policytrail verify')", storeInconsistent: true);
        }
        var check = MerkleProofs.VerifyInclusion(proof.LeafHash, index, proof.TreeSize, proof.Path, root);
        return check.IsValid
            ? proof
            : throw new EvidenceException($"the store does not match its checkpoint at entry {index}: {check.FailureReason} (run 'policytrail verify')", storeInconsistent: true);
    }

    private static byte[] Manifest(EvidenceRequest request, EvidenceSummary summary, IReadOnlyDictionary<string, string> files)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", EvidenceFormat.FormatName);
            w.WriteString("generatedAt", EvidenceFormat.Time(request.GeneratedAt.ToUnixTimeMilliseconds() * 1_000_000));
            w.WriteString("generator", request.Generator);
            w.WriteString("origin", summary.Origin);
            w.WriteStartObject("period");
            WriteTime(w, "since", request.Since);
            WriteTime(w, "until", request.Until);
            w.WriteEndObject();
            w.WriteStartObject("filters");
            foreach (var (option, values) in request.FiltersAsGiven)
            {
                w.WriteStartArray(option);
                foreach (var value in values)
                {
                    w.WriteStringValue(value);
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
            if (request.Limit is { } limit)
            {
                w.WriteNumber("limit", limit);
            }
            w.WriteStartObject("checkpoint");
            w.WriteNumber("treeSize", summary.TreeSize);
            w.WriteString("rootHash", Convert.ToHexStringLower(summary.RootHash));
            w.WriteString("keyName", request.Key.Name);
            w.WriteString("keyId", request.Key.KeyId.ToString("x8", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteEndObject();
            w.WriteStartObject("counts");
            w.WriteNumber("entries", summary.Entries);
            w.WriteNumber("entriesAfterCheckpoint", summary.EntriesAfterCheckpoint);
            w.WriteNumber("entriesLeftOutByLimit", summary.EntriesLeftOutByLimit);
            w.WriteNumber("policies", summary.PoliciesInForceAtStart + summary.PolicyChangesInPeriod);
            w.WriteNumber("policiesInForceAtStart", summary.PoliciesInForceAtStart);
            w.WriteNumber("policyChangesInPeriod", summary.PolicyChangesInPeriod);
            w.WriteNumber("policyChangesAfterCheckpoint", summary.PolicyChangesAfterCheckpoint);
            w.WriteEndObject();
            w.WriteStartObject("files");
            foreach (var (name, sha256) in files)
            {
                w.WriteString(name, sha256);
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }

    private static void WriteTime(Utf8JsonWriter w, string name, long? unixNanos)
    {
        if (unixNanos is { } t)
        {
            w.WriteString(name, EvidenceFormat.Time(t));
        }
        else
        {
            w.WriteNull(name);
        }
    }
}

/// <summary>The store cannot give the evidence asked for; the message is one line for users.</summary>
public sealed class EvidenceException(string message, bool storeInconsistent = false) : Exception(message)
{
    /// <summary>The store does not match its own signed checkpoint (a finding, not a usage error).</summary>
    public bool StoreInconsistent { get; } = storeInconsistent;
}
