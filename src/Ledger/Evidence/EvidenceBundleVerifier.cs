using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PolicyTrail.Ledger.Canonical;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.Merkle;
using PolicyTrail.Ledger.Verification;

namespace PolicyTrail.Ledger.Evidence;

/// <summary>One thing wrong in a bundle: the file, the line (1-based) when it is about one, and what.</summary>
public sealed record BundleProblem(string File, long? Line, string Message)
{
    /// <summary>"file line N: message".</summary>
    public override string ToString() => Line is { } line ? $"{File} line {line}: {Message}" : $"{File}: {Message}";
}

/// <summary>The outcome of checking a bundle: unusable (not a bundle), or verified with the problems found (none: all good).</summary>
public sealed record BundleVerification
{
    /// <summary>Why the input is not a bundle at all (then nothing else was checked); null when it is one.</summary>
    public string? Unusable { get; init; }

    /// <summary>Every problem found (at most <see cref="EvidenceBundleVerifier.ProblemsPerFile"/> per file, then a count).</summary>
    public IReadOnlyList<BundleProblem> Problems { get; init; } = [];

    /// <summary>Whether the bundle verified: usable and without problems.</summary>
    public bool Verified => Unusable is null && Problems.Count == 0;

    /// <summary>The log's origin, from the checkpoint.</summary>
    public string? Origin { get; init; }

    /// <summary>The checkpoint's tree size.</summary>
    public long TreeSize { get; init; }

    /// <summary>The checkpoint's root hash.</summary>
    public byte[]? RootHash { get; init; }

    /// <summary>The bundled verifier key, as its file holds it.</summary>
    public string? BundledKey { get; init; }

    /// <summary>Whether a trusted key was given and the checkpoint verifies with it.</summary>
    public bool SignedByTrustedKey { get; init; }

    /// <summary>Entry lines checked.</summary>
    public long Entries { get; init; }

    /// <summary>Policy lines checked.</summary>
    public long Policies { get; init; }

    /// <summary>From the manifest: matching entries after the checkpoint, left out of the bundle.</summary>
    public long EntriesAfterCheckpoint { get; init; }

    /// <summary>From the manifest: policy changes of the period after the checkpoint, left out.</summary>
    public long PolicyChangesAfterCheckpoint { get; init; }
}

/// <summary>
/// Checks an evidence bundle offline: every file against the manifest, the checkpoint's signature (bundled key, and a
/// trusted key when given), every entry line's bytes and leaf hash, and every proof against the checkpoint's root and
/// against its entry line (docs/EVIDENCE.md).
/// </summary>
public static class EvidenceBundleVerifier
{
    /// <summary>Problems listed per file before the rest are only counted.</summary>
    public const int ProblemsPerFile = 20;

    private const int MaxLine = 64 << 20;

    /// <summary>Checks the bundle in <paramref name="zip"/> (a seekable stream); <paramref name="trusted"/> is the auditor's key, when given.</summary>
    public static BundleVerification Verify(Stream zip, NoteVerifier? trusted)
    {
        ArgumentNullException.ThrowIfNull(zip);
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            return new BundleVerification { Unusable = $"not a zip archive: {e.Message}" };
        }
        using (archive)
        {
            try
            {
                return new Check(archive, trusted).Run();
            }
            catch (InvalidDataException e)
            {
                // A damaged archive (bad compressed data, a runaway line): nothing more can be read from it.
                return new BundleVerification { Unusable = $"the archive cannot be read: {e.Message}" };
            }
        }
    }

    private sealed class Check(ZipArchive archive, NoteVerifier? trusted)
    {
        private readonly List<BundleProblem> _problems = [];
        private readonly Dictionary<string, int> _perFile = [];
        private string? _origin;
        private long _size;
        private byte[]? _root;
        private string? _note;

        private void Problem(string file, long? line, string message)
        {
            var count = _perFile[file] = _perFile.GetValueOrDefault(file) + 1;
            if (count <= ProblemsPerFile)
            {
                _problems.Add(new BundleProblem(file, line, message));
            }
        }

        public BundleVerification Run()
        {
            var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
            foreach (var entry in archive.Entries)
            {
                if (!entries.TryAdd(entry.FullName, entry))
                {
                    Problem(entry.FullName, null, "appears twice in the archive");
                }
            }
            if (!entries.TryGetValue(EvidenceFormat.Manifest, out var manifestEntry))
            {
                return new BundleVerification { Unusable = $"no {EvidenceFormat.Manifest}: not a PolicyTrail evidence bundle" };
            }
            JsonDocument manifest;
            try
            {
                manifest = JsonDocument.Parse(ReadAll(manifestEntry));
            }
            catch (Exception e) when (e is JsonException or InvalidDataException)
            {
                return new BundleVerification { Unusable = $"{EvidenceFormat.Manifest} is not JSON: {e.Message}" };
            }
            using (manifest)
            {
                var root = manifest.RootElement;
                if (root.ValueKind != JsonValueKind.Object || Text(root, "format") != EvidenceFormat.FormatName)
                {
                    return new BundleVerification { Unusable = $"{EvidenceFormat.Manifest}: \"format\" is not \"{EvidenceFormat.FormatName}\": not a bundle this version reads" };
                }
                return Verify(root, entries);
            }
        }

        private BundleVerification Verify(JsonElement manifest, Dictionary<string, ZipArchiveEntry> entries)
        {
            // (1) Every file against the manifest, and nothing in the archive the manifest does not list.
            var listed = manifest.TryGetProperty("files", out var files) && files.ValueKind == JsonValueKind.Object ? files : default;
            if (listed.ValueKind != JsonValueKind.Object)
            {
                Problem(EvidenceFormat.Manifest, null, "\"files\" is missing: no file can be checked against it");
            }
            foreach (var name in EvidenceFormat.Files.Where(f => f != EvidenceFormat.Manifest))
            {
                if (!entries.TryGetValue(name, out var entry))
                {
                    Problem(name, null, "is missing from the bundle");
                    continue;
                }
                if (listed.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }
                if (Text(listed, name) is not { } expected)
                {
                    Problem(EvidenceFormat.Manifest, null, $"\"files\" lists no SHA-256 for {name}");
                    continue;
                }
                using var stream = entry.Open();
                var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
                if (actual != expected)
                {
                    Problem(name, null, $"SHA-256 {actual} differs from the manifest's {expected}: the file was changed");
                }
            }
            foreach (var name in entries.Keys.Where(n => !EvidenceFormat.Files.Contains(n)))
            {
                Problem(name, null, "is not part of a bundle (not listed in manifest.json)");
            }

            // (2) The key and the checkpoint's signature.
            string? bundledKey = null;
            NoteVerifier? bundled = null;
            if (entries.TryGetValue(EvidenceFormat.VerifierKey, out var keyEntry))
            {
                bundledKey = Encoding.UTF8.GetString(ReadAll(keyEntry)).Trim();
                try
                {
                    bundled = NoteVerifier.FromKey(bundledKey);
                }
                catch (FormatException e)
                {
                    Problem(EvidenceFormat.VerifierKey, null, $"not a verifier key: {e.Message}");
                }
            }
            var signedByTrusted = false;
            if (entries.TryGetValue(EvidenceFormat.Checkpoint, out var checkpointEntry))
            {
                var noteBytes = ReadAll(checkpointEntry);
                _note = Encoding.UTF8.GetString(noteBytes);
                string? text = null;
                if (bundled is not null)
                {
                    var opened = SignedNote.Open(noteBytes, bundled);
                    if (opened.IsVerified)
                    {
                        text = opened.Text;
                    }
                    else
                    {
                        Problem(EvidenceFormat.Checkpoint, null, $"the signature does not verify with the bundled key {bundled.Name}: {opened.FailureReason}");
                    }
                }
                if (trusted is not null)
                {
                    var opened = SignedNote.Open(noteBytes, trusted);
                    if (opened.IsVerified)
                    {
                        text = opened.Text;
                        signedByTrusted = true;
                    }
                    else
                    {
                        Problem(EvidenceFormat.Checkpoint, null, $"not signed by the trusted key {trusted.Name}+{trusted.KeyId:x8} (--key): {opened.FailureReason}");
                    }
                }
                // Without a verified signature the text is still read, so that the proofs are checked and reported too.
                text ??= UnverifiedText(_note);
                if (text is null)
                {
                    Problem(EvidenceFormat.Checkpoint, null, "not a signed note: no blank line before the signatures");
                }
                else if (Checkpoint.TryParse(text, out var checkpoint, out var error))
                {
                    (_origin, _size, _root) = (checkpoint.Origin, checkpoint.Size, checkpoint.RootHash);
                }
                else
                {
                    Problem(EvidenceFormat.Checkpoint, null, $"not a checkpoint: {error}");
                }
            }
            if (_root is not null && manifest.TryGetProperty("checkpoint", out var stated) && stated.ValueKind == JsonValueKind.Object)
            {
                if (!stated.TryGetProperty("treeSize", out var size) || !size.TryGetInt64(out var s) || s != _size)
                {
                    Problem(EvidenceFormat.Manifest, null, $"checkpoint.treeSize differs from the checkpoint's size {_size}");
                }
                if (Text(stated, "rootHash") != Convert.ToHexStringLower(_root))
                {
                    Problem(EvidenceFormat.Manifest, null, $"checkpoint.rootHash differs from the checkpoint's root {Convert.ToHexStringLower(_root)}");
                }
            }
            if (_origin is not null && Text(manifest, "origin") != _origin)
            {
                Problem(EvidenceFormat.Manifest, null, $"origin differs from the checkpoint's \"{_origin}\"");
            }

            // (3) Every entry line and its proof.
            var entryCount = Lines(entries, EvidenceFormat.Entries, EvidenceFormat.Proofs, policies: false);
            var policyCount = Lines(entries, EvidenceFormat.Policies, EvidenceFormat.PolicyProofs, policies: true);
            var counts = manifest.TryGetProperty("counts", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
            CheckCount(counts, "entries", entryCount, EvidenceFormat.Entries);
            CheckCount(counts, "policies", policyCount, EvidenceFormat.Policies);

            foreach (var (file, count) in _perFile.Where(p => p.Value > ProblemsPerFile).OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                _problems.Add(new BundleProblem(file, null, $"{count - ProblemsPerFile} more problems not listed"));
            }
            return new BundleVerification
            {
                Problems = _problems,
                Origin = _origin,
                TreeSize = _size,
                RootHash = _root,
                BundledKey = bundledKey,
                SignedByTrustedKey = signedByTrusted,
                Entries = entryCount ?? 0,
                Policies = policyCount ?? 0,
                EntriesAfterCheckpoint = Count(counts, "entriesAfterCheckpoint") ?? 0,
                PolicyChangesAfterCheckpoint = Count(counts, "policyChangesAfterCheckpoint") ?? 0,
            };
        }

        private void CheckCount(JsonElement counts, string name, long? actual, string file)
        {
            if (actual is { } lines && Count(counts, name) is var stated && stated != lines)
            {
                Problem(EvidenceFormat.Manifest, null, $"counts.{name} is {stated?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "missing"}, but {file} has {lines} lines");
            }
        }

        /// <summary>Checks an entries file against its proofs file, line by line; the number of entry lines, or null when a file is missing.</summary>
        private long? Lines(Dictionary<string, ZipArchiveEntry> entries, string entriesFile, string proofsFile, bool policies)
        {
            if (!entries.TryGetValue(entriesFile, out var entryZip) || !entries.TryGetValue(proofsFile, out var proofZip))
            {
                return null;
            }
            using var entryStream = entryZip.Open();
            using var proofStream = proofZip.Open();
            using var entryLines = ReadLines(entryStream).GetEnumerator();
            using var proofLines = ReadLines(proofStream).GetEnumerator();
            long number = 0, previous = -1;
            while (true)
            {
                var hasEntry = entryLines.MoveNext();
                var hasProof = proofLines.MoveNext();
                if (!hasEntry || !hasProof)
                {
                    if (hasEntry != hasProof)
                    {
                        Problem(hasEntry ? proofsFile : entriesFile, number + 1, $"missing: {(hasEntry ? entriesFile : proofsFile)} has more lines");
                        while (hasEntry && entryLines.MoveNext())
                        {
                            number++;
                        }
                    }
                    return number + (hasEntry ? 1 : 0);
                }
                number++;
                var line = CheckEntryLine(entriesFile, number, entryLines.Current, policies);
                if (line is { } l)
                {
                    if (l.Index <= previous)
                    {
                        Problem(entriesFile, number, $"entry {l.Index} is not after the previous line's entry {previous} (lines are in ledger order, each entry once)");
                    }
                    previous = Math.Max(previous, l.Index);
                }
                CheckProof(proofsFile, number, proofLines.Current, line);
            }
        }

        private readonly record struct EntryLine(long Index, byte[] Entry, byte[] LeafHash);

        private EntryLine? CheckEntryLine(string file, long number, byte[] line, bool policies)
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                Problem(file, number, $"not JSON: {e.Message}");
                return null;
            }
            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("index", out var i) || !i.TryGetInt64(out var index)
                    || Text(root, "leafHash") is not { Length: 64 } hex || !root.TryGetProperty("entry", out var entry) || entry.ValueKind != JsonValueKind.Object)
                {
                    Problem(file, number, "not an entry line (an object with \"index\", \"leafHash\" as 64 hex digits and \"entry\" as an object)");
                    return null;
                }
                byte[] leafHash;
                try
                {
                    leafHash = Convert.FromHexString(hex);
                }
                catch (FormatException)
                {
                    Problem(file, number, "\"leafHash\" is not hex");
                    return null;
                }
                var bytes = JsonMarshal.GetRawUtf8Value(entry).ToArray();
                if (!EvidenceFormat.EntryOfLine(line).SequenceEqual(bytes))
                {
                    Problem(file, number, "\"entry\" is not the line's last member (its bytes must be extractable as they were hashed)");
                }
                try
                {
                    if (!JsonCanonicalizer.Canonicalize(bytes).AsSpan().SequenceEqual(bytes))
                    {
                        Problem(file, number, $"entry {index} is not in canonical form (RFC 8785), so it is not the bytes that were hashed");
                    }
                }
                catch (JsonCanonicalizationException e)
                {
                    Problem(file, number, $"entry {index} cannot be canonicalized: {e.Message}");
                }
                if (!MerkleHash.Leaf(bytes).AsSpan().SequenceEqual(leafHash))
                {
                    Problem(file, number, $"entry {index} does not hash to its leafHash: the entry or its leaf hash was changed");
                }
                if (!entry.TryGetProperty("index", out var own) || !own.TryGetInt64(out var ownIndex) || ownIndex != index)
                {
                    Problem(file, number, $"the entry's own \"index\" is not {index}");
                }
                if (policies && Text(entry, "kind") != "policy-change")
                {
                    Problem(file, number, $"entry {index} is not a policy-change entry");
                }
                if (_root is not null && index >= _size)
                {
                    Problem(file, number, $"entry {index} lies outside the checkpoint's tree of {_size} entries");
                }
                return new EntryLine(index, bytes, leafHash);
            }
        }

        private void CheckProof(string file, long number, byte[] line, EntryLine? entry)
        {
            InclusionProof proof;
            try
            {
                proof = InclusionProof.Parse(line);
            }
            catch (FormatException e)
            {
                Problem(file, number, $"not an inclusion proof: {e.Message}");
                return;
            }
            var leaf = MerkleHash.Leaf(proof.Entry);
            if (!leaf.AsSpan().SequenceEqual(proof.LeafHash))
            {
                Problem(file, number, $"entry {proof.Index}: the proof's entry does not hash to its leafHash");
            }
            if (entry is { } own)
            {
                if (own.Index != proof.Index)
                {
                    Problem(file, number, $"proves entry {proof.Index}, but the entry line is entry {own.Index}");
                }
                else if (!own.Entry.AsSpan().SequenceEqual(proof.Entry) || !own.LeafHash.AsSpan().SequenceEqual(proof.LeafHash))
                {
                    Problem(file, number, $"entry {proof.Index}: the proof's entry or leaf hash differs from the entry line's");
                }
            }
            if (_note is not null && proof.Checkpoint != _note)
            {
                Problem(file, number, $"entry {proof.Index}: the proof's checkpoint differs from {EvidenceFormat.Checkpoint}");
            }
            if (_root is null)
            {
                return;
            }
            if (proof.Origin != _origin || proof.TreeSize != _size)
            {
                Problem(file, number, $"entry {proof.Index}: the proof is for \"{proof.Origin}\" at size {proof.TreeSize}, the checkpoint is \"{_origin}\" at size {_size}");
                return;
            }
            var check = MerkleProofs.VerifyInclusion(leaf, proof.Index, proof.TreeSize, proof.Path, _root);
            if (!check.IsValid)
            {
                Problem(file, number, $"entry {proof.Index}: {check.FailureReason}");
            }
        }

        /// <summary>The text part of a note whose signature did not verify (everything before the last blank line).</summary>
        private static string? UnverifiedText(string note)
        {
            var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
            return split < 0 ? null : note[..(split + 1)];
        }

        private static byte[] ReadAll(ZipArchiveEntry entry)
        {
            using var stream = entry.Open();
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            return memory.ToArray();
        }

        /// <summary>The lines of a stream without their '\n' (a last line without one counts too).</summary>
        private static IEnumerable<byte[]> ReadLines(Stream stream)
        {
            var buffer = new byte[1 << 16];
            var line = new MemoryStream();
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                var start = 0;
                int newline;
                while ((newline = Array.IndexOf(buffer, (byte)'\n', start, read - start)) >= 0)
                {
                    line.Write(buffer, start, newline - start);
                    yield return line.ToArray();
                    line.SetLength(0);
                    start = newline + 1;
                }
                line.Write(buffer, start, read - start);
                if (line.Length > MaxLine)
                {
                    throw new InvalidDataException($"a line longer than {MaxLine} bytes");
                }
            }
            if (line.Length > 0)
            {
                yield return line.ToArray();
            }
        }

        private static long? Count(JsonElement counts, string name) =>
            counts.ValueKind == JsonValueKind.Object && counts.TryGetProperty(name, out var value) && value.TryGetInt64(out var n) ? n : null;
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
}
