using System.Text;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Tests.Hubble;

namespace PolicyTrail.Sources.Tests.Formats;

/// <summary>A remembered run is taken only where the input repeats it whole; anything else is read as usual.</summary>
public sealed class RepeatCacheTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private const string Run = "\"identity\":17741,\"namespace\":\"ns-173\",\"pod_name\":\"app-2-003173\"}";

    [Fact]
    public void A_run_is_found_where_the_input_starts_with_it_and_only_there()
    {
        var cache = new RepeatCache<int>();
        cache.Add(Bytes(Run), 7);
        Assert.True(cache.TryMatch(Bytes(Run + ""","destination":{}}"""), out var length, out var value));
        Assert.Equal((Run.Length, 7), (length, value));
        // Same first 32 bytes, another tail; the run cut short; one byte changed at the end.
        Assert.False(cache.TryMatch(Bytes(Run.Replace("003173", "003174", StringComparison.Ordinal)), out _, out _));
        Assert.False(cache.TryMatch(Bytes(Run[..^1]), out _, out _));
        Assert.False(cache.TryMatch(Bytes(Run[..^1] + "]"), out _, out _));
        Assert.False(cache.TryMatch(Bytes(" " + Run), out _, out _));
    }

    [Fact]
    public void Runs_sharing_a_prefix_are_told_apart_and_short_or_long_runs_are_not_kept()
    {
        var cache = new RepeatCache<int>(bits: 14, maxRunBytes: 200);
        for (var i = 0; i < 20; i++)
        {
            cache.Add(Bytes(Run.Replace("003173", $"{i:D6}", StringComparison.Ordinal)), i);
        }
        // A chain holds the newest eight of those that share a prefix.
        for (var i = 0; i < 20; i++)
        {
            var found = cache.TryMatch(Bytes(Run.Replace("003173", $"{i:D6}", StringComparison.Ordinal)), out _, out var value);
            Assert.Equal(i >= 12, found);
            Assert.True(!found || value == i);
        }
        cache.Add(Bytes("\"namespace\":\"x\"}"), 1);
        Assert.False(cache.TryMatch(Bytes("\"namespace\":\"x\"}" + new string(' ', 40)), out _, out _));
        var tooLong = "\"pod_name\":\"" + new string('p', 300) + "\"}";
        cache.Add(Bytes(tooLong), 1);
        Assert.False(cache.TryMatch(Bytes(tooLong), out _, out _));
    }

    [Fact]
    public void A_full_cache_starts_afresh()
    {
        var cache = new RepeatCache<int>(bits: 2);
        var runs = Enumerable.Range(0, 5).Select(i => Bytes($"{i}{Run}")).ToList();
        for (var i = 0; i < 4; i++)
        {
            cache.Add(runs[i], i);
        }
        Assert.True(cache.TryMatch(runs[0], out _, out _));
        cache.Add(runs[4], 4);
        Assert.False(cache.TryMatch(runs[0], out _, out _));
        Assert.True(cache.TryMatch(runs[4], out _, out var value));
        Assert.Equal(4, value);
    }

    [Fact]
    public void An_endpoint_that_repeats_a_known_ones_first_bytes_but_not_the_rest_is_read_and_checked_in_full()
    {
        const string Known = """{"flow":{"time":"2026-01-02T03:04:05Z","verdict":"DROPPED","source":{"ID":1,"identity":17741,"namespace":"ns-173","labels":["k8s:app=a"],"pod_name":"app-2-003173"},"destination":{}}}""";
        string[] variants =
        [
            Known,
            Known.Replace("\"ID\":1,", "\"ID\":2,", StringComparison.Ordinal),
            Known.Replace("app-2-003173\"}", "app-2-003173\"", StringComparison.Ordinal),
            Known.Replace("app-2-003173\"}", "app-2-003173\",}", StringComparison.Ordinal),
            Known.Replace("app-2-003173\"}", "app-2-003173\",\"pod_name\":\"x\"}", StringComparison.Ordinal),
            Known.Replace("\"pod_name\":\"app-2-003173\"", "\"pod_name\":\"app-2-00317\\u0033\"", StringComparison.Ordinal),
            Known.Replace("k8s:app=a", "k8s:app=b", StringComparison.Ordinal),
            Known,
        ];
        var result = HubbleFastPathTests.Differential.Compare(variants.Select(Bytes));
        Assert.True(result.EndpointHits >= 2, $"only {result.EndpointHits} endpoints came from the cache");
    }
}
