using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Pipeline;
using PolicyTrail.Sources.Reading;

namespace PolicyTrail.Benchmarks;

/// <summary>
/// Hubble JSON through the whole source stage (line split, SHA-256 of each raw line, parse, normalize) on one core,
/// against two yardsticks on the same bytes: a bare System.Text.Json parse of each line, and line splitting alone.
/// Reported per operation = 20,000 lines.
/// </summary>
[MemoryDiagnoser]
public class HubbleParseBenchmarks
{
    private const int Lines = 20_000;
    private byte[] _data = [];

    [GlobalSetup]
    public void Setup()
    {
        var path = Path.Combine(Path.GetTempPath(), $"policytrail-bench-hubble-{Lines}.jsonl");
        var cluster = SyntheticCluster.Generate(seed: 42, namespaces: 500, pods: 5000, policies: 2000);
        HubbleFlowWriter.Write(cluster.Snapshot, path, Lines, seed: 7);
        _data = File.ReadAllBytes(path);
        File.Delete(path);
    }

    [Benchmark(Description = "hubble: split + sha256 + parse + normalize", OperationsPerInvoke = Lines)]
    public long Normalize()
    {
        long records = 0;
        var reader = new FlowReader(new FlowReadOptions { Format = FormatRegistry.Find("hubble"), Stdin = () => new MemoryStream(_data) });
        reader.Read([new Input("-", true)], _ => records++, _ => { });
        return records;
    }

    [Benchmark(Description = "yardstick: System.Text.Json JsonDocument.Parse per line", OperationsPerInvoke = Lines)]
    public long BareJsonParse()
    {
        long n = 0;
        foreach (var line in LineReader.ReadLines(new MemoryStream(_data)))
        {
            using var doc = JsonDocument.Parse(line);
            n += doc.RootElement.GetPropertyCount();
        }
        return n;
    }

    [Benchmark(Description = "yardstick: Utf8JsonReader token walk per line", OperationsPerInvoke = Lines)]
    public long TokenWalk()
    {
        long n = 0;
        foreach (var line in LineReader.ReadLines(new MemoryStream(_data)))
        {
            var reader = new Utf8JsonReader(line.Span);
            while (reader.Read())
            {
                n++;
            }
        }
        return n;
    }
}
