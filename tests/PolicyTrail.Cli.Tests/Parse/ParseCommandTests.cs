using System.Text.Json;
using PolicyTrail.Cli.Tests.Support;

namespace PolicyTrail.Cli.Tests.Parse;

public sealed class ParseCommandTests : IDisposable
{
    private const string Denied = """{"flow":{"time":"2026-01-02T03:04:05.5Z","verdict":"DROPPED","drop_reason_desc":"POLICY_DENIED","IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"TCP":{"source_port":40000,"destination_port":80}},"source":{"namespace":"x","pod_name":"a"},"destination":{"namespace":"y","pod_name":"b"},"traffic_direction":"INGRESS"},"node_name":"n1"}""";
    private const string Lost = """{"lost_events":{"source":"PERF_EVENT_RING_BUFFER","num_events_lost":"7"},"node_name":"n1","time":"2026-01-02T03:04:06Z"}""";

    private readonly string _dir = Directory.CreateTempSubdirectory("policytrail-parse-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Jsonl_records_carry_the_contract_fields_and_exit_0_when_clean()
    {
        var file = Write("flows.jsonl", Denied + "\n" + Lost + "\n");
        var r = await CliRunner.RunAsync("parse", file);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.StdoutLines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, lines.Count);
        var flow = lines[0];
        Assert.Equal("flow", flow.GetProperty("kind").GetString());
        Assert.Equal("2026-01-02T03:04:05.500Z", flow.GetProperty("time").GetString());
        Assert.Equal("10.0.0.1", flow.GetProperty("src").GetProperty("ip").GetString());
        Assert.Equal(40000, flow.GetProperty("src").GetProperty("port").GetInt32());
        Assert.Equal("x", flow.GetProperty("src").GetProperty("namespace").GetString());
        Assert.Equal("a", flow.GetProperty("src").GetProperty("pod").GetString());
        Assert.Equal("TCP", flow.GetProperty("protocol").GetString());
        Assert.Equal("denied", flow.GetProperty("reported").GetProperty("verdict").GetString());
        Assert.Equal(0, flow.GetProperty("reported").GetProperty("policies").GetArrayLength());
        Assert.Equal("hubble", flow.GetProperty("source").GetProperty("format").GetString());
        Assert.Equal(file, flow.GetProperty("source").GetProperty("file").GetString());
        Assert.Equal(1, flow.GetProperty("source").GetProperty("line").GetInt32());
        Assert.Equal("gap", lines[1].GetProperty("kind").GetString());
        Assert.Equal(7, lines[1].GetProperty("lost").GetInt32());
        Assert.Contains("read 2 lines: 2 normalized (1 flows, 1 gaps), 0 skipped, 0 rejected", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("hubble: 1 input, 2 read, 1 flows, 1 gaps", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_fields_stay_null_rather_than_absent()
    {
        var r = await CliRunner.RunAsync("parse", Write("f.jsonl", """{"flow":{"time":"2026-01-02T03:04:05Z","verdict":"FORWARDED"}}"""));
        var src = JsonDocument.Parse(r.StdoutLines[0]).RootElement.GetProperty("src");
        foreach (var field in new[] { "ip", "port", "namespace", "pod" })
        {
            Assert.Equal(JsonValueKind.Null, src.GetProperty(field).ValueKind);
        }
    }

    [Fact]
    public async Task Rejected_lines_give_exit_1_and_go_to_the_rejects_file_with_line_and_reason()
    {
        var file = Write("mixed.jsonl", Denied + "\n{\"flow\":{\"time\":\"nope\"}}\n" + Denied[..40] + "\n");
        var rejects = Path.Combine(_dir, "rejects.jsonl");
        var r = await CliRunner.RunAsync("parse", file, "--rejects", rejects);
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.StdoutLines);
        var lines = (await File.ReadAllLinesAsync(rejects, TestContext.Current.CancellationToken)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([2, 3], lines.Select(l => l.GetProperty("line").GetInt32()));
        Assert.Equal("bad time 'nope'", lines[0].GetProperty("reason").GetString());
        Assert.Equal(file, lines[0].GetProperty("file").GetString());
        Assert.Equal("{\"flow\":{\"time\":\"nope\"}}", lines[0].GetProperty("raw").GetString());
        Assert.Contains("2 rejected", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nothing_readable_is_exit_2()
    {
        var r = await CliRunner.RunAsync("parse", Write("empty.log", ""));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("nothing could be read", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stdin_and_table_output_work()
    {
        var r = await CliRunner.RunWithInputAsync(Denied, "parse", "-", "-o", "table");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("TIME", r.StdoutLines[0], StringComparison.Ordinal);
        Assert.Contains("x/a:40000", r.StdoutLines[1], StringComparison.Ordinal);
        Assert.Contains("denied", r.StdoutLines[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unknown format 'bogus'", "parse", "x", "--format", "bogus")]
    [InlineData("-o must be jsonl or table", "parse", "x", "-o", "csv")]
    [InlineData("give at least one FILE", "parse")]
    [InlineData("unknown time zone", "parse", "x", "--timezone", "Mars/Olympus")]
    [InlineData("no such file or folder", "parse", "/nonexistent/flows.jsonl")]
    public async Task Usage_errors_are_one_line_and_exit_2(string message, params string[] args)
    {
        var r = await CliRunner.RunAsync(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_bundled_example_flows_read_cleanly()
    {
        var r = await CliRunner.RunAsync("parse", Path.Combine(CliRunner.Examples, "flows"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(6, r.StdoutLines.Length);
    }

    [Fact]
    public async Task Formats_are_listed()
    {
        var r = await CliRunner.RunAsync("parse", "--formats");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("hubble", r.Stdout, StringComparison.Ordinal);
    }
}
