using System.Text.Json;
using System.Text.Json.Nodes;
using PolicyTrail.Cli.Tests.Support;

namespace PolicyTrail.Cli.Tests.Ledger;

/// <summary><c>policytrail ingest</c> and <c>query</c> end to end on the example cluster, through the real CLI.</summary>
public sealed class IngestCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("policytrail-ingest-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Store => Path.Combine(_dir, "policytrail.duckdb");

    private static string Cluster => Path.Combine(CliRunner.Examples, "cluster");

    private Task<CliResult> Ingest(params string[] files) => CliRunner.RunAsync(["ingest", "--store", Store, "--cluster", Cluster, .. files]);

    private async Task<JsonObject[]> Query(params string[] args)
    {
        var r = await CliRunner.RunAsync(["query", "--store", Store, "-o", "jsonl", .. args]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r.StdoutLines.Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
    }

    /// <summary>The entries that record the example cluster: its files' snapshot entry and one change per object.</summary>
    private static int ClusterEntries(JsonObject[] entries) =>
        entries.Count(e => (string?)e["kind"] is "inventory-change" || ((string?)e["kind"] == "policy-change" && e["change"] is JsonObject c && ((string?)c["origin"])!.StartsWith("snapshot ", StringComparison.Ordinal)));

    private static string Plain(JsonObject entry)
    {
        var copy = entry.DeepClone().AsObject();
        copy.Remove("observedAt");
        return copy.ToJsonString();
    }

    [Fact]
    public async Task Ingest_attributes_every_flow_and_query_prints_the_entries_as_stored()
    {
        var r = await Ingest(Path.Combine(CliRunner.Examples, "flows", "hubble.jsonl"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("decisions: 3 allow, 2 deny, 0 unknown; CNI verdict: 5 agree, 0 disagree", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("no signing key given: created", r.Stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_dir, "policytrail.key")));

        var entries = await Query();
        Assert.Equal("inventory-change", (string?)entries[0]["kind"]);
        var flows = entries.Where(e => (string?)e["kind"] == "flow").ToArray();
        Assert.Equal(5, flows.Length);
        foreach (var (flow, i) in entries.Select((e, i) => (e, i)))
        {
            Assert.Equal(i, (long)flow["index"]!);
        }
        var first = flows[0];
        foreach (var field in new[] { "kind", "time", "src", "dst", "protocol", "reported", "source", "index", "decision" })
        {
            Assert.True(first.ContainsKey(field), $"missing {field}: {first.ToJsonString()}");
        }
        Assert.Equal("frontend", (string?)first["src"]!["namespace"]);
        Assert.Equal("web-7d4b9c-x2x7p", (string?)first["src"]!["pod"]);
        var inventory = entries[(int)(long)first["src"]!["inventory"]!];
        Assert.Equal("inventory-change", (string?)inventory["kind"]);
        Assert.Equal("web-7d4b9c-x2x7p", (string?)inventory["change"]!["name"]);
        Assert.Equal("Pod", (string?)inventory["change"]!["objectKind"]);
        Assert.Equal("allow", (string?)first["decision"]!["verdict"]);
        Assert.Equal("agree", (string?)first["decision"]!["agreement"]);
        Assert.Equal("payments/api-ingress", (string?)first["decision"]!["ingress"]!["allowedBy"]![0]!["policy"]);
        Assert.Equal("allowed", (string?)first["reported"]!["verdict"]);
        Assert.Equal("hubble", (string?)first["source"]!["format"]);
        Assert.Matches("^[0-9a-f]{64}$", (string?)first["source"]!["sha256"]);

        var denied = await Query("--verdict", "deny");
        Assert.Equal(2, denied.Length);
        Assert.All(denied, e => Assert.Equal("deny", (string?)e["decision"]!["verdict"]));
        var pod = await Query("--pod", "payments/postgres-0");
        Assert.NotEmpty(pod);
        Assert.All(pod, e => Assert.True((string?)e["src"]!["pod"] == "postgres-0" || (string?)e["dst"]!["pod"] == "postgres-0"));
        var monitoring = await Query("--namespace", "monitoring");
        Assert.NotEmpty(monitoring);
        Assert.All(monitoring, e => Assert.True((string?)e["src"]!["namespace"] == "monitoring" || (string?)e["dst"]!["namespace"] == "monitoring"));
        Assert.Equal(2, (await Query("--since", "2026-11-26T09:00:02Z", "--until", "2026-11-26T09:00:04Z")).Length);
        Assert.Equal(3, (await Query("--limit", "3")).Length);

        var csv = await CliRunner.RunAsync("query", "--store", Store, "-o", "csv", "--verdict", "deny");
        Assert.StartsWith("index,kind,time,src_ip,src_port,src_namespace,src_pod,dst_ip,dst_port,dst_namespace,dst_pod,protocol,", csv.Stdout, StringComparison.Ordinal);
        Assert.Equal(3, csv.StdoutLines.Length);
        var json = await CliRunner.RunAsync("query", "--store", Store, "-o", "json");
        Assert.Equal(entries.Length, JsonDocument.Parse(json.Stdout).RootElement.GetArrayLength());
        var table = await CliRunner.RunAsync("query", "--store", Store);
        Assert.Contains("denied by default (payments/default-deny", table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_run_appends_nothing_and_a_grown_file_appends_only_its_new_lines()
    {
        var all = FlowFiles.Hubble(Path.Combine(_dir, "all.jsonl"), 600, seed: 9);
        var lines = File.ReadAllLines(all);
        var growing = Path.Combine(_dir, "growing.jsonl");
        File.WriteAllLines(growing, lines[..250]);
        Assert.Equal(1, (await Ingest(growing)).ExitCode);
        var again = await Ingest(growing);
        Assert.Contains("appended 0 entries", again.Stderr, StringComparison.Ordinal);
        File.AppendAllLines(growing, lines[250..]);
        await Ingest(growing);
        var resumed = (await Query()).Select(Plain).ToArray();

        // The same lines ingested at once into another store give the same entries.
        var other = Path.Combine(_dir, "other");
        Directory.CreateDirectory(other);
        var once = Path.Combine(other, "growing.jsonl");
        File.Copy(growing, once);
        var store = Path.Combine(other, "s.duckdb");
        await CliRunner.RunAsync("ingest", "--store", store, "--cluster", Cluster, once);
        var q = await CliRunner.RunAsync("query", "--store", store, "-o", "jsonl");
        var whole = q.StdoutLines.Select(l => Plain(JsonNode.Parse(l)!.AsObject()).Replace(once, growing, StringComparison.Ordinal)).ToArray();
        Assert.Equal(whole, resumed);
    }

    [Fact]
    public async Task Rejected_lines_become_gap_entries_with_their_reason_and_are_written_to_rejects()
    {
        var flows = FlowFiles.Hubble(Path.Combine(_dir, "flows.jsonl"), 200, seed: 5);
        var rejects = Path.Combine(_dir, "rejects.jsonl");
        var r = await CliRunner.RunAsync("ingest", "--store", Store, "--cluster", Cluster, "--rejects", rejects, flows);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("2 rejected", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, File.ReadAllLines(rejects).Length);
        var gaps = (await Query()).Where(e => (string?)e["kind"] == "gap").ToArray();
        Assert.Equal(2, gaps.Length);
        Assert.Equal(97, (long)gaps[0]["source"]!["line"]!);
        Assert.StartsWith("rejected record: ", (string?)gaps[0]["reason"], StringComparison.Ordinal);
        Assert.Matches("^[0-9a-f]{64}$", (string?)gaps[0]["source"]!["sha256"]);
        // A rejected line takes the time of the record before it.
        var entries = await Query();
        var before = entries.Single(e => (string?)e["kind"] == "flow" && (long)e["source"]!["line"]! == 96);
        Assert.Equal((string?)before["time"], (string?)gaps[0]["time"]);
    }

    [Fact]
    public async Task Hubble_lost_events_become_gap_entries()
    {
        var file = Path.Combine(_dir, "lost.jsonl");
        File.WriteAllText(file, File.ReadAllText(Path.Combine(CliRunner.Examples, "flows", "hubble.jsonl")));
        var r = await Ingest(file);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var gaps = (await Query()).Where(e => (string?)e["kind"] == "gap").ToArray();
        Assert.Single(gaps);
        Assert.Contains("lost", (string?)gaps[0]["reason"], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_replaced_file_is_recorded_as_a_gap_and_read_from_its_start()
    {
        var file = FlowFiles.Hubble(Path.Combine(_dir, "rotating.jsonl"), 150, seed: 1, withGarbage: false);
        await Ingest(file);
        FlowFiles.Hubble(file, 100, seed: 2, withGarbage: false);
        var r = await Ingest(file);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var entries = await Query();
        var gap = entries.Single(e => (string?)e["kind"] == "gap");
        Assert.Contains("source replaced since it was last read", (string?)gap["reason"], StringComparison.Ordinal);
        Assert.Equal(ClusterEntries(entries) + 150 + 1 + 100, entries.Length);
    }

    [Fact]
    public async Task Standard_input_is_ingested_once()
    {
        var text = File.ReadAllText(FlowFiles.Hubble(Path.Combine(_dir, "in.jsonl"), 50, seed: 4, withGarbage: false));
        var first = await CliRunner.RunWithInputAsync(text, "ingest", "--store", Store, "--cluster", Cluster, "-");
        Assert.True(first.ExitCode == 0, first.Stderr);
        var second = await CliRunner.RunWithInputAsync(text, "ingest", "--store", Store, "--cluster", Cluster, "-");
        Assert.Contains("appended 0 entries", second.Stderr, StringComparison.Ordinal);
        var entries = await Query();
        Assert.Equal(ClusterEntries(entries) + 50, entries.Length);
    }

    [Fact]
    public async Task Kubernetes_audit_events_become_policy_change_entries()
    {
        var shared = Environment.GetEnvironmentVariable("POLICYTRAIL_SHARED") is { Length: > 0 } env ? env : Path.Combine(CliRunner.Repo, "..", "shared");
        var audit = Path.Combine(shared, "fixtures", "flows", "k8s-audit-netpol.jsonl");
        Assert.SkipUnless(File.Exists(audit), $"shared fixtures not found ({audit}); set POLICYTRAIL_SHARED");
        var r = await Ingest(audit);
        Assert.True(r.ExitCode is 0 or 1, r.Stderr);
        var entries = await Query();
        var changes = entries.Where(e => (string?)e["kind"] == "policy-change").ToArray();
        // Successful NetworkPolicy changes are changes of the history; failed requests and other policy kinds stay audit records.
        var fromSnapshot = changes.Where(c => c["change"] is JsonObject o && ((string?)o["origin"])!.StartsWith("snapshot ", StringComparison.Ordinal)).ToArray();
        var history = changes.Where(c => c["change"] is JsonObject).Except(fromSnapshot).ToArray();
        Assert.NotEmpty(history);
        Assert.All(history, c => Assert.Equal("NetworkPolicy", (string?)c["change"]!["objectKind"]));
        Assert.All(history, c => Assert.StartsWith("audit-log ", (string?)c["change"]!["origin"], StringComparison.Ordinal));
        Assert.All(changes.Except(history).Except(fromSnapshot), c => Assert.EndsWith("networkpolicies", (string?)c["resource"], StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_store_is_only_appended_to_with_the_key_that_signed_it()
    {
        var flows = Path.Combine(CliRunner.Examples, "flows", "hubble.jsonl");
        Assert.Equal(0, (await Ingest(flows)).ExitCode);
        var other = Path.Combine(_dir, "other");
        Assert.Equal(0, (await CliRunner.RunAsync("keys", "init", "--out", other, "--name", "someone-else")).ExitCode);
        var more = FlowFiles.Hubble(Path.Combine(_dir, "more.jsonl"), 20, seed: 3, withGarbage: false);
        var r = await CliRunner.RunAsync("ingest", "--store", Store, "--cluster", Cluster, "--key", Path.Combine(other, "policytrail.key"), more);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("its checkpoints are not signed by someone-else+", r.Stderr, StringComparison.Ordinal);
        var entries = await Query();
        Assert.Equal(ClusterEntries(entries) + 6, entries.Length);
    }

    [Fact]
    public async Task Usage_errors_are_one_line_with_exit_2()
    {
        var missing = await Ingest(Path.Combine(_dir, "nope.jsonl"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("nope.jsonl: no such file or folder", missing.Stderr, StringComparison.Ordinal);
        var noCluster = await CliRunner.RunAsync("ingest", "--store", Store, Path.Combine(CliRunner.Examples, "flows", "hubble.jsonl"));
        Assert.Equal(2, noCluster.ExitCode);
        Assert.Contains("holds no cluster history", noCluster.Stderr, StringComparison.Ordinal);
        var noStore = await CliRunner.RunAsync("query", "--store", Path.Combine(_dir, "none.duckdb"));
        Assert.Equal(2, noStore.ExitCode);
        Assert.Contains("no such store", noStore.Stderr, StringComparison.Ordinal);
        var notStore = Path.Combine(_dir, "text.duckdb");
        File.WriteAllText(notStore, "hello");
        var bad = await CliRunner.RunAsync("verify", "--store", notStore, "--key", "x+00000000+AQ==");
        Assert.Equal(2, bad.ExitCode);
        Assert.Single(bad.Stderr.Trim().Split('\n'));
    }
}
