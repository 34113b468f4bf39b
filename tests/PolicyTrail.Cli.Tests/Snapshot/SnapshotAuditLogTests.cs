using System.Text.Json.Nodes;
using PolicyTrail.Cli.Tests.Support;

namespace PolicyTrail.Cli.Tests.Snapshot;

/// <summary>
/// <c>policytrail snapshot audit-log</c> through the real CLI, on an audit log written for this test in the shape
/// kube-apiserver writes (audit.k8s.io/v1 Event lines at RequestResponse level).
/// </summary>
public sealed class SnapshotAuditLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("policytrail-audit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Store => Path.Combine(_dir, "policytrail.duckdb");

    private static string Event(string id, string stage, string verb, string resource, string? ns, string name, int code, string user, string time, string? response) =>
        $$$"""{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"{{{id}}}","stage":"{{{stage}}}","requestURI":"/apis/networking.k8s.io/v1/namespaces/{{{ns}}}/{{{resource}}}/{{{name}}}","verb":"{{{verb}}}","user":{"username":"{{{user}}}","groups":["system:authenticated"]},"objectRef":{"resource":"{{{resource}}}",{{{(ns is null ? "" : $"\"namespace\":\"{ns}\",")}}}"name":"{{{name}}}","apiGroup":"{{{(resource == "namespaces" ? "" : "networking.k8s.io")}}}","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":{{{code}}}},{{{(response is null ? "" : $"\"responseObject\":{response},")}}}"requestReceivedTimestamp":"{{{time}}}","stageTimestamp":"{{{time}}}"}""";

    private static string Policy(string rv) =>
        "{\"kind\":\"NetworkPolicy\",\"apiVersion\":\"networking.k8s.io/v1\",\"metadata\":{\"name\":\"deny-all\",\"namespace\":\"payments\",\"uid\":\"p-1\",\"resourceVersion\":\"" + rv
            + "\",\"managedFields\":[{\"manager\":\"kubectl\"}]},\"spec\":{\"podSelector\":{},\"policyTypes\":[\"Ingress\"]}}";

    [Fact]
    public async Task Policy_and_namespace_changes_are_recorded_with_their_user_once_and_the_store_verifies()
    {
        var log = Path.Combine(_dir, "audit.log");
        await File.WriteAllLinesAsync(log,
        [
            Event("a1", "RequestReceived", "create", "networkpolicies", "payments", "deny-all", 0, "alice", "2026-11-27T08:00:00.100000Z", null),
            Event("a1", "ResponseComplete", "create", "networkpolicies", "payments", "deny-all", 201, "alice", "2026-11-27T08:00:00.120000Z", Policy("100")),
            Event("a2", "ResponseComplete", "patch", "networkpolicies", "payments", "deny-all", 403, "mallory", "2026-11-27T08:01:00Z", null),
            Event("a3", "ResponseComplete", "patch", "networkpolicies", "payments", "deny-all", 200, "bob", "2026-11-27T08:02:00Z", Policy("140")),
            Event("a4", "ResponseComplete", "patch", "namespaces", null, "payments", 200, "bob", "2026-11-27T08:03:00Z",
                """{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"payments","labels":{"pci":"true"},"resourceVersion":"150"}}"""),
            Event("a5", "ResponseComplete", "delete", "networkpolicies", "payments", "deny-all", 200, "alice", "2026-11-27T08:04:00Z", null),
            "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"auditID\":\"broken",
        ], TestContext.Current.CancellationToken);

        var r = await CliRunner.RunAsync(["snapshot", "audit-log", "--store", Store, log]);
        Assert.True(r.ExitCode == 1, r.Stderr); // one line rejected
        Assert.Contains("recorded 4 changes to namespaces and policies, 1 other policy audit records", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("1 rejected", r.Stderr, StringComparison.Ordinal);

        var again = await CliRunner.RunAsync(["snapshot", "audit-log", "--store", Store, log]);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("recorded 0 changes", again.Stderr, StringComparison.Ordinal);

        var verify = await CliRunner.RunAsync(["verify", "--store", Store]);
        Assert.True(verify.ExitCode == 0, verify.Stderr + verify.Stdout);

        var q = await CliRunner.RunAsync(["query", "--store", Store, "-o", "jsonl"]);
        var changes = q.StdoutLines.Select(l => JsonNode.Parse(l)!.AsObject()).Where(e => e["change"] is JsonObject).Select(e => e["change"]!.AsObject()).ToArray();
        Assert.Equal(["added", "modified", "modified", "deleted"], changes.Select(c => (string?)c["type"]));
        Assert.Equal(["NetworkPolicy", "NetworkPolicy", "Namespace", "NetworkPolicy"], changes.Select(c => (string?)c["objectKind"]));
        Assert.Equal(["alice", "bob", "bob", "alice"], changes.Select(c => (string?)c["user"]));
        Assert.Equal("140", (string?)changes[1]["resourceVersion"]);
        Assert.Null(changes[1]["object"]!["metadata"]!["managedFields"]);
        Assert.Equal("true", (string?)changes[2]["object"]!["metadata"]!["labels"]!["pci"]);
        Assert.StartsWith("audit-log ", (string?)changes[0]["origin"], StringComparison.Ordinal);
    }
}
