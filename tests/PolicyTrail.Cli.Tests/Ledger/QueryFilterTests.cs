using System.Text.Json.Nodes;
using PolicyTrail.Cli.Tests.Support;

namespace PolicyTrail.Cli.Tests.Ledger;

/// <summary>The example cluster and flows, ingested once, plus one flow the CNI dropped but PolicyTrail allows (a disagreement).</summary>
public sealed class ExampleStoreFixture : IAsyncLifetime
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("policytrail-query-").FullName;

    public string Store => Path.Combine(Folder, "policytrail.duckdb");

    public async ValueTask InitializeAsync()
    {
        var examples = Path.Combine(CliRunner.Examples, "flows", "hubble.jsonl");
        // The first example flow again, one second after the last line, as the CNI dropped it: PolicyTrail allows it.
        var dropped = File.ReadLines(examples).First()
            .Replace("2026-11-26T09:00:01.123456789Z", "2026-11-26T09:00:07.123456789Z", StringComparison.Ordinal)
            .Replace("\"FORWARDED\"", "\"DROPPED\"", StringComparison.Ordinal);
        var extra = Path.Combine(Folder, "dropped.jsonl");
        await File.WriteAllTextAsync(extra, dropped + "\n");
        var r = await CliRunner.RunAsync("ingest", "--store", Store, "--cluster", Path.Combine(CliRunner.Examples, "cluster"), examples, extra);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"ingest failed ({r.ExitCode}): {r.Stderr}");
        }
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(Folder, recursive: true);
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// <c>policytrail query</c>'s flow filters on the example flows, named by the second of their time:
/// 01 frontend/web-…x2x7p → payments/api:8443 allow; 02 monitoring/prometheus-0 → payments/api:9090 allow;
/// 03 payments/api → payments/postgres-0:5432 allow; 04 frontend/web-…p8m2z → payments/postgres-0:5432 deny;
/// 05 monitoring/prometheus-0 → frontend/web-…x2x7p:8080 deny; 07 as 01, dropped by the CNI (disagree).
/// </summary>
public sealed class QueryFilterTests(ExampleStoreFixture store) : IClassFixture<ExampleStoreFixture>
{
    private async Task<string[]> Flows(params string[] args)
    {
        var r = await CliRunner.RunAsync(["query", "--store", store.Store, "-o", "jsonl", .. args]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var entries = r.StdoutLines.Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
        Assert.All(entries, e => Assert.Equal("flow", (string?)e["kind"]));
        return [.. entries.Select(e => ((string)e["time"]!).Substring(17, 2))];
    }

    [Fact]
    public async Task Without_flow_filters_every_entry_is_listed_and_with_one_only_flows()
    {
        var all = await CliRunner.RunAsync("query", "--store", store.Store, "-o", "jsonl");
        Assert.Contains(all.StdoutLines, l => l.Contains("\"kind\":\"gap\"", StringComparison.Ordinal));
        Assert.Equal(["01", "02", "03", "04", "05", "07"], await Flows("--protocol", "TCP"));
    }

    [Theory]
    [InlineData("01 04 07", "--from-namespace", "frontend")]
    [InlineData("01 02 04 05 07", "--from-namespace", "frontend", "--from-namespace", "monitoring")]
    [InlineData("01 02 03 04 07", "--to-namespace", "payments")]
    [InlineData("01 04 07", "--from-pod", "web-")]
    [InlineData("01 07", "--from-pod", "frontend/web-7d4b9c-x")]
    [InlineData("", "--from-pod", "payments/web-")]
    [InlineData("01 02 03 04 07", "--to-pod", "payments/")]
    [InlineData("03 04 05", "--to-pod", "postgres", "--to-pod", "frontend/web")]
    [InlineData("01 04 07", "--from-label", "app=web")]
    [InlineData("01 02 04 05 07", "--from-label", "app=web", "--from-label", "app in (prometheus)")]
    [InlineData("03 04", "--to-label", "tier in (data)")]
    [InlineData("05", "--to-label", "!tier")]
    [InlineData("01 02 07", "--to-label", "app=api,tier=backend,tier!=data")]
    [InlineData("02 04 05", "--from-ip", "10.244.2.0/24")]
    [InlineData("01 02 07", "--to-ip", "10.244.1.20")]
    [InlineData("", "--to-ip", "fd00::/8")]
    [InlineData("03 04", "--port", "5432")]
    [InlineData("02 03 04", "--port", "5432", "--port", "9090")]
    [InlineData("01 02 05 07", "--port", "8000-9999")]
    [InlineData("", "--protocol", "udp", "--protocol", "ICMP")]
    [InlineData("04 05", "--verdict", "deny")]
    [InlineData("01 02 03 04 05 07", "--verdict", "deny", "--verdict", "allow")]
    [InlineData("", "--verdict", "unknown")]
    [InlineData("01 02 07", "--policy", "payments/api-ingress")]
    [InlineData("04", "--policy", "payments/default-deny")]
    [InlineData("04 05", "--policy", "payments/default-deny", "--policy", "frontend/default-deny-ingress")]
    [InlineData("01 02 07", "--service", "payments/api")]
    [InlineData("01 02 03 04 07", "--service", "payments/api", "--service", "payments/postgres")]
    [InlineData("01 02 04 05 07", "--cross-namespace")]
    [InlineData("07", "--disagreement")]
    public async Task Each_filter_selects_its_flows_and_repeated_values_are_ored(string expected, params string[] args) =>
        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries), await Flows(args));

    [Theory]
    [InlineData("04", "--from-namespace", "frontend", "--verdict", "deny")]
    [InlineData("04", "--from-label", "app=web", "--to-namespace", "payments", "--port", "5432")]
    [InlineData("01 07", "--cross-namespace", "--from-namespace", "frontend", "--port", "8443")]
    [InlineData("07", "--service", "payments/api", "--disagreement")]
    [InlineData("", "--from-namespace", "monitoring", "--to-pod", "payments/postgres")]
    [InlineData("04 05", "--namespace", "frontend", "--verdict", "deny", "--cross-namespace")]
    [InlineData("05", "--verdict", "deny", "--verdict", "unknown", "--since", "2026-11-26T09:00:05Z")]
    public async Task Different_filters_are_anded(string expected, params string[] args) =>
        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries), await Flows(args));

    [Fact]
    public async Task Order_desc_lists_newest_first_and_limit_takes_the_last()
    {
        Assert.Equal(["07", "05", "04", "02", "01"], await Flows("--cross-namespace", "--order", "desc"));
        Assert.Equal(["07", "05"], await Flows("--cross-namespace", "--order", "desc", "--limit", "2"));
        Assert.Equal(["01", "02"], await Flows("--cross-namespace", "--order", "asc", "--limit", "2"));
        var last = await CliRunner.RunAsync("query", "--store", store.Store, "-o", "jsonl", "--order", "desc", "--limit", "1");
        Assert.Equal("flow", (string?)JsonNode.Parse(Assert.Single(last.StdoutLines))!["kind"]);
    }

    [Fact]
    public async Task Csv_and_table_print_the_filtered_flows_as_before()
    {
        var csv = await CliRunner.RunAsync("query", "--store", store.Store, "-o", "csv", "--to-label", "tier=data");
        Assert.Equal(0, csv.ExitCode);
        Assert.StartsWith("index,kind,time,src_ip,", csv.Stdout, StringComparison.Ordinal);
        Assert.Equal(3, csv.StdoutLines.Length);
        var table = await CliRunner.RunAsync("query", "--store", store.Store, "--policy", "payments/default-deny");
        Assert.Contains("denied by default (payments/default-deny", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("1 entry", table.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--from-ip: '10.0.0.0/33': the prefix length must be 0 to 32", "--from-ip", "10.0.0.0/33")]
    [InlineData("--to-ip: 'web' is not an IP address or CIDR block", "--to-ip", "web")]
    [InlineData("--from-label: label selector 'env in (a,b': ')' expected", "--from-label", "env in (a,b")]
    [InlineData("--to-label: label selector 'app>1': '=', '==', '!=', 'in' or 'notin' expected", "--to-label", "app=web", "--to-label", "app>1")]
    [InlineData("--protocol: 'HTTP' is not a protocol", "--protocol", "HTTP")]
    [InlineData("--port: '70000': ports must be 1 to 65535", "--port", "70000")]
    [InlineData("--port: '0': ports must be 1 to 65535", "--port", "0")]
    [InlineData("--port: 'http' is not a port", "--port", "http")]
    [InlineData("--verdict must be allow, deny or unknown, not 'denied'", "--verdict", "deny", "--verdict", "denied")]
    [InlineData("--policy: 'a/b/c' is not NAMESPACE/NAME", "--policy", "a/b/c")]
    [InlineData("--service: 'api' is not NAMESPACE/NAME", "--service", "api")]
    [InlineData("--from-pod: 'a/b/c' is not NAMESPACE/POD-PREFIX or POD-PREFIX", "--from-pod", "a/b/c")]
    [InlineData("--order must be asc or desc, not 'newest'", "--order", "newest")]
    public async Task An_invalid_value_is_one_line_and_exit_2(string message, params string[] args)
    {
        var r = await CliRunner.RunAsync(["query", "--store", store.Store, .. args]);
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Contains(message, line, StringComparison.Ordinal);
        Assert.Empty(r.Stdout);
    }
}
