using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PolicyTrail.Cli.Tests.Ledger;
using PolicyTrail.Cli.Tests.Support;

namespace PolicyTrail.Cli.Tests.Evidence;

/// <summary>
/// 'evidence' and 'evidence verify' end to end on a store built here: the example cluster at 07:00, api-ingress
/// changed at 10:00, flows from 08:00 to 11:00; a bundle of the period 09:00-12:00 verifies, every kind of tampering is
/// named, the policy versions in force are included, and entries after the checkpoint are reported, never included.
/// </summary>
public sealed class EvidenceCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("policytrail-evidence-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Store => Path.Combine(_dir, "policytrail.duckdb");

    private string Key => Path.Combine(_dir, "policytrail.pub");

    private string Bundle => Path.Combine(_dir, "bundle.zip");

    private static string Flow(string time, string from, string to, int sourcePort, int port) =>
        "{\"flow\":{\"time\":\"" + time + "\",\"verdict\":\"FORWARDED\",\"IP\":{\"source\":\"" + from + "\",\"destination\":\"" + to
        + "\",\"ipVersion\":\"IPv4\"},\"l4\":{\"TCP\":{\"source_port\":" + sourcePort + ",\"destination_port\":" + port
        + ",\"flags\":{\"SYN\":true}}},\"Type\":\"L3_L4\",\"traffic_direction\":\"INGRESS\",\"is_reply\":false},\"node_name\":\"node-1\",\"time\":\"" + time + "\"}";

    private async Task BuildStore()
    {
        var first = await CliRunner.RunAsync("snapshot", "import", "--store", Store, "--at", "2026-11-26T07:00:00Z", Path.Combine(CliRunner.Examples, "cluster"));
        Assert.True(first.ExitCode == 0, first.Stderr);
        var folder = Path.Combine(_dir, "second");
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(Path.Combine(CliRunner.Examples, "cluster")))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }
        var policies = Path.Combine(folder, "networkpolicies.yaml");
        var text = (await File.ReadAllTextAsync(policies, TestContext.Current.CancellationToken)).Replace("metadata: {name: api-ingress, namespace: payments, resourceVersion: \"7003\"}", "metadata: {name: api-ingress, namespace: payments, resourceVersion: \"7100\"}", StringComparison.Ordinal);
        Assert.Contains("7100", text, StringComparison.Ordinal);
        await File.WriteAllTextAsync(policies, text, TestContext.Current.CancellationToken);
        var second = await CliRunner.RunAsync("snapshot", "import", "--store", Store, "--at", "2026-11-26T10:00:00Z", folder);
        Assert.True(second.ExitCode == 0, second.Stderr);
        var flows = Path.Combine(_dir, "flows.jsonl");
        await File.WriteAllLinesAsync(flows,
        [
            Flow("2026-11-26T08:00:00Z", "10.244.2.10", "10.244.1.20", 42000, 8443),
            Flow("2026-11-26T09:30:00Z", "10.244.2.10", "10.244.1.20", 42001, 8443),
            Flow("2026-11-26T10:30:00Z", "10.244.2.10", "10.244.1.20", 42002, 8443),
            Flow("2026-11-26T11:00:00Z", "10.244.2.10", "10.244.1.20", 42003, 8443),
        ], TestContext.Current.CancellationToken);
        var ingest = await CliRunner.RunAsync("ingest", "--store", Store, flows);
        Assert.True(ingest.ExitCode == 0, ingest.Stderr);
    }

    private Task<CliResult> Evidence(params string[] extra) =>
        CliRunner.RunAsync(["evidence", "--store", Store, "--since", "2026-11-26T09:00:00Z", "--until", "2026-11-26T12:00:00Z", "--to-namespace", "payments", "--to-namespace", "frontend", "-o", Bundle, .. extra]);

    private static List<string> Lines(ZipArchive zip, string name)
    {
        using var reader = new StreamReader(zip.GetEntry(name)!.Open());
        return [.. reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    /// <summary>A copy of the bundle with one file's text changed.</summary>
    private string Tampered(string file, Func<string, string> change)
    {
        var copy = Path.Combine(_dir, $"tampered-{file}-{Guid.NewGuid():N}.zip");
        File.Copy(Bundle, copy);
        using var zip = ZipFile.Open(copy, ZipArchiveMode.Update);
        var entry = zip.GetEntry(file)!;
        string text;
        using (var reader = new StreamReader(entry.Open()))
        {
            text = reader.ReadToEnd();
        }
        var changed = change(text);
        Assert.NotEqual(text, changed);
        entry.Delete();
        using var writer = new StreamWriter(zip.CreateEntry(file).Open(), new UTF8Encoding(false));
        writer.Write(changed);
        return copy;
    }

    [Fact]
    public async Task A_bundle_of_a_period_verifies_offline_with_the_trusted_key_and_holds_the_policy_versions_in_force()
    {
        await BuildStore();
        var made = await Evidence();
        Assert.True(made.ExitCode == 0, made.Stderr);
        Assert.Contains("wrote", made.Stderr, StringComparison.Ordinal);

        var verified = await CliRunner.RunAsync("evidence", "verify", Bundle, "--key", Key);
        Assert.True(verified.ExitCode == 0, verified.Stdout + verified.Stderr);
        Assert.Contains("OK ", verified.Stdout, StringComparison.Ordinal);
        Assert.Contains("trusted key", verified.Stdout, StringComparison.Ordinal);
        var selfOnly = await CliRunner.RunAsync("evidence", "verify", Bundle);
        Assert.Equal(0, selfOnly.ExitCode);
        Assert.Contains("bundled key only", selfOnly.Stdout, StringComparison.Ordinal);

        using var zip = ZipFile.OpenRead(Bundle);
        Assert.Equal(["README.md", "checkpoint.txt", "entries.jsonl", "manifest.json", "policies.jsonl", "policy-proofs.jsonl", "proofs.jsonl", "verifier.vkey"], zip.Entries.Select(e => e.FullName));
        Assert.All(zip.Entries, e => Assert.Equal(new DateTime(1980, 1, 1), e.LastWriteTime.DateTime));
        // The flows of 09:30, 10:30 and 11:00 (the one of 08:00 lies before the period).
        var entries = Lines(zip, "entries.jsonl").Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(3, entries.Count);
        Assert.All(entries, e => Assert.Equal("flow", (string?)e["entry"]!["kind"]));
        Assert.Equal(["2026-11-26T09:30:00Z", "2026-11-26T10:30:00Z", "2026-11-26T11:00:00Z"], entries.Select(e => (string?)e["entry"]!["time"]));
        Assert.Equal(3, Lines(zip, "proofs.jsonl").Count);

        // Every policy of the 07:00 snapshot is in force at 09:00; api-ingress changed at 10:00 inside the period.
        var policies = Lines(zip, "policies.jsonl").Select(l => JsonNode.Parse(l)!).ToList();
        var atStart = policies.Where(p => (string?)p["role"] == "in-force-at-start").Select(p => (string?)p["policy"]).ToList();
        Assert.Equal(7, atStart.Count);
        Assert.Contains("payments/api-ingress", atStart);
        var changed = Assert.Single(policies, p => (string?)p["role"] == "changed-in-period");
        Assert.Equal("payments/api-ingress", (string?)changed["policy"]);
        Assert.Equal("7100", (string?)changed["entry"]!["change"]!["resourceVersion"]);
        Assert.Equal(policies.Count, Lines(zip, "policy-proofs.jsonl").Count);
        Assert.All(policies, p => Assert.Equal("policy-change", (string?)p["entry"]!["kind"]));

        using var manifest = JsonDocument.Parse(zip.GetEntry("manifest.json")!.Open());
        var root = manifest.RootElement;
        Assert.Equal("policytrail-evidence/v1", root.GetProperty("format").GetString());
        Assert.Equal("2026-11-26T09:00:00Z", root.GetProperty("period").GetProperty("since").GetString());
        Assert.Equal(["payments", "frontend"], root.GetProperty("filters").GetProperty("--to-namespace").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(3, root.GetProperty("counts").GetProperty("entries").GetInt64());
        Assert.Equal(8, root.GetProperty("counts").GetProperty("policies").GetInt64());
        var readme = new StreamReader(zip.GetEntry("README.md")!.Open()).ReadToEnd();
        Assert.Contains("policytrail evidence verify bundle.zip --key TRUSTED.vkey", readme, StringComparison.Ordinal);
        Assert.Contains("SHA-256(0x00 || bytes)", readme, StringComparison.Ordinal);
        Assert.Contains("2026-11-26T09:00:00Z", readme, StringComparison.Ordinal);

        // One bundled proof on its own, with the existing verify-proof.
        var proof = Path.Combine(_dir, "proof.json");
        await File.WriteAllTextAsync(proof, Lines(zip, "proofs.jsonl")[1], TestContext.Current.CancellationToken);
        var single = await CliRunner.RunAsync("verify-proof", proof, "--key", Key);
        Assert.True(single.ExitCode == 0, single.Stdout + single.Stderr);

        // The same request again gives the same bundle, but for the generation time.
        var again = await Evidence("--force");
        Assert.Equal(0, again.ExitCode);
        using var zip2 = ZipFile.OpenRead(Bundle);
        foreach (var name in new[] { "entries.jsonl", "proofs.jsonl", "policies.jsonl", "policy-proofs.jsonl", "checkpoint.txt" })
        {
            Assert.Equal(Lines(zip, name), Lines(zip2, name));
        }
    }

    [Fact]
    public async Task Tampering_with_any_file_kind_fails_verification_naming_the_file()
    {
        await BuildStore();
        Assert.Equal(0, (await Evidence()).ExitCode);
        var cases = new (string File, Func<string, string> Change, string Expected)[]
        {
            // An entry byte: the port of the second flow, in entries.jsonl (and its hash in the manifest no longer matches).
            ("entries.jsonl", t => ReplaceNth(t, "42002", "42009"), "entries.jsonl line 2"),
            // A proof hash.
            ("proofs.jsonl", t => FlipFirstAuditHash(t), "proofs.jsonl line 1"),
            // The checkpoint's root.
            ("checkpoint.txt", t => ChangeRoot(t), "checkpoint.txt"),
            // The manifest's counts.
            ("manifest.json", t => t.Replace("\"entries\": 3", "\"entries\": 2", StringComparison.Ordinal), "manifest.json"),
            // A policy entry.
            ("policies.jsonl", t => ReplaceNth(t, "\"resourceVersion\":\"7100\"", "\"resourceVersion\":\"7101\""), "policies.jsonl line"),
        };
        foreach (var (file, change, expected) in cases)
        {
            var bundle = Tampered(file, change);
            var r = await CliRunner.RunAsync("evidence", "verify", bundle, "--key", Key);
            Assert.True(r.ExitCode == 1, $"{file}: {r.ExitCode} {r.Stdout}{r.Stderr}");
            Assert.Contains(expected, r.Stdout, StringComparison.Ordinal);
            Assert.Contains("FAILED", r.Stdout, StringComparison.Ordinal);
        }

        // Another operator's key: the checkpoint is not signed by it.
        var (_, otherKey) = PolicyTrail.Ledger.Checkpoints.NoteKeys.Generate("someone-else");
        var wrongKey = await CliRunner.RunAsync("evidence", "verify", Bundle, "--key", otherKey);
        Assert.Equal(1, wrongKey.ExitCode);
        Assert.Contains("checkpoint.txt: not signed by the trusted key someone-else", wrongKey.Stdout, StringComparison.Ordinal);

        // Not a bundle at all: exit 2 with one line.
        var notZip = Path.Combine(_dir, "not.zip");
        await File.WriteAllTextAsync(notZip, "hello", TestContext.Current.CancellationToken);
        var unusable = await CliRunner.RunAsync("evidence", "verify", notZip);
        Assert.Equal(2, unusable.ExitCode);
        Assert.Contains("not a zip archive", unusable.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Entries_after_the_checkpoint_are_counted_and_left_out_and_a_store_without_a_checkpoint_is_refused()
    {
        await BuildStore();
        // A flow appended after the latest checkpoint (as an interrupted ingest leaves it).
        var db = Path.Combine(_dir, "policytrail.duckdb");
        LedgerFixture.Execute(db, "DELETE FROM checkpoints WHERE sequence = (SELECT max(sequence) FROM checkpoints)");
        var made = await Evidence();
        Assert.True(made.ExitCode == 0, made.Stderr);
        Assert.Contains("warning:", made.Stderr, StringComparison.Ordinal);
        Assert.Contains("not in the bundle", made.Stderr, StringComparison.Ordinal);
        using (var zip = ZipFile.OpenRead(Bundle))
        {
            using var manifest = JsonDocument.Parse(zip.GetEntry("manifest.json")!.Open());
            var counts = manifest.RootElement.GetProperty("counts");
            Assert.Equal(3, counts.GetProperty("entriesAfterCheckpoint").GetInt64());
            Assert.Equal(0, counts.GetProperty("entries").GetInt64());
            Assert.Contains("Not covered", new StreamReader(zip.GetEntry("README.md")!.Open()).ReadToEnd(), StringComparison.Ordinal);
        }
        var verified = await CliRunner.RunAsync("evidence", "verify", Bundle, "--key", Key);
        Assert.Equal(0, verified.ExitCode);
        Assert.Contains("are not in the bundle", verified.Stdout, StringComparison.Ordinal);

        var exists = await Evidence();
        Assert.Equal(2, exists.ExitCode);
        Assert.Contains("--force", exists.Stderr, StringComparison.Ordinal);

        LedgerFixture.Execute(db, "DELETE FROM checkpoints");
        var none = await Evidence("--force");
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("no checkpoint has been signed yet", none.Stderr, StringComparison.Ordinal);
        Assert.Single(none.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static string ReplaceNth(string text, string what, string with)
    {
        var at = text.IndexOf(what, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{what}' not found");
        return string.Concat(text.AsSpan(0, at), with, text.AsSpan(at + what.Length));
    }

    private static string FlipFirstAuditHash(string text)
    {
        var at = text.IndexOf("\"auditPath\":[\"", StringComparison.Ordinal) + 14;
        return string.Concat(text.AsSpan(0, at), text[at] == '0' ? "1" : "0", text.AsSpan(at + 1));
    }

    private static string ChangeRoot(string note)
    {
        var lines = note.Split('\n');
        lines[2] = lines[2][0] == 'A' ? "B" + lines[2][1..] : "A" + lines[2][1..];
        return string.Join('\n', lines);
    }
}
