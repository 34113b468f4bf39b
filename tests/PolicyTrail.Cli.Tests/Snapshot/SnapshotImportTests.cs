using System.Text.Json.Nodes;
using PolicyTrail.Cli.Tests.Support;

namespace PolicyTrail.Cli.Tests.Snapshot;

/// <summary>
/// Identity over time end to end: two snapshots an hour and a half apart (the example cluster, then the same cluster with
/// a pod gone, its address given to a pod in another namespace, and a NetworkPolicy changed), then flows before, between
/// and after, each resolved against the cluster as it was at the flow's own time.
/// </summary>
public sealed class SnapshotImportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("policytrail-snapshots-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Store => Path.Combine(_dir, "policytrail.duckdb");

    private static string Flow(string time, string from, string to, int sourcePort, int port) =>
        "{\"flow\":{\"time\":\"" + time + "\",\"verdict\":\"FORWARDED\",\"IP\":{\"source\":\"" + from + "\",\"destination\":\"" + to
        + "\",\"ipVersion\":\"IPv4\"},\"l4\":{\"TCP\":{\"source_port\":" + sourcePort + ",\"destination_port\":" + port
        + ",\"flags\":{\"SYN\":true}}},\"Type\":\"L3_L4\",\"traffic_direction\":\"INGRESS\",\"is_reply\":false},\"node_name\":\"node-1\",\"time\":\"" + time + "\"}";

    /// <summary>The example cluster at 10:00: web-7d4b9c-x2x7p gone, its 10.244.1.10 held by monitoring/reused-ip since 08:30, and api-ingress no longer admitting frontend.</summary>
    private string SecondSnapshot()
    {
        var folder = Path.Combine(_dir, "second");
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(Path.Combine(CliRunner.Examples, "cluster")))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }
        var pods = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "pods.json")))!;
        var items = pods["items"]!.AsArray();
        var gone = items.Single(p => (string?)p!["metadata"]!["name"] == "web-7d4b9c-x2x7p")!;
        items.Remove(gone);
        var reused = gone.DeepClone();
        reused["metadata"]!["name"] = "reused-ip";
        reused["metadata"]!["namespace"] = "monitoring";
        reused["metadata"]!["uid"] = "a1b2c3d4-0000-4000-8000-000000000999";
        reused["metadata"]!["resourceVersion"] = "20001";
        reused["metadata"]!["creationTimestamp"] = "2026-11-26T08:30:00Z";
        reused["metadata"]!["labels"] = new JsonObject { ["app"] = "exporter" };
        reused["metadata"]!.AsObject().Remove("ownerReferences");
        items.Add(reused);
        File.WriteAllText(Path.Combine(folder, "pods.json"), pods.ToJsonString());
        var policies = Path.Combine(folder, "networkpolicies.yaml");
        var text = File.ReadAllText(policies);
        text = text.Replace("metadata: {name: api-ingress, namespace: payments, resourceVersion: \"7003\"}", "metadata: {name: api-ingress, namespace: payments, resourceVersion: \"7100\"}", StringComparison.Ordinal)
            .Replace("    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: frontend}}\n      podSelector: {matchLabels: {app: web}}\n", "", StringComparison.Ordinal);
        Assert.Contains("7100", text, StringComparison.Ordinal);
        Assert.DoesNotContain("kubernetes.io/metadata.name: frontend}}\n      podSelector: {matchLabels: {app: web}}", text, StringComparison.Ordinal);
        File.WriteAllText(policies, text);
        return folder;
    }

    [Fact]
    public async Task Flows_before_between_and_after_two_snapshots_resolve_to_the_pod_and_policy_version_of_their_time()
    {
        var first = await CliRunner.RunAsync("snapshot", "import", "--store", Store, "--at", "2026-11-26T07:00:00Z", Path.Combine(CliRunner.Examples, "cluster"));
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("recorded 33 changes", first.Stderr, StringComparison.Ordinal);
        var second = await CliRunner.RunAsync("snapshot", "import", "--store", Store, "--at", "2026-11-26T10:00:00Z", SecondSnapshot());
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains("recorded 3 changes", second.Stderr, StringComparison.Ordinal); // pod added, pod gone, policy changed
        var again = await CliRunner.RunAsync("snapshot", "import", "--store", Store, "--at", "2026-11-26T10:00:00Z", Path.Combine(_dir, "second"));
        Assert.Contains("already recorded", again.Stderr, StringComparison.Ordinal);

        var flows = Path.Combine(_dir, "flows.jsonl");
        await File.WriteAllLinesAsync(flows,
        [
            Flow("2026-11-26T08:00:00Z", "10.244.1.10", "10.244.1.20", 41000, 8443), // before: the old pod, certainly there until 07:00 and alone after
            Flow("2026-11-26T09:00:00Z", "10.244.1.10", "10.244.1.20", 41001, 8443), // between: the old pod may not have gone yet, the new one holds the address
            Flow("2026-11-26T11:00:00Z", "10.244.1.10", "10.244.1.20", 41002, 8443), // after: the new pod, in monitoring
            Flow("2026-11-26T08:00:00Z", "10.244.2.10", "10.244.1.20", 42000, 8443), // web pod, policy version 7003 admits it
            Flow("2026-11-26T11:00:00Z", "10.244.2.10", "10.244.1.20", 42001, 8443), // web pod, version 7100 no longer does
        ], TestContext.Current.CancellationToken);
        var ingest = await CliRunner.RunAsync("ingest", "--store", Store, flows);
        Assert.True(ingest.ExitCode == 0, ingest.Stderr);

        var q = await CliRunner.RunAsync("query", "--store", Store, "-o", "jsonl");
        var byPort = q.StdoutLines.Select(l => JsonNode.Parse(l)!.AsObject()).Where(e => (string?)e["kind"] == "flow")
            .ToDictionary(e => (int)e["src"]!["port"]!);

        Assert.Equal(("frontend", "web-7d4b9c-x2x7p", "allow"), Who(byPort[41000]));
        // It may already have gone (it did, some time after 07:00 and by 10:00): the entry says so.
        var uncertain = byPort[41000]["src"]!["uncertain"]!;
        Assert.StartsWith("2026-11-26T07:00:00", (string?)uncertain["after"], StringComparison.Ordinal);
        Assert.StartsWith("2026-11-26T10:00:00", (string?)uncertain["until"], StringComparison.Ordinal);
        Assert.Null(byPort[42000]["src"]!["uncertain"]);
        Assert.Equal("ambiguous", (string?)byPort[41001]["src"]!["kind"]);
        Assert.Equal("unknown", (string?)byPort[41001]["decision"]!["verdict"]);
        Assert.Contains("web-7d4b9c-x2x7p", (string?)byPort[41001]["src"]!["reason"], StringComparison.Ordinal);
        Assert.Contains("reused-ip", (string?)byPort[41001]["src"]!["reason"], StringComparison.Ordinal);
        Assert.Equal(("monitoring", "reused-ip", "deny"), Who(byPort[41002]));

        Assert.Equal(("frontend", "web-7d4b9c-p8m2z", "allow"), Who(byPort[42000]));
        Assert.Equal("7003", (string?)byPort[42000]["decision"]!["ingress"]!["allowedBy"]![0]!["resourceVersion"]);
        Assert.Equal(("frontend", "web-7d4b9c-p8m2z", "deny"), Who(byPort[42001]));

        var verify = await CliRunner.RunAsync("verify", "--store", Store);
        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
    }

    private static (string?, string?, string?) Who(JsonObject flow) =>
        ((string?)flow["src"]!["namespace"], (string?)flow["src"]!["pod"], (string?)flow["decision"]!["verdict"]);
}
