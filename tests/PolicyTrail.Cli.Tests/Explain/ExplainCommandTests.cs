using System.Text.Json;
using PolicyTrail.Cli.Tests.Support;

namespace PolicyTrail.Cli.Tests.Explain;

public class ExplainCommandTests
{
    private static string Cluster => Path.Combine(CliRunner.Examples, "cluster");

    public class Given_one_probe
    {
        [Fact]
        public async Task Text_output_starts_with_the_human_line_and_exits_0()
        {
            var r = await CliRunner.RunAsync("explain", "--cluster", Cluster, "--from", "frontend/web-7d4b9c-x2x7p", "--to", "payments/postgres-0", "--port", "5432");
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.StartsWith(
                "denied: payments/postgres-0 is isolated for ingress by payments/default-deny and payments/postgres-ingress; no ingress rule admits TCP 5432 from frontend/web-7d4b9c-x2x7p",
                r.Stdout, StringComparison.Ordinal);
            Assert.Contains("cluster: 5 files", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("skipped 1 objects of other kinds (ConfigMap 1)", r.Stderr, StringComparison.Ordinal);
        }

        [Fact]
        public async Task Json_output_has_the_contract_fields()
        {
            var r = await CliRunner.RunAsync("explain", "-c", Cluster, "--from", "monitoring/prometheus-0", "--to", "payments/api-5f6c8d-k9j2q", "--port", "metrics", "-o", "json");
            Assert.Equal(0, r.ExitCode);
            using var doc = JsonDocument.Parse(r.Stdout);
            var root = doc.RootElement;
            Assert.Equal("monitoring/prometheus-0", root.GetProperty("from").GetString());
            Assert.Equal("payments/api-5f6c8d-k9j2q", root.GetProperty("to").GetString());
            Assert.Equal("metrics", root.GetProperty("port").GetString());
            Assert.Equal(9090, root.GetProperty("resolvedPort").GetInt32());
            Assert.Equal("TCP", root.GetProperty("protocol").GetString());
            Assert.Equal("allow", root.GetProperty("verdict").GetString());
            var ingress = root.GetProperty("ingress");
            Assert.True(ingress.GetProperty("isolated").GetBoolean());
            Assert.Equal(["payments/default-deny", "payments/api-ingress"], ingress.GetProperty("selectedBy").EnumerateArray().Select(e => e.GetString()));
            var by = Assert.Single(ingress.GetProperty("allowedBy").EnumerateArray().ToList());
            Assert.Equal("payments/api-ingress", by.GetProperty("policy").GetString());
            Assert.Equal("7003", by.GetProperty("resourceVersion").GetString());
            Assert.Equal(1, by.GetProperty("rule").GetInt32());
            Assert.Equal(0, by.GetProperty("peer").GetInt32());
            Assert.Equal(0, by.GetProperty("port").GetInt32());
            Assert.False(root.GetProperty("egress").GetProperty("isolated").GetBoolean());
            Assert.StartsWith("allowed:", root.GetProperty("explanation").GetString(), StringComparison.Ordinal);
        }

        [Fact]
        public async Task An_unknown_pod_is_verdict_unknown_with_an_error_and_exit_2()
        {
            var r = await CliRunner.RunAsync("explain", "-c", Cluster, "--from", "payments/ghost", "--to", "payments/postgres-0", "--port", "5432", "-o", "json");
            Assert.Equal(2, r.ExitCode);
            using var doc = JsonDocument.Parse(r.Stdout);
            Assert.Equal("unknown", doc.RootElement.GetProperty("verdict").GetString());
            Assert.Equal("no pod or service payments/ghost in the cluster snapshot", doc.RootElement.GetProperty("error").GetString());
            Assert.Contains("policytrail: no pod or service payments/ghost", r.Stderr, StringComparison.Ordinal);
        }
    }

    public class Given_a_batch
    {
        [Fact]
        public async Task Every_probe_gets_one_line_in_input_order()
        {
            var r = await CliRunner.RunAsync("explain", "-c", Cluster, "--probes", Path.Combine(CliRunner.Examples, "probes.jsonl"), "-o", "jsonl");
            Assert.Equal(0, r.ExitCode);
            var inputs = File.ReadAllLines(Path.Combine(CliRunner.Examples, "probes.jsonl"));
            Assert.Equal(inputs.Length, r.StdoutLines.Length);
            for (var i = 0; i < inputs.Length; i++)
            {
                using var probe = JsonDocument.Parse(inputs[i]);
                using var answer = JsonDocument.Parse(r.StdoutLines[i]);
                Assert.Equal(probe.RootElement.GetProperty("from").GetString(), answer.RootElement.GetProperty("from").GetString());
                Assert.Equal(probe.RootElement.GetProperty("to").GetString(), answer.RootElement.GetProperty("to").GetString());
                Assert.Contains(answer.RootElement.GetProperty("verdict").GetString(), new[] { "allow", "deny", "unknown" });
            }
            Assert.Contains("explained 15 probes", r.Stderr, StringComparison.Ordinal);
        }

        [Fact]
        public async Task A_malformed_line_is_answered_in_place_named_by_line_and_the_batch_goes_on()
        {
            const string probes = """
                {"from": "frontend/web-7d4b9c-x2x7p", "to": "payments/postgres-0", "port": 5432}
                {"from": "frontend/web-7d4b9c-x2x7p", "to": "payments/postgres-0"}
                not json at all

                {"from": "payments/api-5f6c8d-k9j2q", "to": "payments/postgres-0", "port": 5432, "protocol": "TCP"}
                {"from": "x/ghost", "to": "payments/postgres-0", "port": 5432}
                """;
            var r = await CliRunner.RunWithInputAsync(probes, "explain", "-c", Cluster, "--probes", "-");
            Assert.Equal(2, r.ExitCode);
            var lines = r.StdoutLines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.Equal(["deny", "unknown", "unknown", "allow", "unknown"], lines.Select(l => l.GetProperty("verdict").GetString()));
            Assert.Equal(2, lines[1].GetProperty("line").GetInt32());
            Assert.Contains("policytrail: -:2: not a probe: missing \"port\"", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("policytrail: -:3: not a probe: invalid JSON", r.Stderr, StringComparison.Ordinal);
            Assert.Equal("no pod or service x/ghost in the cluster snapshot", lines[4].GetProperty("error").GetString());
        }

        [Fact]
        public async Task Unknown_pods_alone_still_exit_0_because_every_probe_was_answered()
        {
            var r = await CliRunner.RunWithInputAsync("""{"from": "x/ghost", "to": "y/ghost", "port": 80}""", "explain", "-c", Cluster, "--probes", "-", "-o", "jsonl");
            Assert.Equal(0, r.ExitCode);
            Assert.Contains("\"verdict\":\"unknown\"", r.Stdout, StringComparison.Ordinal);
        }

        [Fact]
        public async Task Json_output_is_one_array()
        {
            var r = await CliRunner.RunWithInputAsync("""{"from": "frontend/web-7d4b9c-x2x7p", "to": "payments/postgres-0", "port": 5432}""", "explain", "-c", Cluster, "--probes", "-", "-o", "json");
            using var doc = JsonDocument.Parse(r.Stdout);
            Assert.Equal(1, doc.RootElement.GetArrayLength());
        }
    }

    public class Given_bad_usage
    {
        [Theory]
        [InlineData("--to required", "explain", "-c", "CLUSTER", "--from", "a/b", "--port", "80")]
        [InlineData("--cluster PATH is required", "explain", "--from", "a/b", "--to", "c/d", "--port", "80")]
        [InlineData("-o must be text, json or jsonl", "explain", "-c", "CLUSTER", "--probes", "x", "-o", "xml")]
        [InlineData("--protocol must be TCP, UDP or SCTP", "explain", "-c", "CLUSTER", "--from", "a/b", "--to", "c/d", "--port", "80", "--protocol", "ICMPX")]
        [InlineData("--probes cannot be combined", "explain", "-c", "CLUSTER", "--probes", "x", "--from", "a/b")]
        [InlineData("no such file or folder", "explain", "-c", "/nonexistent/cluster", "--from", "a/b", "--to", "c/d", "--port", "80")]
        [InlineData("cannot read probes", "explain", "-c", "CLUSTER", "--probes", "/nonexistent/probes.jsonl")]
        [InlineData("Unknown command", "explian")]
        public async Task Each_gives_one_clear_line_and_exit_2(string message, params string[] args)
        {
            var r = await CliRunner.RunAsync(args.Select(a => a == "CLUSTER" ? Cluster : a).ToArray());
            Assert.Equal(2, r.ExitCode);
            var errors = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("policytrail:", StringComparison.Ordinal)).ToList();
            Assert.Contains(message, Assert.Single(errors), StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
        }

        [Fact]
        public async Task A_malformed_cluster_file_names_file_and_line()
        {
            var file = Path.Combine(Path.GetTempPath(), $"policytrail-bad-{Guid.NewGuid():N}.yaml");
            await File.WriteAllTextAsync(file, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: y}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 300.0.0.0/8}\n", TestContext.Current.CancellationToken);
            try
            {
                var r = await CliRunner.RunAsync("explain", "-c", file, "--from", "a/b", "--to", "c/d", "--port", "80");
                Assert.Equal(2, r.ExitCode);
                Assert.Equal($"policytrail: {file}:8: NetworkPolicy y/p: spec.ingress[0].from[0].ipBlock.cidr: '300.0.0.0/8' is not a CIDR (bad address)", r.Stderr.Trim());
            }
            finally
            {
                File.Delete(file);
            }
        }
    }

    public class Given_help
    {
        [Theory]
        [InlineData]
        [InlineData("explain")]
        [InlineData("parse")]
        [InlineData("keys", "init")]
        public async Task Help_of_every_verb_renders(params string[] verb)
        {
            var r = await CliRunner.RunAsync([.. verb, "--help"]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Contains("USAGE:", r.Stdout, StringComparison.Ordinal);
        }

        [Fact]
        public async Task Explain_help_shows_an_example_for_every_option()
        {
            var r = await CliRunner.RunAsync("explain", "--help");
            Assert.Equal(0, r.ExitCode);
            var examples = r.Stdout[r.Stdout.IndexOf("EXAMPLES:", StringComparison.Ordinal)..r.Stdout.IndexOf("OPTIONS:", StringComparison.Ordinal)];
            foreach (var option in new[] { "--cluster", "--from", "--to", "--port", "--protocol", "--probes", "-o", "--ipblock-selects-pods", "--no-cache" })
            {
                Assert.Matches($@"\s{option}(\s|$)", examples);
            }
        }

        [Fact]
        public async Task Every_example_in_help_runs_against_the_bundled_examples()
        {
            var r = await CliRunner.RunAsync("explain", "--help");
            var lines = r.Stdout.Split('\n').SkipWhile(l => !l.StartsWith("EXAMPLES:", StringComparison.Ordinal)).Skip(1)
                .TakeWhile(l => l.Trim().Length > 0).Select(l => l.Trim()).Where(l => l.Contains("examples/", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(lines);
            foreach (var line in lines)
            {
                var args = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                    .Select(a => a.StartsWith("examples/", StringComparison.Ordinal) ? Path.Combine(CliRunner.Repo, a) : a).ToArray();
                var run = await CliRunner.RunAsync(args);
                Assert.True(run.ExitCode == 0, $"'{line}' exited {run.ExitCode}: {run.Stderr}");
            }
        }
    }
}
