using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Pipeline;
using PolicyTrail.Sources.Reading;

namespace PolicyTrail.Benchmarks;

/// <summary>
/// "hubble-stage FILE [rounds] [stage]": the whole Hubble source stage (line split, SHA-256, parse, normalize) over a file held
/// in memory, beside its yardsticks on the same bytes (JsonDocument.Parse, a Utf8JsonReader token walk, the SHA-256
/// alone), measured in this thread's CPU time so other processes on a shared machine weigh less; the stage, which reads
/// and hashes on a second thread, also in wall-clock time and in the whole process's CPU time. The measurements
/// alternate round by round; each prints its best and median µs per line. "stage" or "scan" runs that case alone.
/// </summary>
internal static partial class HubbleStage
{
    public static int Run(string path, int rounds, string? only = null)
    {
        var data = File.ReadAllBytes(path);
        var lines = 0;
        foreach (var _ in LineReader.ReadLines(new MemoryStream(data)))
        {
            lines++;
        }
        var cases = new (string Name, Func<long> Body)[]
        {
            ("stage: split + sha256 + parse + normalize", () => Stage(data)),
            ("yardstick: JsonDocument.Parse per line", () => Document(data)),
            ("yardstick: Utf8JsonReader token walk", () => Walk(data)),
            ("yardstick: SHA-256 per line (LineHash)", () => Hash(data)),
            ("part: line split + UTF-8 check", () => Split(data)),
            ("part: the fast scan alone (no record)", () => Scan(data)),
            ("part: the fast path's grammar alone (skip)", () => SkipAll(data)),
        };
        if (only is "stage" or "scan")
        {
            // For profiling: the stage, or the fast scan, alone.
            cases = only == "stage" ? cases[..1] : cases[5..6];
        }
        var times = cases.Select(_ => new List<double>()).ToArray();
        // The stage reads, splits and hashes on a second thread: its wall time and the whole process's CPU time too.
        var stageWall = new List<double>();
        var stageProcess = new List<double>();
        long allocated = 0;
        for (var round = 0; round < rounds; round++)
        {
            for (var c = 0; c < cases.Length; c++)
            {
                var before = GC.GetTotalAllocatedBytes(precise: true);
                var processStart = Environment.CpuUsage.TotalTime;
                var wall = Stopwatch.StartNew();
                var start = ThreadCpuSeconds();
                cases[c].Body();
                times[c].Add((ThreadCpuSeconds() - start) * 1e6 / lines);
                if (cases[c].Name.StartsWith("stage", StringComparison.Ordinal))
                {
                    stageWall.Add(wall.Elapsed.TotalSeconds * 1e6 / lines);
                    stageProcess.Add((Environment.CpuUsage.TotalTime - processStart).TotalSeconds * 1e6 / lines);
                    allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                }
            }
        }
        Console.WriteLine($"{lines:N0} lines, {data.Length / (double)lines:F0} B a line, {rounds} rounds, thread CPU time (round 1 is warm-up and excluded)");
        for (var c = 0; c < cases.Length; c++)
        {
            var kept = times[c].Skip(1).Order().ToList();
            var best = kept[0];
            var median = kept[kept.Count / 2];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{cases[c].Name,-44} best {best,6:F2} µs ({1e6 / best,9:N0}/s)  median {median,6:F2} µs ({1e6 / median,9:N0}/s)"));
        }
        foreach (var (name, values) in new[] { ("stage, wall clock", stageWall), ("stage, CPU of the whole process", stageProcess) }.Where(v => v.Item2.Count > 1))
        {
            var kept = values.Skip(1).Order().ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-44} best {kept[0],6:F2} µs ({1e6 / kept[0],9:N0}/s)  median {kept[kept.Count / 2],6:F2} µs ({1e6 / kept[kept.Count / 2],9:N0}/s)"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stage allocates {allocated / (double)lines:F0} B a line (all threads)"));
        return 0;
    }

    private static long Stage(byte[] data)
    {
        long records = 0;
        var reader = new FlowReader(new FlowReadOptions { Format = FormatRegistry.Find("hubble"), Stdin = () => new MemoryStream(data) });
        reader.Read([new Input("-", true)], _ => records++, _ => { });
        return records;
    }

    private static long Split(byte[] data)
    {
        long n = 0;
        foreach (var line in LineReader.Read(new MemoryStream(data), LineReader.DefaultMaxLineBytes))
        {
            n += System.Text.Unicode.Utf8.IsValid(line.Bytes.Span) ? 1 : 0;
        }
        return n;
    }

    private static long Scan(byte[] data)
    {
        long n = 0;
        var parser = new PolicyTrail.Sources.Hubble.HubbleParser();
        foreach (var line in LineReader.ReadLines(new MemoryStream(data)))
        {
            n += parser.ScanOnly(line.Span) ? 1 : 0;
        }
        Console.Error.WriteLine($"  scan: {n:N0} lines, {parser.EndpointHits:N0} endpoints from the caches, {parser.RepeatHits:N0} of them repeats");
        return n;
    }

    private static long SkipAll(byte[] data)
    {
        long n = 0;
        foreach (var line in LineReader.ReadLines(new MemoryStream(data)))
        {
            n += PolicyTrail.Sources.Hubble.HubbleParser.SkipOnly(line.Span) ? 1 : 0;
        }
        return n;
    }

    private static long Document(byte[] data)
    {
        long n = 0;
        foreach (var line in LineReader.ReadLines(new MemoryStream(data)))
        {
            using var doc = JsonDocument.Parse(line);
            n += doc.RootElement.GetPropertyCount();
        }
        return n;
    }

    private static long Walk(byte[] data)
    {
        long n = 0;
        foreach (var line in LineReader.ReadLines(new MemoryStream(data)))
        {
            var reader = new Utf8JsonReader(line.Span);
            while (reader.Read())
            {
                n++;
            }
        }
        return n;
    }

    private static long Hash(byte[] data)
    {
        long n = 0;
        using var hash = new LineHash();
        Span<byte> digest = stackalloc byte[32];
        foreach (var line in LineReader.ReadLines(new MemoryStream(data)))
        {
            hash.Hash(line.Span, digest);
            n += digest[0];
        }
        return n;
    }

    private static double ThreadCpuSeconds()
    {
        // CLOCK_THREAD_CPUTIME_ID = 3 on Linux; elsewhere fall back to the process's time.
        if (OperatingSystem.IsLinux() && ClockGetTime(3, out var ts) == 0)
        {
            return ts.Seconds + ts.Nanoseconds / 1e9;
        }
        return Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
