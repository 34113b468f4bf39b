using System.Diagnostics;
using System.Text;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Tests.Support;

namespace PolicyTrail.Sources.Tests.Pipeline;

/// <summary>
/// Every format's parser, fed truncated, garbled, binary, oversized and empty input: no exception, no hang, and each
/// bad line a clean rejection (or a skip) with a reason.
/// </summary>
public class FuzzTests
{
    public static TheoryData<string> Formats() => new(FormatRegistry.All.Select(f => f.Name));

    private static IEnumerable<string> Seeds()
    {
        if (Fixtures.FlowsDirectory is { } dir)
        {
            foreach (var file in Directory.EnumerateFiles(dir).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                foreach (var line in File.ReadLines(file).Take(40))
                {
                    yield return line;
                }
            }
        }
        yield return """{"flow":{"time":"2026-01-02T03:04:05Z","verdict":"DROPPED","IP":{"source":"10.0.0.1","destination":"10.0.0.2"}}}""";
        yield return "Nov 27 10:00:01 node kernel: [12.3] calico-drop: IN=cali1 OUT= SRC=10.0.0.1 DST=10.0.0.2 LEN=60 PROTO=TCP SPT=1 DPT=2";
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Bad_input_is_rejected_cleanly_and_quickly(string format)
    {
        // A seed of the format's name that stays the same from run to run (string.GetHashCode changes per process, which
        // once made a garbled year fail one CI run in many).
        var random = new Random(format.Aggregate(17, (hash, c) => unchecked((hash * 31) + c)));
        var seeds = Seeds().ToList();
        var lines = new List<byte[]>();
        foreach (var seed in seeds)
        {
            var bytes = Encoding.UTF8.GetBytes(seed);
            lines.Add(bytes.AsSpan(0, random.Next(bytes.Length + 1)).ToArray());           // truncated
            var garbled = (byte[])bytes.Clone();
            for (var i = 0; i < 1 + random.Next(6) && garbled.Length > 0; i++)
            {
                garbled[random.Next(garbled.Length)] = (byte)random.Next(256);            // garbled, possibly binary
            }
            lines.Add(garbled);
        }
        var binary = new byte[4096];
        random.NextBytes(binary);
        lines.Add(binary);
        lines.Add([]);
        lines.Add(Encoding.UTF8.GetBytes("{" + new string('[', 10_000)));                   // deep nesting
        lines.Add(Encoding.UTF8.GetBytes("{\"flow\":{\"time\":\"" + new string('9', 3 << 20) + "\"}}")); // oversized (3 MiB)

        var input = new MemoryStream();
        foreach (var line in lines)
        {
            input.Write(line.Where(b => b != (byte)'\n').ToArray());
            input.WriteByte((byte)'\n');
        }
        var watch = Stopwatch.StartNew();
        var outcome = Harness.ParseBytes(input.ToArray(), format);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"{format} took {watch.Elapsed}");
        var counts = outcome.Summary.Formats[format];
        Assert.Equal(lines.Count(l => l.Any(b => b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))), counts.Read);
        Assert.True(counts.Rejected > 0, $"{format} accepted everything");
        Assert.All(outcome.Rejects, r => Assert.False(string.IsNullOrWhiteSpace(r.Reason)));
        Assert.DoesNotContain(outcome.Rejects, r => r.Reason.Contains("parser failed", StringComparison.Ordinal));
    }
}
