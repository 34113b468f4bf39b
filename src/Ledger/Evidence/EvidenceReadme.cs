using System.Globalization;
using System.Text;

namespace PolicyTrail.Ledger.Evidence;

/// <summary>
/// The README.md of a bundle: what it holds, and how an auditor checks all of it offline, with PolicyTrail or with
/// standard tools alone (sha256sum, base64, openssl, python3). It stands alone: no step needs the PolicyTrail repository.
/// </summary>
public static class EvidenceReadme
{
    /// <summary>The README text for this request and what went into the bundle.</summary>
    public static string Render(EvidenceRequest request, EvidenceSummary summary)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(summary);
        var period = $"{(request.Since is { } s ? EvidenceFormat.Time(s) : "the beginning of the log")} (inclusive) to {(request.Until is { } u ? EvidenceFormat.Time(u) : "the checkpoint (open end)")} (exclusive)";
        var filters = request.FiltersAsGiven.Count == 0
            ? "none (every entry of the period)"
            : string.Join(" ", request.FiltersAsGiven.SelectMany(f => f.Value.Count == 0 ? [f.Key] : f.Value.Select(v => $"{f.Key} {Quote(v)}")));
        var text = new StringBuilder();
        void Line(string line = "") => text.Append(line).Append('\n');
        string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

        Line("# PolicyTrail evidence bundle");
        Line();
        Line($"This archive is evidence taken from a PolicyTrail ledger: a tamper-evident log of Kubernetes network flows and");
        Line($"cluster changes (an RFC 6962 Merkle tree of RFC 8785 canonical JSON entries, whose tree heads are signed with");
        Line($"Ed25519 as C2SP signed notes). Every entry in it comes with an inclusion proof against one signed checkpoint, so");
        Line($"each can be checked offline, without the store and without trusting whoever handed over the bundle, given the");
        Line($"operator's published verifier key.");
        Line();
        Line($"- Log (origin): `{summary.Origin}`");
        Line($"- Generated: {EvidenceFormat.Time(request.GeneratedAt.ToUnixTimeMilliseconds() * 1_000_000)} by {request.Generator}");
        Line($"- Period (entry event time): {period}");
        Line($"- Filters as given: `{filters}`{(request.Limit is { } l ? $", at most {N(l)} entries{(request.Descending ? " (the last ones)" : "")}" : "")}");
        Line($"- Checkpoint: tree size {N(summary.TreeSize)}, root `{Convert.ToHexStringLower(summary.RootHash)}`, signed by `{request.Key.Name}` (key ID `{request.Key.KeyId:x8}`)");
        Line($"- Entries: {N(summary.Entries)} in `entries.jsonl`, each proven in `proofs.jsonl`");
        Line($"- Policy versions in force during the period: {N(summary.PoliciesInForceAtStart + summary.PolicyChangesInPeriod)} in `policies.jsonl` ({N(summary.PoliciesInForceAtStart)} in force when it began, {N(summary.PolicyChangesInPeriod)} changes during it), each proven in `policy-proofs.jsonl`");
        if (summary.EntriesAfterCheckpoint > 0 || summary.PolicyChangesAfterCheckpoint > 0)
        {
            Line($"- **Not covered:** {N(summary.EntriesAfterCheckpoint)} matching entries and {N(summary.PolicyChangesAfterCheckpoint)} policy changes of the period were appended after this checkpoint. They cannot be proven against it and are **not** in this bundle; a bundle made after the next checkpoint includes them.");
        }
        if (summary.EntriesLeftOutByLimit > 0)
        {
            Line($"- **Limited:** {N(summary.EntriesLeftOutByLimit)} further matching entries were left out by the limit.");
        }
        Line();
        Line("## Files");
        Line();
        Line("| file | what it is |");
        Line("|---|---|");
        Line("| `manifest.json` | format `" + EvidenceFormat.FormatName + "`, generation time, origin, period, filters, counts, the checkpoint's size and root, and the SHA-256 (hex) of every other file under `files` |");
        Line("| `checkpoint.txt` | the signed checkpoint (a C2SP signed note) every proof leads to |");
        Line("| `verifier.vkey` | the note verifier key the bundle was made with: `<name>+<key ID, 8 hex digits>+<base64(0x01 \\|\\| 32-byte Ed25519 public key)>` |");
        Line("| `entries.jsonl` | one line per entry, in ledger order: `{\"index\":I,\"leafHash\":\"<hex>\",\"entry\":E}` where E is the entry's canonical JSON, byte for byte as hashed |");
        Line("| `proofs.jsonl` | line n proves line n of `entries.jsonl`: an inclusion-proof document (`policytrail-inclusion-proof/v1`, one line) with `origin`, `index`, `treeSize`, `leafHash`, `auditPath` (hex hashes, leaf's sibling first), `checkpoint` (the note text) and `entry` |");
        Line("| `policies.jsonl` | the `policy-change` entries that define the policies in force during the period: per policy the last version recorded before the period began (`role`: `" + EvidenceFormat.InForceAtStart + "`, unless that was a deletion), and every change recorded during it (`" + EvidenceFormat.ChangedInPeriod + "`); members `index`, `leafHash`, `role`, `objectKind`, `policy`, `changeType`, `time`, then `entry` as in `entries.jsonl` |");
        Line("| `policy-proofs.jsonl` | line n proves line n of `policies.jsonl` |");
        Line();
        Line("A policy change's `time` is when it took effect, exactly or at the latest; when its entry's `change` has `notBefore`, it happened after that time (or, when `null`, at some unknown earlier time, as for an object a first snapshot found).");
        Line();
        Line("## 1. Check it with PolicyTrail");
        Line();
        Line("```sh");
        Line("policytrail evidence verify bundle.zip --key TRUSTED.vkey");
        Line("```");
        Line();
        Line("`TRUSTED.vkey` is the verifier key the operator publishes (or a file holding it), obtained independently of this");
        Line("bundle. It checks every file against the manifest, the checkpoint's signature (with the bundled key and with");
        Line("`--key`), every proof against the checkpoint's root, and that each proof's entry is the entry line it belongs to.");
        Line("Exit 0: all verified; 1: something failed (one line per problem, naming the file and line); 2: not a bundle.");
        Line("Without `--key` only the bundled key is used, which shows that the bundle is consistent with itself, not that the");
        Line("operator signed it: compare `verifier.vkey` with the published key. One proof can also be checked on its own:");
        Line("`sed -n 1p proofs.jsonl > proof.json && policytrail verify-proof proof.json --key TRUSTED.vkey`.");
        Line();
        Line("## 2. Check it by hand (standard tools)");
        Line();
        Line("Everything below is an open standard; PolicyTrail's documentation gives the same rules in more detail");
        Line("(`docs/VERIFYING.md` §1 canonical JSON, §2 leaf and node hashes, §3 proofs, §4 checkpoints, §5 signed notes, §6 key");
        Line("formats, §7 entries, §9 inclusion proofs), but nothing here depends on it. Unpack first: `unzip bundle.zip -d bundle && cd bundle`.");
        Line();
        Line("**(a) The files.** `sha256sum README.md checkpoint.txt entries.jsonl policies.jsonl policy-proofs.jsonl proofs.jsonl verifier.vkey`");
        Line("must print the hashes under `files` in `manifest.json`. The manifest itself is not signed: what makes the evidence");
        Line("trustworthy are the checks (b) to (e), which tie every entry to the signed checkpoint.");
        Line();
        Line("**(b) The key.** `verifier.vkey` must be the key the operator publishes. Its key ID (the 8 hex digits between the");
        Line("`+` signs) is the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key):");
        Line();
        Line("```sh");
        Line("key=$(cat verifier.vkey); name=${key%%+*}; id=${key#*+}; id=${id%%+*}");
        Line("printf '%s' \"${key#*+*+}\" | base64 -d | tail -c 32 > pub.raw           # the raw 32-byte Ed25519 public key");
        Line("{ printf '%s\\n\\001' \"$name\"; cat pub.raw; } | sha256sum | cut -c1-8       # must print $id");
        Line("```");
        Line();
        Line("**(c) The checkpoint's signature** (C2SP signed note, Ed25519 per RFC 8032). `checkpoint.txt` is the signed text");
        Line("(the lines origin, tree size, base64 root hash, each ending in a newline), one empty line, and signature lines");
        Line("`— <key name> <base64(4-byte key ID || 64-byte signature)>` (the dash is U+2014). The signature covers exactly the");
        Line("text, its final newline included. With OpenSSL 3:");
        Line();
        Line("```sh");
        Line("sed '/^$/,$d' checkpoint.txt > signed.txt                                 # the text before the empty line");
        Line("grep \"^— $name \" checkpoint.txt | cut -d' ' -f3 | base64 -d > sig.bin     # key ID (4 bytes) + signature");
        Line("head -c 4 sig.bin | od -An -tx1 | tr -d ' \\n'; echo                      # must print $id");
        Line("tail -c 64 sig.bin > sig.raw");
        Line("{ printf '302a300506032b6570032100' | xxd -r -p; cat pub.raw; } > pub.der   # SubjectPublicKeyInfo of an Ed25519 key");
        Line("openssl pkeyutl -verify -pubin -keyform DER -inkey pub.der -rawin -in signed.txt -sigfile sig.raw");
        Line("sed -n 3p checkpoint.txt | base64 -d | od -An -tx1 | tr -d ' \\n'; echo   # the root: checkpoint.rootHash in manifest.json");
        Line("```");
        Line();
        Line("**(d) An entry's leaf hash** (RFC 8785 entry bytes, RFC 6962 leaf hash). In a line of `entries.jsonl` (or");
        Line("`policies.jsonl`) the entry is the last member: its bytes run from just after the first `\"entry\":` to the line's");
        Line("closing `}` and are exactly the bytes that were hashed. Its leaf hash is SHA-256(0x00 || bytes):");
        Line();
        Line("```sh");
        Line("sed -n 1p entries.jsonl | sed -E 's/^\\{[^{]*\"entry\"://; s/\\}$//' | tr -d '\\n' > entry.json");
        Line("{ printf '\\000'; cat entry.json; } | sha256sum                             # must equal the line's leafHash");
        Line("```");
        Line();
        Line("The entry is canonical JSON (RFC 8785: no whitespace, members sorted by UTF-16 code units, ECMAScript number");
        Line("form, minimal string escapes), so any RFC 8785 implementation given the parsed entry reproduces these bytes. Its");
        Line("own `index` member equals the line's `index`: an entry cannot move without changing its hash.");
        Line();
        Line("**(e) The audit path** (RFC 6962 §2.1.1, verified as in RFC 9162 §2.1.3.2). Node hashes are");
        Line("SHA-256(0x01 || left || right). For leaf hash h at index m of a tree of size n (the checkpoint's) with root r: set");
        Line("fn = m, sn = n − 1, acc = h; for each hash p of `auditPath`: fail if sn = 0; if fn is odd or fn = sn, acc =");
        Line("node(p, acc) and, if fn is even, shift fn and sn right together until fn is odd or 0; otherwise acc = node(acc, p);");
        Line("then shift fn and sn right once. Accept iff sn = 0 and acc = r. This script (Python 3, standard library only)");
        Line("does (d) and (e) for every line of both files; the signature check (c) is the one step it leaves to OpenSSL:");
        Line();
        Line("```python");
        foreach (var line in CheckScript.Split('\n'))
        {
            Line(line);
        }
        Line("```");
        Line();
        Line("## What this proves, and what it does not");
        Line();
        Line("- Each entry in the bundle is, byte for byte, entry `index` of the log whose tree head the key signed: it cannot have");
        Line("  been altered, moved or inserted afterwards without the proof failing.");
        Line("- The selection was made by the operator's PolicyTrail with the filters above. The bundle cannot show that no other");
        Line("  entry matches them; to check completeness, run the same query on the store (or on a copy of the whole log), whose");
        Line("  `policytrail verify` checks every entry against the same signed checkpoints.");
        Line("- Entries appended after the checkpoint are not covered (counted above and in `manifest.json`, never included unproven).");
        Line("- Keep the checkpoint: a later checkpoint of the same log must be consistent with it (RFC 6962 consistency proof;");
        Line("  `policytrail verify --checkpoint checkpoint.txt` on the store checks that the log still extends it).");
        return text.ToString();
    }

    /// <summary>The Python check of every entry and proof, shown in the README (run in the unpacked bundle's folder).</summary>
    public const string CheckScript = """
        import base64, hashlib, json, sys

        def node(left, right):
            return hashlib.sha256(b"\x01" + left + right).digest()

        note = open("checkpoint.txt", "rb").read()
        origin, size, root = note.split(b"\n")[:3]
        origin, size, root = origin.decode(), int(size), base64.b64decode(root)
        problems = 0

        def check(entries_file, proofs_file):
            global problems
            entry_lines = open(entries_file, "rb").read().splitlines()
            proof_lines = open(proofs_file, "rb").read().splitlines()
            if len(entry_lines) != len(proof_lines):
                problems += 1
                print(f"{entries_file} has {len(entry_lines)} lines, {proofs_file} {len(proof_lines)}")
            for number, (line, proof_line) in enumerate(zip(entry_lines, proof_lines), 1):
                entry = line[line.index(b'"entry":') + 8:-1]
                meta, proof = json.loads(line), json.loads(proof_line)
                leaf = hashlib.sha256(b"\x00" + entry).digest()
                fn, sn, acc, too_long = proof["index"], size - 1, leaf, False
                for p in map(bytes.fromhex, proof["auditPath"]):
                    if sn == 0:
                        too_long = True
                        break
                    if fn & 1 or fn == sn:
                        acc = node(p, acc)
                        while fn & 1 == 0 and fn != 0:
                            fn, sn = fn >> 1, sn >> 1
                    else:
                        acc = node(acc, p)
                    fn, sn = fn >> 1, sn >> 1
                ok = (leaf.hex() == meta["leafHash"] == proof["leafHash"]
                      and json.loads(entry)["index"] == meta["index"] == proof["index"]
                      and json.loads(entry) == proof["entry"]
                      and 0 <= proof["index"] < size == proof["treeSize"] and proof["origin"] == origin
                      and proof["checkpoint"].encode() == note
                      and not too_long and sn == 0 and acc == root)
                if not ok:
                    problems += 1
                    print(f"{entries_file} line {number} / {proofs_file} line {number}: does not verify")
            print(f"{entries_file}: {len(entry_lines)} lines checked")

        check("entries.jsonl", "proofs.jsonl")
        check("policies.jsonl", "policy-proofs.jsonl")
        print("all entries lead to the checkpoint's root" if problems == 0 else f"{problems} problems")
        sys.exit(1 if problems else 0)
        """;

    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '=') ? value : $"'{value.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
