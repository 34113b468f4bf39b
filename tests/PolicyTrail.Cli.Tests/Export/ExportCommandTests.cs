using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PolicyTrail.Cli.Tests.Support;

namespace PolicyTrail.Cli.Tests.Export;

/// <summary><c>policytrail export</c> end to end: ingest the example cluster and hubble flows, export, prove what was exported.</summary>
public sealed class ExportCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("policytrail-export-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Store => Path.Combine(_dir, "policytrail.duckdb");

    private async Task Ingest()
    {
        var r = await CliRunner.RunAsync("ingest", "--store", Store, "--cluster", Path.Combine(CliRunner.Examples, "cluster"), Path.Combine(CliRunner.Examples, "flows", "hubble.jsonl"));
        Assert.True(r.ExitCode == 0, r.Stderr);
    }

    private async Task<string[]> Stored(params string[] filters)
    {
        var r = await CliRunner.RunAsync(["query", "--store", Store, "-o", "jsonl", .. filters]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r.StdoutLines;
    }

    private static string Leaf(string canonicalLine) =>
        Convert.ToHexStringLower(SHA256.HashData([0x00, .. Encoding.UTF8.GetBytes(canonicalLine)]));

    [Fact]
    public async Task Every_format_exports_what_query_selects_and_each_record_names_an_entry_that_proves()
    {
        await Ingest();
        var stored = await Stored();

        foreach (var format in new[] { "ocsf", "ecs", "cef", "syslog" })
        {
            var r = await CliRunner.RunAsync("export", "--store", Store, "--format", format);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Equal(stored.Length, r.StdoutLines.Length);
            Assert.Contains($"{stored.Length} entries exported as {format} to standard output", r.Stderr, StringComparison.Ordinal);
        }

        // OCSF: index and hash of every record are the stored entry's, recomputed from the bytes the store gives back.
        var ocsf = (await CliRunner.RunAsync("export", "--store", Store, "--format", "ocsf")).StdoutLines.Select(l => JsonNode.Parse(l)!).ToArray();
        for (var i = 0; i < stored.Length; i++)
        {
            var index = (long)ocsf[i]["metadata"]!["sequence"]!;
            Assert.Equal(i, index);
            Assert.Equal(Leaf(stored[i]), (string?)ocsf[i]["metadata"]!["uid"]);
        }

        // And 'prove' agrees for a few of them: its leaf hash is the exported entry hash.
        foreach (var record in ocsf.Where(r => (int)r["class_uid"]! == 4001).Take(3))
        {
            var index = (long)record["metadata"]!["sequence"]!;
            var proof = await CliRunner.RunAsync("prove", "--store", Store, "--entry", index.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(proof.ExitCode == 0, proof.Stderr);
            Assert.Equal((string?)record["metadata"]!["uid"], (string?)JsonNode.Parse(proof.Stdout)!["leafHash"]);
        }
    }

    [Fact]
    public async Task Filters_are_the_query_filters_and_o_writes_a_file()
    {
        await Ingest();
        var denied = await Stored("--verdict", "deny");
        var file = Path.Combine(_dir, "denied.cef");

        var r = await CliRunner.RunAsync("export", "--store", Store, "--format", "cef", "--verdict", "deny", "-o", file);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("", r.Stdout);
        var lines = File.ReadAllLines(file);
        Assert.Equal(denied.Length, lines.Length);
        Assert.All(lines, l => Assert.Contains("|flow-deny|Connection denied|", l, StringComparison.Ordinal));
        Assert.Equal(denied.Select(Leaf), lines.Select(l => l.Split(" cs2=")[1].Split(' ')[0]));

        // The filters planned over the store's fragments apply too.
        var toPostgres = await Stored("--to-pod", "payments/postgres", "--protocol", "TCP");
        Assert.NotEmpty(toPostgres);
        var planned = await CliRunner.RunAsync("export", "--store", Store, "--format", "ecs", "--to-pod", "payments/postgres", "--protocol", "TCP");
        Assert.True(planned.ExitCode == 0, planned.Stderr);
        Assert.Equal(toPostgres.Select(Leaf), planned.StdoutLines.Select(l => (string?)JsonNode.Parse(l)!["event"]!["hash"]));
    }

    [Fact]
    public async Task Tcp_delivers_syslog_octet_counted_to_a_listener()
    {
        await Ingest();
        var stored = await Stored("--namespace", "payments");
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var received = Task.Run(async () =>
            {
                using var client = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
                using var buffer = new MemoryStream();
                await client.GetStream().CopyToAsync(buffer, TestContext.Current.CancellationToken);
                return Encoding.UTF8.GetString(buffer.ToArray());
            }, TestContext.Current.CancellationToken);

            var r = await CliRunner.RunAsync("export", "--store", Store, "--format", "syslog", "--namespace", "payments", "--to", $"tcp://127.0.0.1:{port}");

            Assert.True(r.ExitCode == 0, r.Stderr);
            var text = await received.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
            var messages = new List<string>();
            for (var i = 0; i < text.Length;)
            {
                var space = text.IndexOf(' ', i);
                var length = int.Parse(text[i..space], System.Globalization.CultureInfo.InvariantCulture);
                messages.Add(text.Substring(space + 1, length));
                i = space + 1 + length;
            }
            Assert.Equal(stored.Length, messages.Count);
            Assert.All(messages.Zip(stored), m => Assert.Contains($"entryHash=\"{Leaf(m.Second)}\"", m.First, StringComparison.Ordinal));
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task A_refused_connection_and_bad_options_are_one_line_and_exit_2()
    {
        await Ingest();
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var refused = await CliRunner.RunAsync("export", "--store", Store, "--format", "ecs", "--to", $"tcp://127.0.0.1:{port}");
        var noFormat = await CliRunner.RunAsync("export", "--store", Store);
        var badUrl = await CliRunner.RunAsync("export", "--store", Store, "--format", "cef", "--to", "http://x:1");

        Assert.Equal(2, refused.ExitCode);
        Assert.Equal($"policytrail: tcp://127.0.0.1:{port}: connection refused", refused.Stderr.Trim());
        Assert.Equal(2, noFormat.ExitCode);
        Assert.Contains("--format is required", noFormat.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, badUrl.ExitCode);
        Assert.Single(badUrl.Stderr.Trim().Split('\n'));
    }
}
