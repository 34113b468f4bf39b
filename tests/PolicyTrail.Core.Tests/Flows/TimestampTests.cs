using PolicyTrail.Core.Flows;

namespace PolicyTrail.Core.Tests.Flows;

/// <summary>Log times parse exactly, and times a long of Unix nanoseconds cannot hold are refused, never an overflow.</summary>
public sealed class TimestampTests
{
    [Theory]
    [InlineData("2024-06-10T16:27:45.194Z", 1718036865194000000L)]
    [InlineData("1970-01-01T00:00:00Z", 0L)]
    [InlineData("1677-09-22T00:00:00Z", -9223286400000000000L)]
    [InlineData("2262-04-11T00:00:00Z", 9223286400000000000L)]
    [InlineData("2026-11-27T10:00:00.123456789+01:00", 1795770000123456789L)]
    public void Rfc3339_times_in_range_parse_to_their_unix_nanoseconds(string text, long nanos)
    {
        Assert.True(Timestamp.TryParseRfc3339(text, out var time));
        Assert.Equal(nanos, time.UnixNanos);
    }

    [Theory]
    [InlineData("0024-06-10T16:28:23.130Z")]
    [InlineData("1677-09-21T00:00:00Z")]
    [InlineData("2262-04-12T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59Z")]
    [InlineData("0001-01-01T00:00:00+14:00")]
    public void Times_out_of_the_nanosecond_range_are_refused(string text)
    {
        Assert.False(Timestamp.TryParseRfc3339(text, out _));
        Assert.False(Timestamp.TryParseRfc3339(System.Text.Encoding.ASCII.GetBytes(text), out _));
    }

    [Theory]
    [InlineData("0024-06-10 16:28:23")]
    [InlineData("9999-12-31 23:59:59")]
    public void Local_times_out_of_range_are_refused(string text)
    {
        Assert.False(Timestamp.TryParseLocal(text, ["yyyy-MM-dd HH:mm:ss"], TimeZoneInfo.Utc, out _));
    }

    [Fact]
    public void Formatting_agrees_with_DateTime_and_parses_back_over_the_whole_range()
    {
        var random = new Random(20261127);
        long[] edges = [long.MinValue, long.MaxValue, 0, -1, 1, -86_400_000_000_000, 86_399_999_999_999, 951_782_400_000_000_000 /* 2000-02-29 */];
        foreach (var nanos in edges.Concat(Enumerable.Range(0, 20_000).Select(_ => random.NextInt64(long.MinValue, long.MaxValue))))
        {
            var seconds = Math.DivRem(nanos, 1_000_000_000L, out var fraction);
            if (fraction < 0)
            {
                seconds--;
                fraction += 1_000_000_000;
            }
            var expected = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
            var text = new Timestamp(nanos, 9).ToString();
            Assert.Equal($"{expected}.{fraction:D9}Z", text);
            Assert.Equal(expected + "Z", new Timestamp(nanos, 0).ToString());
            // The parser takes whole days from 1677-09-22 to 2262-04-11 (the ends of the range are partial days).
            if (nanos is > -9223286400000000000L and < 9223286400000000000L)
            {
                Assert.True(Timestamp.TryParseRfc3339(text, out var back), text);
                Assert.Equal(nanos, back.UnixNanos);
            }
        }
    }
}
