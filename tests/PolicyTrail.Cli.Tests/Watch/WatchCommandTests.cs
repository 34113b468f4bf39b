using System.Diagnostics;
using System.Text.Json.Nodes;
using PolicyTrail.Cli.Tests.Support;
using PolicyTrail.Identity.Tests.Watch;

namespace PolicyTrail.Cli.Tests.Watch;

/// <summary><c>policytrail watch</c> against the fake API server: the real program as a child process, stopped by SIGTERM.</summary>
public sealed class WatchCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("policytrail-watch-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Watch_writes_json_lines_until_SIGTERM_then_exits_0_with_a_summary()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await ShopCluster();
        var output = Path.Combine(_dir, "changes.jsonl");

        var (exitCode, errors, stdout) = await RunWatchAsync(["--out", output], async () =>
        {
            await server.WaitForWatchesAsync("pods", 1, TimeSpan.FromSeconds(30));
            server["pods"].Put("shop", "web-2");
            await WaitForLinesAsync(output, 3);
            server["pods"].Drop();
            server["pods"].Expire();
            await WaitForLinesAsync(output, 4);
        });

        Assert.True(exitCode == 0, $"exit {exitCode}: {errors}");
        Assert.Equal("", stdout);
        Assert.Contains("watch: stopped: 3 changes (Pod 2, Namespace 1), 1 gap", errors, StringComparison.Ordinal);
        Assert.Contains("policytrail: warning: adminnetworkpolicies, baselineadminnetworkpolicies: not watched", errors, StringComparison.Ordinal);

        var lines = (await File.ReadAllLinesAsync(output, ct)).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(4, lines.Count);
        var changes = lines.Where(l => l["record"]!.GetValue<string>() == "change").ToList();
        Assert.Equal(
            ["Added Namespace shop", "Added Pod shop/web-1", "Added Pod shop/web-2"],
            changes.Select(c => $"{c["type"]} {c["kind"]} {(c["namespace"] is { } ns ? ns + "/" : "")}{c["name"]}").Order(StringComparer.Ordinal));
        var web1 = changes.Single(c => c["name"]!.GetValue<string>() == "web-1");
        Assert.Equal("2026-11-01T08:00:00.000000000Z", web1["notBefore"]!.GetValue<string>());
        Assert.Equal("web", web1["object"]!["metadata"]!["labels"]!["app"]!.GetValue<string>());
        Assert.Equal("Pod", web1["object"]!["kind"]!.GetValue<string>());
        var web2 = changes.Single(c => c["name"]!.GetValue<string>() == "web-2");
        Assert.Null(web2["notBefore"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", web2["time"]!.GetValue<string>());
        var gap = lines[^1];
        Assert.Equal("gap", gap["record"]!.GetValue<string>());
        Assert.StartsWith("pods: watch disconnected: ", gap["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(string.CompareOrdinal(gap["from"]!.GetValue<string>(), gap["to"]!.GetValue<string>()) < 0);
    }

    [Fact]
    public async Task Watch_records_changes_in_the_store_and_a_second_run_records_the_time_it_was_not_watching()
    {
        await using var server = await ShopCluster();
        var store = Path.Combine(_dir, "audit.duckdb");
        var output = Path.Combine(_dir, "changes.jsonl");

        async Task<string> RunUntil(int lines, Action then)
        {
            var (exitCode, errors, _) = await RunWatchAsync(["--store", store, "--out", output], async () =>
            {
                await WaitForLinesAsync(output, lines);
                then();
                await WaitForLinesAsync(output, lines + 1);
            });
            Assert.True(exitCode == 0, $"exit {exitCode}: {errors}");
            return errors;
        }

        var first = await RunUntil(2, () => server["pods"].Put("shop", "web-2"));
        Assert.Contains("ledger " + store + ": 3 entries, checkpoint signed", first, StringComparison.Ordinal);
        // While nothing watched, web-1 went away; the second run records only that, and what happens while it watches.
        server["pods"].Remove("shop", "web-1", emit: false);
        var second = await RunUntil(4, () => server["pods"].Put("shop", "web-3"));
        Assert.Contains("2 changes", second, StringComparison.Ordinal);
        Assert.Contains("1 gap", second, StringComparison.Ordinal);

        var verify = await CliRunner.RunAsync("verify", "--store", store);
        Assert.True(verify.ExitCode == 0, verify.Stderr + verify.Stdout);
        var query = await CliRunner.RunAsync("query", "--store", store, "-o", "jsonl");
        var entries = query.StdoutLines.Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
        Assert.Equal(6, entries.Length); // 3 changes, then the gap, web-1 found gone, web-3 added
        Assert.Equal(["inventory-change", "inventory-change", "inventory-change", "gap", "inventory-change", "inventory-change"],
            entries.Select(e => (string?)e["kind"]));
        var gone = entries[4]["change"]!;
        Assert.Equal(("deleted", "web-1"), ((string?)gone["type"], (string?)gone["name"]));
        Assert.Equal((string?)entries[3]["from"], (string?)gone["notBefore"]);
        Assert.Equal(("added", "web-3"), ((string?)entries[5]["change"]!["type"], (string?)entries[5]["change"]!["name"]));
        Assert.StartsWith("not watching http://127.0.0.1:", (string?)entries[3]["reason"], StringComparison.Ordinal);
        Assert.True(string.CompareOrdinal((string?)entries[3]["from"], (string?)entries[3]["until"]) < 0);
        var pod = entries.Select(e => e["change"]).OfType<JsonObject>().First(c => (string?)c["name"] == "web-1");
        Assert.Equal("Pod", (string?)pod["objectKind"]);
        Assert.Equal("web", (string?)pod["object"]!["metadata"]!["labels"]!["app"]);
    }

    [Fact]
    public async Task A_missing_kubeconfig_is_one_clear_line_and_exit_2()
    {
        var missing = Path.Combine(_dir, "nope");
        var r = await CliRunner.RunAsync("watch", "--kubeconfig", missing, "--out", "-");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"policytrail: {missing}: no such kubeconfig file\n", r.Stderr);
    }

    /// <summary>A fake API server with namespace shop and pod shop/web-1 (app=web), admin policies not served; its kubeconfig in the test folder.</summary>
    private async Task<FakeApiServer> ShopCluster()
    {
        var server = await FakeApiServer.StartAsync();
        server.AdminPoliciesServed = false;
        server["namespaces"].Put(null, "shop", emit: false);
        server["pods"].Put("shop", "web-1", new Dictionary<string, string> { ["app"] = "web" }, emit: false);
        server.WriteKubeconfig(Kubeconfig);
        return server;
    }

    private string Kubeconfig => Path.Combine(_dir, "kubeconfig");

    /// <summary>Runs <c>policytrail watch --kubeconfig K ARGS</c> as a process, does <paramref name="meanwhile"/>, then SIGTERMs it.</summary>
    private async Task<(int ExitCode, string Stderr, string Stdout)> RunWatchAsync(string[] args, Func<Task> meanwhile)
    {
        var ct = TestContext.Current.CancellationToken;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "policytrail.dll"), "watch", "--kubeconfig", Kubeconfig }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync(ct);
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        try
        {
            await meanwhile();
        }
        finally
        {
            using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync(ct);
        }
        await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(20), ct);
        return (process.ExitCode, await stderr, await stdout);
    }

    private static async Task WaitForLinesAsync(string path, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!File.Exists(path) || File.ReadAllLines(path).Length < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{path}: fewer than {count} lines: {(File.Exists(path) ? File.ReadAllText(path) : "(none)")}");
            }
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }
}
