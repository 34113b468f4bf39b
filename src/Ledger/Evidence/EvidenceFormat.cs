using System.Text.Json;
using PolicyTrail.Core.Flows;

namespace PolicyTrail.Ledger.Evidence;

/// <summary>The evidence bundle's fixed names: its format, its files, and the line layout of its JSON Lines files (docs/EVIDENCE.md).</summary>
public static class EvidenceFormat
{
    /// <summary>The value of manifest.json's "format" member.</summary>
    public const string FormatName = "policytrail-evidence/v1";

    /// <summary>For the auditor: what the bundle is and how to check it offline.</summary>
    public const string Readme = "README.md";

    /// <summary>What the bundle holds, and the SHA-256 of every other file.</summary>
    public const string Manifest = "manifest.json";

    /// <summary>The signed note of the checkpoint every proof leads to.</summary>
    public const string Checkpoint = "checkpoint.txt";

    /// <summary>The note verifier key the checkpoint was checked with when the bundle was made.</summary>
    public const string VerifierKey = "verifier.vkey";

    /// <summary>The entries that matched: one line each, {"index","leafHash","entry"}.</summary>
    public const string Entries = "entries.jsonl";

    /// <summary>One inclusion proof per line of <see cref="Entries"/>, in the same order (the format 'policytrail prove' writes).</summary>
    public const string Proofs = "proofs.jsonl";

    /// <summary>The policy-change entries that define the policy versions in force during the period.</summary>
    public const string Policies = "policies.jsonl";

    /// <summary>One inclusion proof per line of <see cref="Policies"/>, in the same order.</summary>
    public const string PolicyProofs = "policy-proofs.jsonl";

    /// <summary>Every file of a bundle, in the (ordinal) order the archive holds them.</summary>
    public static IReadOnlyList<string> Files { get; } =
        [.. new[] { Readme, Manifest, Checkpoint, VerifierKey, Entries, Proofs, Policies, PolicyProofs }.Order(StringComparer.Ordinal)];

    /// <summary>The role of a policies.jsonl line: the version in force when the period began.</summary>
    public const string InForceAtStart = "in-force-at-start";

    /// <summary>The role of a policies.jsonl line: a change made during the period.</summary>
    public const string ChangedInPeriod = "changed-in-period";

    /// <summary>RFC 3339 UTC of a Unix-ns instant with as few fraction digits as it needs (0, 3, 6 or 9).</summary>
    public static string Time(long unixNanos) =>
        new Timestamp(unixNanos, unixNanos % 1_000_000_000 == 0 ? (byte)0 : unixNanos % 1_000_000 == 0 ? (byte)3 : unixNanos % 1000 == 0 ? (byte)6 : (byte)9).ToString();

    /// <summary>
    /// The bytes of an entry inside one line of <see cref="Entries"/> or <see cref="Policies"/>: the entry is the line's last
    /// member, after members whose values hold no '{', so it runs from just after the first <c>"entry":</c> to the line's
    /// closing '}'. These are exactly the canonical bytes the leaf hashes.
    /// </summary>
    public static ReadOnlySpan<byte> EntryOfLine(ReadOnlySpan<byte> line)
    {
        var at = line.IndexOf("\"entry\":"u8);
        return at < 0 || line.Length < at + 9 || line[^1] != (byte)'}' ? [] : line[(at + 8)..^1];
    }

    /// <summary>Writes one entry line: the given members (string or integer values), then "entry" with the canonical bytes verbatim.</summary>
    internal static void WriteLine(Stream output, long index, byte[] leafHash, IEnumerable<(string Name, string Value)> extra, byte[] entry)
    {
        using (var w = new Utf8JsonWriter(output))
        {
            w.WriteStartObject();
            w.WriteNumber("index", index);
            w.WriteString("leafHash", Convert.ToHexStringLower(leafHash));
            foreach (var (name, value) in extra)
            {
                w.WriteString(name, value);
            }
            w.WritePropertyName("entry");
            w.WriteRawValue(entry, skipInputValidation: true);
            w.WriteEndObject();
        }
        output.WriteByte((byte)'\n');
    }
}
