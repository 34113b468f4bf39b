using System.IO.Compression;
using System.Text;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Pipeline;
using PolicyTrail.Sources.Reading;
using PolicyTrail.Sources.Tests.Support;

namespace PolicyTrail.Sources.Tests.Pipeline;

public sealed class FlowReaderTests : IDisposable
{
    private const string HubbleLine = """{"flow":{"time":"2026-01-02T03:04:05.123Z","verdict":"DROPPED","IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"TCP":{"source_port":1,"destination_port":80}}},"node_name":"n1"}""";

    private readonly string _dir = Directory.CreateTempSubdirectory("policytrail-sources-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Blank_lines_are_ignored_and_CRLF_endings_are_accepted()
    {
        var outcome = Harness.ParseText($"\n{HubbleLine}\r\n\r\n   \n{HubbleLine}\r\n");
        Assert.Equal(2, outcome.Flows.Count);
        Assert.Equal([2L, 5L], outcome.Flows.Select(f => f.Source.Line));
        Assert.Equal(2, outcome.Summary.Read);
    }

    [Fact]
    public void Gzip_files_and_folders_are_read_in_name_order()
    {
        using (var gz = new MemoryStream())
        {
            using (var zip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
            {
                zip.Write(Encoding.UTF8.GetBytes(HubbleLine + "\n"));
            }
            Write("logs/b/flows.jsonl.gz", gz.ToArray());
        }
        Write("logs/a/flows.jsonl", Encoding.UTF8.GetBytes(HubbleLine + "\n" + HubbleLine + "\n"));
        Write("logs/.hidden", Encoding.UTF8.GetBytes("ignored"));
        var outcome = Harness.ParseFiles([Path.Combine(_dir, "logs")]);
        Assert.Equal(3, outcome.Flows.Count);
        Assert.EndsWith("a/flows.jsonl", outcome.Flows[0].Source.File, StringComparison.Ordinal);
        Assert.EndsWith("b/flows.jsonl.gz", outcome.Flows[2].Source.File, StringComparison.Ordinal);
        Assert.Equal(2, outcome.Summary.Formats["hubble"].Inputs);
    }

    [Fact]
    public void Stdin_gzip_is_recognised_too()
    {
        using var gz = new MemoryStream();
        using (var zip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
        {
            zip.Write(Encoding.UTF8.GetBytes(HubbleLine));
        }
        Assert.Single(Harness.ParseBytes(gz.ToArray()).Flows);
    }

    [Fact]
    public void An_unrecognised_input_rejects_every_line_and_is_named()
    {
        var outcome = Harness.ParseText("hello world\nthis is not a flow log\n");
        Assert.Equal(["-"], outcome.Summary.Unrecognised);
        Assert.Equal(2, outcome.Rejects.Count);
        Assert.All(outcome.Rejects, r => Assert.Contains("no supported format recognises this input", r.Reason, StringComparison.Ordinal));
        Assert.Equal("hello world", outcome.Rejects[0].Raw);
    }

    [Fact]
    public void A_forced_format_reads_what_detection_would_not()
    {
        var outcome = Harness.ParseText("garbage\n" + HubbleLine, format: "hubble");
        Assert.Single(outcome.Flows);
        Assert.Single(outcome.Rejects);
        Assert.Equal(1, outcome.Rejects[0].Line);
    }

    [Fact]
    public void An_oversized_line_is_rejected_and_reading_goes_on()
    {
        var huge = new string('x', 200_000);
        var reader = new FlowReader(new FlowReadOptions
        {
            Format = FormatRegistry.Find("hubble"),
            MaxLineBytes = 100_000,
            Stdin = () => new MemoryStream(Encoding.UTF8.GetBytes($"{huge}\n{HubbleLine}\n")),
        });
        var records = new List<NormalizedRecord>();
        var rejects = new List<RejectedRecord>();
        reader.Read([new Input("-", true)], records.Add, rejects.Add, TestContext.Current.CancellationToken);
        Assert.Single(records);
        var reject = Assert.Single(rejects);
        Assert.Equal("line longer than 100000 bytes", reject.Reason);
        Assert.Equal(1, reject.Line);
        Assert.True(reject.Raw.Length < 70_000);
    }

    [Fact]
    public void The_source_hash_is_the_SHA256_of_the_raw_line()
    {
        var flow = Assert.Single(Harness.ParseText(HubbleLine + "\r\n").Flows);
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(HubbleLine)));
        Assert.Equal(expected, flow.Source.Sha256);
        Assert.Equal("n1", flow.Source.Node);
    }

    [Fact]
    public void A_missing_input_is_a_clear_error()
    {
        var missing = Path.Combine(_dir, "nope.log");
        var e = Assert.Throws<FileNotFoundException>(() => Inputs.Expand([missing]));
        Assert.Equal($"{missing}: no such file or folder", e.Message);
    }

    [Fact]
    public async Task Follow_reads_appended_lines_and_survives_truncation_and_rotation()
    {
        var path = Write("follow.jsonl", Encoding.UTF8.GetBytes(HubbleLine + "\n"));
        using var stop = new CancellationTokenSource();
        var records = new List<NormalizedRecord>();
        var reader = new FlowReader(new FlowReadOptions { Follow = true, Format = FormatRegistry.Find("hubble") });
        var task = Task.Run(() =>
        {
            try
            {
                reader.Read([new Input(path, false)], r => { lock (records) { records.Add(r); } }, _ => { }, stop.Token);
            }
            catch (OperationCanceledException)
            {
                // Stopped on purpose.
            }
        }, TestContext.Current.CancellationToken);

        async Task WaitFor(int count)
        {
            for (var i = 0; i < 100; i++)
            {
                lock (records)
                {
                    if (records.Count >= count)
                    {
                        return;
                    }
                }
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
            Assert.Fail($"expected {count} records, have {records.Count}");
        }

        await WaitFor(1);
        await File.AppendAllTextAsync(path, HubbleLine + "\n", TestContext.Current.CancellationToken);
        await WaitFor(2);
        await File.WriteAllTextAsync(path, HubbleLine + "\n", TestContext.Current.CancellationToken); // truncated, then one line
        await WaitFor(3);
        File.Move(path, path + ".1");
        await File.WriteAllTextAsync(path, HubbleLine + "\n" + HubbleLine + "\n", TestContext.Current.CancellationToken); // rotated
        await WaitFor(5);
        await stop.CancelAsync();
        await task;
        Assert.Equal(5, records.Count);
    }
}
