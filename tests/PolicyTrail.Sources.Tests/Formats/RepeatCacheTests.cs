using System.Text;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Tests.Hubble;

namespace PolicyTrail.Sources.Tests.Formats;

/// <summary>A remembered run is taken only where the input repeats it whole; anything else is read as usual.</summary>
public sealed class RepeatCacheTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static ulong Hint(string address) => RepeatCache<int>.HintOf(Bytes(address));

    private const string Run = "{\"identity\":17741,\"namespace\":\"ns-173\",\"pod_name\":\"app-2-003173\"}";

    [Theory]
    [InlineData(null)]
    [InlineData("10.1.12.101")]
    public void A_run_is_found_where_the_input_starts_with_it_and_only_there(string? address)
    {
        var hint = address is null ? 0 : Hint(address);
        var cache = new RepeatCache<int>();
        cache.Add(Bytes(Run), hint, 7);
        cache.Prefetch(hint, run: true);
        Assert.True(cache.TryMatch(Bytes(Run + ""","destination":{}}"""), hint, out var length, out var value));
        Assert.Equal((Run.Length, 7), (length, value));
        // Same first 32 bytes, another tail; the run cut short; one byte changed at the end; shifted by one.
        Assert.False(cache.TryMatch(Bytes(Run.Replace("003173", "003174", StringComparison.Ordinal)), hint, out _, out _));
        Assert.False(cache.TryMatch(Bytes(Run[..^1]), hint, out _, out _));
        Assert.False(cache.TryMatch(Bytes(Run[..^1] + "]"), hint, out _, out _));
        Assert.False(cache.TryMatch(Bytes(" " + Run), hint, out _, out _));
        // Under another hint (another address), or none where it was kept under one, it is not looked for.
        Assert.False(cache.TryMatch(Bytes(Run), Hint("10.1.12.102"), out _, out _));
        Assert.Equal(address is null, cache.TryMatch(Bytes(Run), 0, out _, out _));
    }

    [Fact]
    public void Runs_sharing_a_prefix_or_a_hint_are_told_apart_by_their_bytes()
    {
        var cache = new RepeatCache<int>(bits: 14, maxRunBytes: 200);
        string Pod(int i) => Run.Replace("003173", $"{i:D6}", StringComparison.Ordinal);
        for (var i = 0; i < 6; i++)
        {
            cache.Add(Bytes(Pod(i)), 0, i);
            cache.Add(Bytes(Pod(i)), Hint("10.1.12.101"), 100 + i);
        }
        for (var i = 0; i < 6; i++)
        {
            Assert.True(cache.TryMatch(Bytes(Pod(i)), 0, out _, out var byPrefix));
            Assert.True(cache.TryMatch(Bytes(Pod(i)), Hint("10.1.12.101"), out _, out var byHint));
            Assert.Equal((i, 100 + i), (byPrefix, byHint));
        }
        // Adding a run again keeps one copy.
        var before = cache.Count;
        cache.Add(Bytes(Pod(3)), 0, 3);
        Assert.Equal(before, cache.Count);
    }

    [Fact]
    public void More_runs_under_one_hint_than_a_probe_reaches_keep_the_newest()
    {
        var cache = new RepeatCache<int>();
        var hint = Hint("10.1.12.101");
        string Pod(int i) => Run.Replace("003173", $"{i:D6}", StringComparison.Ordinal);
        for (var i = 0; i < 20; i++)
        {
            cache.Add(Bytes(Pod(i)), hint, i);
        }
        Assert.True(cache.TryMatch(Bytes(Pod(19)), hint, out _, out var newest));
        Assert.Equal(19, newest);
        var found = Enumerable.Range(0, 20).Count(i => cache.TryMatch(Bytes(Pod(i)), hint, out _, out var v) && v == i);
        Assert.InRange(found, 2, 8);
        Assert.All(Enumerable.Range(0, 20), i => Assert.True(!cache.TryMatch(Bytes(Pod(i)), hint, out _, out var v) || v == i));
    }

    [Fact]
    public void Short_runs_are_kept_only_under_a_hint_and_long_ones_not_at_all()
    {
        var cache = new RepeatCache<int>(bits: 14, maxRunBytes: 200);
        cache.Add(Bytes("{\"namespace\":\"x\"}"), 0, 1);
        Assert.False(cache.TryMatch(Bytes("{\"namespace\":\"x\"}" + new string(' ', 40)), 0, out _, out _));
        cache.Add(Bytes("{}"), Hint("1.1.1.1"), 2);
        Assert.True(cache.TryMatch(Bytes("{},\"Type\":\"L7\""), Hint("1.1.1.1"), out var length, out var value));
        Assert.Equal((2, 2), (length, value));
        var tooLong = "{\"pod_name\":\"" + new string('p', 300) + "\"}";
        cache.Add(Bytes(tooLong), Hint("1.1.1.1"), 3);
        Assert.False(cache.TryMatch(Bytes(tooLong), Hint("1.1.1.1"), out _, out _));
    }

    [Fact]
    public void A_full_cache_starts_afresh()
    {
        var cache = new RepeatCache<int>(bits: 2);
        var runs = Enumerable.Range(0, 5).Select(i => Bytes($"{i}{Run}")).ToList();
        for (var i = 0; i < 4; i++)
        {
            cache.Add(runs[i], 0, i);
        }
        Assert.True(cache.TryMatch(runs[0], 0, out _, out _));
        cache.Add(runs[4], 0, 4);
        Assert.False(cache.TryMatch(runs[0], 0, out _, out _));
        Assert.True(cache.TryMatch(runs[4], 0, out _, out var value));
        Assert.Equal(4, value);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void A_cache_whose_run_bytes_are_used_up_starts_afresh()
    {
        // Room for 4 runs of up to 64 bytes on average: 256 bytes, whatever the count.
        var cache = new RepeatCache<int>(bits: 2, maxRunBytes: 200, averageRunBytes: 64);
        var big = Enumerable.Range(0, 3).Select(i => Bytes($"{{\"pod_name\":\"{i}{new string('p', 100)}\"}}")).ToList();
        cache.Add(big[0], 0, 0);
        cache.Add(big[1], 0, 1);
        Assert.True(cache.TryMatch(big[0], 0, out _, out _));
        cache.Add(big[2], 0, 2);
        Assert.False(cache.TryMatch(big[0], 0, out _, out _));
        Assert.True(cache.TryMatch(big[2], 0, out _, out var value));
        Assert.Equal(2, value);
    }

    [Fact]
    public void An_endpoint_that_repeats_a_known_ones_first_bytes_but_not_the_rest_is_read_and_checked_in_full()
    {
        const string Known = """{"flow":{"time":"2026-01-02T03:04:05Z","verdict":"DROPPED","IP":{"source":"10.1.12.101","destination":"10.1.14.89"},"source":{"ID":1,"identity":17741,"namespace":"ns-173","labels":["k8s:app=a"],"pod_name":"app-2-003173"},"destination":{}}}""";
        string[] variants =
        [
            Known,
            Known.Replace("\"ID\":1,", "\"ID\":2,", StringComparison.Ordinal),
            Known.Replace("app-2-003173\"}", "app-2-003173\"", StringComparison.Ordinal),
            Known.Replace("app-2-003173\"}", "app-2-003173\",}", StringComparison.Ordinal),
            Known.Replace("app-2-003173\"}", "app-2-003173\",\"pod_name\":\"x\"}", StringComparison.Ordinal),
            Known.Replace("\"pod_name\":\"app-2-003173\"", "\"pod_name\":\"app-2-00317\\u0033\"", StringComparison.Ordinal),
            Known.Replace("k8s:app=a", "k8s:app=b", StringComparison.Ordinal),
            // The same endpoint at another address, and another endpoint at the known one's address.
            Known.Replace("10.1.12.101", "10.1.12.102", StringComparison.Ordinal),
            Known.Replace("\"identity\":17741", "\"identity\":17742", StringComparison.Ordinal),
            Known,
        ];
        var result = HubbleFastPathTests.Differential.Compare(variants.Select(Bytes));
        Assert.True(result.EndpointHits >= 2, $"only {result.EndpointHits} endpoints came from the cache");
    }
}
