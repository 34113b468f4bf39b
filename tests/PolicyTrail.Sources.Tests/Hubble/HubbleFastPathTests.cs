using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PolicyTrail.Benchmarks;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Hubble;
using PolicyTrail.Sources.Tests.Support;

namespace PolicyTrail.Sources.Tests.Hubble;

/// <summary>
/// The Hubble fast path against the Utf8JsonReader path, line by line: for every input either the fast path declines,
/// or both yield the same record (compared as `parse -o jsonl` writes it, source and SHA-256 included); a declined line
/// must come out exactly as the slow path has it (reason and byte position of a rejection included).
/// </summary>
public partial class HubbleFastPathTests
{
    public class Given_the_real_samples
    {
        [Fact]
        public void Every_line_and_its_mutants_read_the_same_on_both_paths()
        {
            var lines = File.ReadAllLines(Fixtures.PathOrSkip("hubble.jsonl"));
            var result = Differential.Compare(lines.Select(Encoding.UTF8.GetBytes));
            // Every flow line (35 of the 40; the others are lost, agent and debug events).
            Assert.True(result.Fast >= 35, $"the fast path read only {result.Fast} of the {lines.Length} sample lines; declined: {string.Join(", ", result.Declined)}");
            Differential.Compare(lines.SelectMany(Mutants.Of));
        }
    }

    public class Given_the_repository_test_inputs
    {
        [Fact]
        public void Every_Hubble_line_written_in_the_tests_reads_the_same_on_both_paths()
        {
            var lines = RepositoryInputs().ToList();
            Assert.True(lines.Count >= 10, $"found only {lines.Count} Hubble lines in the test sources");
            Differential.Compare(lines.Select(Encoding.UTF8.GetBytes));
            Differential.Compare(lines.SelectMany(Mutants.Of));
        }

        /// <summary>The single-line JSON raw string literals of the tests that read Hubble (this file excepted).</summary>
        private static IEnumerable<string> RepositoryInputs()
        {
            var root = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(root, "PolicyTrail.slnx")))
            {
                root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no PolicyTrail.slnx above the test binaries");
            }
            var files = new[] { "tests/PolicyTrail.Sources.Tests/Hubble/HubbleTests.cs", "tests/PolicyTrail.Sources.Tests/Pipeline/FlowReaderTests.cs", "tests/PolicyTrail.Sources.Tests/Pipeline/FuzzTests.cs" }
                .Concat(Directory.EnumerateFiles(Path.Combine(root, "tests/PolicyTrail.Cli.Tests"), "*.cs", SearchOption.AllDirectories));
            foreach (var file in files)
            {
                var path = Path.Combine(root, file);
                if (!File.Exists(path))
                {
                    continue;
                }
                foreach (Match m in RawJsonLiteral().Matches(File.ReadAllText(path)))
                {
                    var text = m.Groups[1].Value;
                    if (text.Contains("\"flow\"", StringComparison.Ordinal) || text.Contains("\"lost_events\"", StringComparison.Ordinal) || text.Contains("\"verdict\"", StringComparison.Ordinal))
                    {
                        yield return text;
                    }
                }
            }
        }
    }

    public class Given_generated_lines
    {
        [Fact]
        public void A_few_thousand_benchmark_lines_read_the_same_and_all_but_lost_events_take_the_fast_path()
        {
            var path = Path.Combine(Path.GetTempPath(), $"policytrail-fastpath-{Environment.ProcessId}.jsonl");
            try
            {
                var cluster = SyntheticCluster.Generate(seed: 42, namespaces: 20, pods: 300, policies: 60);
                HubbleFlowWriter.Write(cluster.Snapshot, path, 3000, seed: 7);
                var lines = File.ReadAllLines(path);
                var result = Differential.Compare(lines.Select(Encoding.UTF8.GetBytes));
                Assert.Equal(lines.Length, result.Fast);

                // Mutants of a few of them, and the same flows as legacy bare Flow objects.
                Differential.Compare(lines.Take(6).SelectMany(Mutants.Of));
                var bare = lines.Take(200).Select(l => JsonNode.Parse(l)!["flow"]!.ToJsonString()).ToList();
                Assert.Equal(bare.Count, Differential.Compare(bare.Select(Encoding.UTF8.GetBytes)).Fast);
                Differential.Compare(bare.Take(2).SelectMany(Mutants.Of));

                // The endpoint cache: the same lines again after mutants of them (endpoints reshaped, damaged,
                // duplicated) went through the same parser, so most endpoints come from the cache.
                var first = lines.Take(300).Select(Encoding.UTF8.GetBytes).ToList();
                var again = first.Concat(lines.Skip(300).Take(3).SelectMany(Mutants.Of)).Concat(first);
                var hits = Differential.Compare(again);
                Assert.True(hits.EndpointHits > 600, $"only {hits.EndpointHits} endpoints came from the cache");
                // Most of them as repeats of an endpoint read before at the same address.
                Assert.True(hits.RepeatHits > 500, $"only {hits.RepeatHits} endpoints were taken as repeats");
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    public class Given_shapes_the_fast_path_leaves_alone
    {
        [Theory]
        [InlineData("""{"flow":{"time":"2026-01-02T03:04:05Z","verdict":"DROP\u0050ED"}}""")]
        [InlineData("""{"flow":{"time":"2026-01-02T03:04:05Z","v\u0065rdict":"DROPPED"}}""")]
        [InlineData("""{"flow":{"time":"2026-01-02T03:04:05Z","verdict":"DROPPED","verdict":"FORWARDED"}}""")]
        [InlineData("""{"flow":{"time":"2026-01-02T03:04:05Z","l4":{"TCP":{"source_port":1.0}}}}""")]
        [InlineData("""{"flow":{"time":"2026-01-02T03:04:05Z","l4":{"TCP":{"source_port":4294967296}}}}""")]
        [InlineData("""{"flow":{"time":"2026-01-02T03:04:05Z","drop_reason":"133"}}""")]
        [InlineData("""{"flow":{"time":"2026-01-02T03:04:05Z","IP":{"source":"10.0.0.300"}}}""")]
        [InlineData("""{"flow":{"time":"yesterday"}}""")]
        [InlineData("""{"flow":{"time":"2026-01-02T03:04:05Z"},"x":[1,2,]}""")]
        [InlineData("""{"flow":{"time":"2026-01-02T03:04:05Z"}} x""")]
        [InlineData("""{"flow":{"time":"2026-01-02T03:04:05Z","is_reply":tru}}""")]
        [InlineData("""{"lost_events":{"num_events_lost":"3"},"time":"2026-01-02T03:04:05Z"}""")]
        [InlineData("""{"flow":{"time":"2026-01-02T03:04:05Z","Summary":"\ud83d\ude00"}}""")]
        [InlineData("""{"flow":{"time":"2026-01-02T03:04:05Z","Summary":"\ud83d"}}""")]
        [InlineData("""{"flow":{"time":"2026-01-02T03:04:05Z","Summary":"\x"}}""")]
        [InlineData("""{"flow":{"time":"2026-01-02T03:04:05Z","aggregate":{"a":9223372036854775807,"b":1}}}""")]
        public void They_decline_and_the_line_reads_as_before(string line)
        {
            var result = Differential.Compare([Encoding.UTF8.GetBytes(line)]);
            Assert.Equal(0, result.Fast);
        }
    }

    [GeneratedRegex("\"\"\"(\\s*[\\[{].*?)\"\"\"")]
    private static partial Regex RawJsonLiteral();

    /// <summary>Runs both parsers over the same lines and fails on the first line where they differ.</summary>
    internal static class Differential
    {
        public static (long Lines, long Fast, List<long> Declined, long EndpointHits, long RepeatHits) Compare(IEnumerable<byte[]> lines)
        {
            var declined = new List<long>();
            var fast = new HubbleParser(fastPath: true);
            var slow = new HubbleParser(fastPath: false);
            long count = 0;
            foreach (var line in lines)
            {
                // The source stage rejects a line that is not UTF-8 before any parser sees it.
                if (!System.Text.Unicode.Utf8.IsValid(line))
                {
                    continue;
                }
                count++;
                var before = fast.FastLines;
                var expected = Outcome(slow, line);
                var actual = Outcome(fast, line);
                if (fast.FastLines == before)
                {
                    declined.Add(count);
                }
                if (expected != actual)
                {
                    Assert.Fail($"""
                        fast path ({(fast.FastLines > before ? "took the line" : "declined")}) differs from the slow path for
                        {Encoding.UTF8.GetString(line)}
                        slow: {expected}
                        fast: {actual}
                        """);
                }
            }
            return (count, fast.FastLines, declined, fast.EndpointHits, fast.RepeatHits);
        }

        private static string Outcome(HubbleParser parser, byte[] line)
        {
            using var context = new LineContext();
            context.Reset(line, "test-input", 7, "hubble", 2026);
            var sink = new Capture();
            try
            {
                parser.Parse(context, sink);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                sink.Events.Add($"threw {e.GetType().Name}: {e.Message}");
            }
            return string.Join("\n", sink.Events);
        }

        private sealed class Capture : RecordSink
        {
            public List<string> Events { get; } = [];

            public override void Emit(NormalizedRecord record) => Events.Add("record " + RecordJson.Of(record));

            public override void Skip(string category) => Events.Add("skip " + category);

            public override void Reject(string reason) => Events.Add("reject " + reason);
        }
    }

    /// <summary>Damaged and reshaped variants of a line.</summary>
    internal static class Mutants
    {
        private static readonly string[] Values = ["null", "true", "false", "0", "-1", "1.5", "1e3", "4294967296", "9223372036854775808", "\"s\"", "\"\"", "[]", "{}", "[1,\"x\"]", "{\"a\":null}"];
        private static readonly byte[] Flips = "\"\\{}[],: 0-.etnx\u0001\t".Select(c => (byte)c).ToArray();

        public static IEnumerable<byte[]> Of(string text)
        {
            var line = Encoding.UTF8.GetBytes(text);
            var random = new Random(text.Length);

            // Truncated at every position.
            for (var i = 0; i < line.Length; i++)
            {
                yield return line[..i];
            }
            // Bytes flipped.
            for (var i = 0; i < 300; i++)
            {
                var flipped = (byte[])line.Clone();
                flipped[random.Next(flipped.Length)] = Flips[random.Next(Flips.Length)];
                yield return flipped;
            }
            // Whitespace, and pretty-printed (its line breaks as other whitespace, as a line cannot hold them).
            if (TryParse(text) is JsonObject root)
            {
                var pretty = root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
                yield return Encoding.UTF8.GetBytes(pretty.Replace("\n", " ", StringComparison.Ordinal));
                yield return Encoding.UTF8.GetBytes(pretty.Replace("\n", "\r\t", StringComparison.Ordinal));
                yield return Encoding.UTF8.GetBytes(pretty);
                yield return Encoding.UTF8.GetBytes(" " + text.Replace(":", " : ", StringComparison.Ordinal).Replace(",", " ,\t", StringComparison.Ordinal) + " ");

                // Keys reordered (every object reversed, then shuffled).
                yield return Encoding.UTF8.GetBytes(Reorder(root.DeepClone(), null).ToJsonString());
                yield return Encoding.UTF8.GetBytes(Reorder(root.DeepClone(), random).ToJsonString());
            }
            foreach (var (nameStart, valueStart, end) in Properties(line))
            {
                var property = line[nameStart..end];
                var name = line[nameStart..valueStart];
                // Duplicated right after itself, and at the end of its object.
                yield return [.. line[..end], (byte)',', .. property, .. line[end..]];
                // An unknown field before it.
                yield return [.. line[..nameStart], .. "\"zz_unknown\":{\"a\":[1,2.5e3,null,true,\"x\\\"y\"]},"u8, .. line[nameStart..]];
                // Its value replaced by values of other types and odd numbers.
                foreach (var value in Values)
                {
                    yield return [.. line[..valueStart], .. Encoding.UTF8.GetBytes(value), .. line[end..]];
                }
                // An escape in its name, and in its value when that is a string.
                var escapeAt = Array.IndexOf(name, (byte)'"', 1) - 1;
                if (escapeAt > 1)
                {
                    yield return [.. line[..(nameStart + escapeAt)], .. Encoding.UTF8.GetBytes($"\\u{line[nameStart + escapeAt]:x4}"), .. line[(nameStart + escapeAt + 1)..]];
                }
                if (line[valueStart] == (byte)'"' && end - valueStart > 2)
                {
                    var at = end - 2;
                    yield return [.. line[..at], .. Encoding.UTF8.GetBytes($"\\u{line[at]:x4}"), .. line[(at + 1)..]];
                    yield return [.. line[..at], .. "\\\""u8, .. line[(at + 1)..]];
                }
                // A number as a string, and the other way round.
                if (line[valueStart] is (byte)'-' or (>= (byte)'0' and <= (byte)'9'))
                {
                    yield return [.. line[..valueStart], (byte)'"', .. line[valueStart..end], (byte)'"', .. line[end..]];
                }
            }
        }

        private static JsonNode? TryParse(string text)
        {
            try
            {
                return JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                return null;
            }
        }

        /// <summary>Every property of every object: where its name starts, where its value starts, where it ends.</summary>
        private static List<(int NameStart, int ValueStart, int End)> Properties(byte[] line)
        {
            var found = new List<(int, int, int)>();
            var reader = new Utf8JsonReader(line);
            try
            {
                while (reader.Read())
                {
                    if (reader.TokenType != JsonTokenType.PropertyName)
                    {
                        continue;
                    }
                    var nameStart = (int)reader.TokenStartIndex;
                    var probe = reader;
                    probe.Read();
                    var valueStart = (int)probe.TokenStartIndex;
                    probe.Skip();
                    found.Add((nameStart, valueStart, (int)probe.BytesConsumed));
                }
            }
            catch (JsonException)
            {
                // A line that is not JSON has no properties to mutate.
            }
            return found;
        }

        private static JsonNode Reorder(JsonNode node, Random? random)
        {
            switch (node)
            {
                case JsonObject obj:
                    var members = obj.ToList();
                    obj.Clear();
                    var order = random is null ? Enumerable.Reverse(members).ToList() : members.OrderBy(_ => random.Next()).ToList();
                    foreach (var (key, value) in order)
                    {
                        obj[key] = value is null ? null : Reorder(value, random);
                    }
                    return obj;
                case JsonArray array:
                    foreach (var item in array)
                    {
                        if (item is not null)
                        {
                            Reorder(item, random);
                        }
                    }
                    return array;
                default:
                    return node;
            }
        }
    }
}
