using System.Text.Json.Nodes;
using PolicyTrail.Cli.Tests.Support;

namespace PolicyTrail.Cli.Tests.Answers;

/// <summary>
/// <c>access</c>, <c>talkers</c>, <c>denied</c> and <c>coverage</c> through the real CLI on a store ingested from the example
/// cluster and the answers fixture flows: the exact JSON row shapes scripts rely on, the table and the CSV header.
/// </summary>
public sealed class AnswerCommandTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("policytrail-answers-").FullName;

    private string Store => Path.Combine(_dir, "policytrail.duckdb");

    private static string Flows => Path.Combine(CliRunner.Repo, "tests", "PolicyTrail.Query.Tests", "testassets", "answers", "flows.jsonl");

    public async ValueTask InitializeAsync()
    {
        var r = await CliRunner.RunAsync("ingest", "--store", Store, "--cluster", Path.Combine(CliRunner.Examples, "cluster"), Flows);
        Assert.True(r.ExitCode == 0, r.Stderr);
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return ValueTask.CompletedTask;
    }

    private async Task<JsonArray> Json(params string[] args)
    {
        var r = await CliRunner.RunAsync([.. args, "--store", Store, "-o", "json"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return JsonNode.Parse(r.Stdout)!.AsArray();
    }

    private static string[] Keys(JsonNode? node) => [.. node!.AsObject().Select(p => p.Key)];

    [Fact]
    public async Task Access_json_rows_have_exactly_source_counts_times_and_policies()
    {
        var rows = await Json("access", "--to", "payments/api-5f6c8d-k9j2q");
        Assert.Equal(2, rows.Count);
        var row = rows[0]!;
        Assert.Equal(["source", "attempts", "allowed", "denied", "firstSeen", "lastSeen", "policies"], Keys(row));
        Assert.Equal(["namespace", "workload", "pod", "ip"], Keys(row["source"]));
        Assert.Equal(
            """{"source":{"namespace":"frontend","workload":"web","pod":"web-7d4b9c-x2x7p","ip":"10.244.1.10"},"attempts":3,"allowed":3,"denied":0,"firstSeen":"2026-11-26T10:00:01.000000001Z","lastSeen":"2026-11-26T10:00:03.000000001Z","policies":["payments/api-ingress"]}""",
            row.ToJsonString());

        var external = (await Json("access", "--to", "frontend/web-7d4b9c-x2x7p")).Single(r => r!["source"]!["namespace"] is null)!;
        Assert.Equal("""{"namespace":null,"workload":null,"pod":null,"ip":"203.0.113.7"}""", external["source"]!.ToJsonString());
    }

    [Fact]
    public async Task Talkers_and_denied_json_rows_have_exactly_the_documented_fields()
    {
        var talkers = await Json("talkers", "--since", "2026-11-26T10:00:00Z", "--until", "2026-11-26T10:01:00Z");
        Assert.Equal(7, talkers.Count);
        Assert.Equal(
            """{"source":{"namespace":"frontend","workload":"web"},"destination":{"namespace":"payments","workload":"api"},"port":8443,"protocol":"TCP","flows":3,"allowed":3,"denied":0}""",
            talkers[0]!.ToJsonString());
        var world = talkers.Single(r => r!["source"]!["namespace"] is null)!;
        Assert.Equal("""{"namespace":null,"workload":null,"ip":"203.0.113.7"}""", world["source"]!.ToJsonString());

        var denied = await Json("denied", "--cross-namespace");
        Assert.Equal(2, denied.Count);
        Assert.Equal(
            """{"source":{"namespace":"frontend","workload":"web"},"destination":{"namespace":"payments","workload":"postgres"},"port":5432,"protocol":"TCP","attempts":2,"firstSeen":"2026-11-26T10:00:06.000000001Z","lastSeen":"2026-11-26T10:00:07.000000001Z","policies":["payments/default-deny","payments/postgres-ingress"]}""",
            denied[0]!.ToJsonString());
        Assert.Equal(3, (await Json("denied")).Count);
        Assert.Equal(2, (await Json("talkers", "--namespace", "monitoring")).Count);
    }

    [Fact]
    public async Task Tables_are_aligned_columns_with_a_header_and_csv_starts_with_its_header()
    {
        var r = await CliRunner.RunAsync("talkers", "--store", Store, "--namespace", "monitoring");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(
            [
                "SOURCE                 DESTINATION   PORT  PROTOCOL  FLOWS  ALLOWED  DENIED",
                "monitoring/prometheus  frontend/web  8080  TCP           1        0       1",
                "monitoring/prometheus  payments/api  9090  TCP           1        1       0",
            ],
            r.StdoutLines);
        Assert.Equal("2 pairs\n", r.Stderr);

        var access = await CliRunner.RunAsync("access", "--store", Store, "--to", "svc:payments/postgres");
        Assert.Equal(
            "SOURCE                     WORKLOAD  IP           ATTEMPTS  ALLOWED  DENIED  FIRST SEEN                      LAST SEEN                       POLICIES",
            access.StdoutLines[0]);
        Assert.StartsWith("frontend/web-7d4b9c-p8m2z  web       10.244.2.10         2        0       2  2026-11-26T10:00:06.000000001Z", access.StdoutLines[1], StringComparison.Ordinal);

        var csv = await CliRunner.RunAsync("denied", "--store", Store, "-o", "csv");
        Assert.Equal("source_namespace,source_workload,source_ip,destination_namespace,destination_workload,destination_ip,port,protocol,attempts,first_seen,last_seen,policies", csv.StdoutLines[0]);
        Assert.Equal(4, csv.StdoutLines.Length);
    }

    [Fact]
    public async Task Coverage_json_names_the_pods_not_isolated_and_the_namespaces_without_policy()
    {
        var r = await CliRunner.RunAsync("coverage", "--store", Store, "--at", "2026-11-26T12:00:00Z", "-o", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var report = JsonNode.Parse(r.Stdout)!;
        Assert.Equal(["at", "podsConsidered", "pods", "namespacesWithoutPolicy"], Keys(report));
        Assert.Equal("""["batch","ingress-nginx","kube-system","monitoring"]""", report["namespacesWithoutPolicy"]!.ToJsonString());
        var web = report["pods"]!.AsArray().Single(p => (string?)p!["pod"] == "web-7d4b9c-x2x7p")!;
        Assert.Equal(["namespace", "pod", "workload", "ingressIsolated", "egressIsolated", "ingressPolicies", "egressPolicies", "hostNetwork"], Keys(web));
        Assert.False((bool)web["egressIsolated"]!);
        Assert.True((bool)web["ingressIsolated"]!);
    }

    [Fact]
    public async Task A_bad_target_or_an_unknown_destination_is_one_line_and_exit_2()
    {
        var bad = await CliRunner.RunAsync("access", "--store", Store, "--to", "a/b/c");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--to 'a/b/c'", bad.Stderr, StringComparison.Ordinal);
        var unknown = await CliRunner.RunAsync("access", "--store", Store, "--to", "payments/nothing");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Equal("policytrail: no pod or service payments/nothing in the store's flows or cluster history\n", unknown.Stderr);
        var missing = await CliRunner.RunAsync("access", "--store", Store);
        Assert.Equal(2, missing.ExitCode);
    }
}
