using System.Globalization;
using System.Text;

namespace PolicyTrail.Cli.Tests.Support;

/// <summary>Hubble flow logs between the example cluster's pods, as many lines as a test needs (deterministic by seed).</summary>
internal static class FlowFiles
{
    /// <summary>Writes <paramref name="count"/> lines: the example flows with fresh times (1 ms apart) and source ports, every 97th line garbage.</summary>
    public static string Hubble(string path, int count, int seed, bool withGarbage = true)
    {
        var templates = File.ReadAllLines(Path.Combine(CliRunner.Examples, "flows", "hubble.jsonl"))
            .Where(l => l.Contains("\"flow\"", StringComparison.Ordinal)).ToArray();
        var random = new Random(seed);
        var start = new DateTime(2026, 11, 26, 9, 0, 0, DateTimeKind.Utc);
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            if (withGarbage && i % 97 == 96)
            {
                text.Append("{\"flow\": {\"time\": \"not a time\", truncated").Append('\n');
                continue;
            }
            var time = start.AddTicks(i * TimeSpan.TicksPerMillisecond).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
            var line = templates[random.Next(templates.Length)];
            line = System.Text.RegularExpressions.Regex.Replace(line, "\"time\":\"[^\"]+\"", $"\"time\":\"{time}\"");
            line = System.Text.RegularExpressions.Regex.Replace(line, "\"source_port\":\\d+", $"\"source_port\":{random.Next(32768, 61000)}");
            text.Append(line).Append('\n');
        }
        File.WriteAllText(path, text.ToString());
        return path;
    }
}
