using System.Text.Json;
using PolicyTrail.Cli.Tests.Support;
using PolicyTrail.Demo;
using PolicyTrail.Demo.Scenario;

namespace PolicyTrail.Cli.Tests.Demo;

/// <summary>Runs <c>policytrail demo</c> once into a temporary folder; the tests read what it left.</summary>
public sealed class DemoRun : IAsyncLifetime
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("policytrail-demo-").FullName;

    public string Store => Path.Combine(Dir, "policytrail.duckdb");

    internal CliResult Result { get; private set; } = new(-1, "", "");

    public async ValueTask InitializeAsync() => Result = await CliRunner.RunAsync("demo", "--dir", Dir);

    public ValueTask DisposeAsync()
    {
        Directory.Delete(Dir, recursive: true);
        return ValueTask.CompletedTask;
    }
}

/// <summary>The demo end to end: its example is read without rejects, and the answers show what the story put in.</summary>
public sealed class DemoTests(DemoRun demo) : IClassFixture<DemoRun>
{
    private static async Task<List<JsonElement>> Query(params string[] args)
    {
        var result = await CliRunner.RunAsync(["query", .. args, "-o", "jsonl"]);
        Assert.Equal(0, result.ExitCode);
        return result.StdoutLines.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    [Fact]
    public void The_demo_runs_every_step_and_exits_0()
    {
        Assert.True(demo.Result.ExitCode == 0, demo.Result.Stderr);
        foreach (var verb in new[] { "snapshot import", "ingest", "verify", "access", "talkers", "denied", "coverage", "report" })
        {
            Assert.Contains($"$ policytrail {verb} ", demo.Result.Stdout, StringComparison.Ordinal);
        }
        Assert.Contains("OK ", demo.Result.Stdout, StringComparison.Ordinal);
        Assert.Contains("namespaces without any NetworkPolicy (3): kube-system, monitoring, sandbox", demo.Result.Stdout, StringComparison.Ordinal);
        Assert.Contains("0 rejected", demo.Result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_report_names_the_annotated_sensitive_services_and_the_disagreement()
    {
        var html = File.ReadAllText(Path.Combine(demo.Dir, "report.html"));
        Assert.Contains("payments/payments-api", html, StringComparison.Ordinal);
        Assert.Contains("data/postgres", html, StringComparison.Ordinal);
        Assert.Contains("sandbox/debug-shell", html, StringComparison.Ordinal);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_reused_address_names_the_catalog_pod_before_the_snapshots_and_the_debug_pod_after()
    {
        var before = await Query("--store", demo.Store, "--from-ip", DemoCluster.ReusedIP, "--until", "2026-11-26T09:00:00Z");
        var after = await Query("--store", demo.Store, "--from-ip", DemoCluster.ReusedIP, "--since", "2026-11-26T10:00:00Z");
        Assert.NotEmpty(before);
        Assert.NotEmpty(after);
        Assert.All(before, e => Assert.Equal("catalog", e.GetProperty("src").GetProperty("namespace").GetString()));
        Assert.All(after, e => Assert.Equal("debug-shell", e.GetProperty("src").GetProperty("pod").GetString()));
        // The same address, the same destination: allowed for the catalog pod, refused for the sandbox pod.
        Assert.Contains(before, e => e.GetProperty("dst").GetProperty("workload").GetString() == "redis" && e.GetProperty("decision").GetProperty("verdict").GetString() == "allow");
        Assert.Contains(after, e => e.GetProperty("dst").GetProperty("workload").GetString() == "redis" && e.GetProperty("decision").GetProperty("verdict").GetString() == "deny");
    }

    [Fact]
    public async Task The_only_disagreements_are_the_twenty_minutes_frontend_reached_the_database()
    {
        var disagreements = await Query("--store", demo.Store, "--disagreement");
        Assert.NotEmpty(disagreements);
        Assert.All(disagreements, e =>
        {
            Assert.Equal("frontend", e.GetProperty("src").GetProperty("namespace").GetString());
            Assert.Equal("postgres-0", e.GetProperty("dst").GetProperty("pod").GetString());
            Assert.Equal("allowed", e.GetProperty("reported").GetProperty("verdict").GetString());
            Assert.Equal("deny", e.GetProperty("decision").GetProperty("verdict").GetString());
            Assert.StartsWith("2026-11-26T14:", e.GetProperty("time").GetString(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task The_widened_policy_admits_fraud_scorer_only_after_the_change()
    {
        var rows = await Query("--store", demo.Store, "--from-namespace", "payments", "--from-pod", "fraud-scorer", "--to-namespace", "data", "--port", "5432");
        var verdicts = rows.Select(e => (Time: e.GetProperty("time").GetString()!, Verdict: e.GetProperty("decision").GetProperty("verdict").GetString()))
            .ToList();
        Assert.Contains(verdicts, v => v.Verdict == "deny");
        Assert.Contains(verdicts, v => v.Verdict == "allow");
        Assert.All(verdicts, v => Assert.Equal(string.CompareOrdinal(v.Time, "2026-11-26T10:00:00Z") >= 0 ? "allow" : "deny", v.Verdict));
    }

    [Fact]
    public async Task Each_node_log_is_read_as_its_format_without_rejects()
    {
        foreach (var (file, format) in new[] { ("node-a-hubble.jsonl", "hubble"), ("node-b-calico-flows.jsonl", "calico"), ("node-c-antrea-np.log", "antrea-np") })
        {
            var head = Path.Combine(demo.Dir, $"head-{file}");
            File.WriteAllLines(head, File.ReadLines(Path.Combine(demo.Dir, "flows", file)).Take(300));
            var parsed = await CliRunner.RunAsync("parse", head, "-o", "jsonl");
            File.Delete(head);
            Assert.True(parsed.ExitCode == 0, parsed.Stderr);
            Assert.Equal(300, parsed.StdoutLines.Length);
            Assert.All(parsed.StdoutLines, l => Assert.Equal(format, JsonDocument.Parse(l).RootElement.GetProperty("source").GetProperty("format").GetString()));
        }
    }

    [Fact]
    public async Task A_rerun_refreshes_its_own_folder_and_refuses_any_other()
    {
        var other = Directory.CreateTempSubdirectory("policytrail-not-demo-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(other, "notes.txt"), "mine");
            var refused = await CliRunner.RunAsync("demo", "--dir", other);
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains("was not written by 'policytrail demo'", refused.Stderr, StringComparison.Ordinal);
            Assert.Equal("mine", File.ReadAllText(Path.Combine(other, "notes.txt")));
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    [Fact]
    public void The_dataset_is_the_same_for_the_same_seed()
    {
        var a = Directory.CreateTempSubdirectory("policytrail-demo-a-").FullName;
        var b = Directory.CreateTempSubdirectory("policytrail-demo-b-").FullName;
        try
        {
            var first = DemoDataset.Write(a);
            var second = DemoDataset.Write(b);
            Assert.Equal(first.Flows, second.Flows);
            foreach (var file in Directory.GetFiles(a, "*", SearchOption.AllDirectories))
            {
                Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(b, Path.GetRelativePath(a, file))));
            }
            Assert.True(first.Misreported > 0 && first.Denied > first.Misreported);
        }
        finally
        {
            Directory.Delete(a, recursive: true);
            Directory.Delete(b, recursive: true);
        }
    }
}
