using System.Buffers;
using System.Text;
using System.Text.Json;
using PolicyTrail.Identity.History;
using PolicyTrail.Identity.Watch;

namespace PolicyTrail.Identity.Tests.Watch;

public sealed class ChangeLinesTests
{
    private static byte[] Line(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            write(json);
        }
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void A_change_reads_back_as_it_was_written_with_the_object_text_exactly()
    {
        var change = new ClusterChange
        {
            Time = 1_764_230_400_123_456_789,
            NotBefore = -1_000_000_001,
            Type = ChangeType.Deleted,
            Kind = ObjectKinds.Pod,
            Namespace = "shop",
            Name = "wéb-1 \"quoted\"",
            Uid = "uid-1",
            ResourceVersion = "42",
            User = "alice@example.com",
            Origin = "watch",
            ObjectJson = """{"metadata":{"name":"w\u00e9b","x":[1, 2.50, -0]},  "z":"😀\n"}""",
        };
        Assert.True(ChangeLines.TryRead(Line(j => ChangeLines.Write(j, change)), out var read, out var error), error);
        Assert.Equal(change, read.Change);

        var minimal = change with { NotBefore = null, Namespace = null, Uid = null, ResourceVersion = null, User = null, ObjectJson = null };
        Assert.True(ChangeLines.TryRead(Line(j => ChangeLines.Write(j, minimal)), out read, out error), error);
        Assert.Equal(minimal, read.Change);
    }

    [Fact]
    public void A_gap_reads_back_as_it_was_written()
    {
        Assert.True(ChangeLines.TryRead(Line(j => ChangeLines.WriteGap(j, 1_000_000_000, 2_000_000_001, "pods: watch disconnected")), out var read, out var error), error);
        Assert.Null(read.Change);
        Assert.Equal((1_000_000_000L, 2_000_000_001L, "pods: watch disconnected"), (read.GapFrom, read.GapTo, read.GapReason));
    }

    [Theory]
    [InlineData("", "not JSON")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{\"record\":\"change\"", "not JSON")]
    [InlineData("{\"record\":\"change\",\"time\":\"2026-11-01T00:00:00.000000000Z\",\"type\":\"Added\",\"kind\":\"Pod\",\"name\":\"a\"}", "change without \"origin\"")]
    [InlineData("{\"record\":\"change\",\"time\":\"yesterday\",\"type\":\"Added\",\"kind\":\"Pod\",\"name\":\"a\",\"origin\":\"watch\"}", "\"time\" is not an RFC 3339 time: yesterday")]
    [InlineData("{\"record\":\"change\",\"time\":\"2026-11-01T00:00:00Z\",\"type\":\"Renamed\",\"kind\":\"Pod\",\"name\":\"a\",\"origin\":\"watch\"}", "\"type\" is \"Renamed\": expected Added, Modified or Deleted")]
    [InlineData("{\"record\":\"change\",\"time\":1,\"type\":\"Added\",\"kind\":\"Pod\",\"name\":\"a\",\"origin\":\"watch\"}", "\"time\" is not a string")]
    [InlineData("{\"record\":\"gap\",\"from\":\"2026-11-01T00:00:00Z\",\"reason\":\"x\"}", "gap without \"to\"")]
    [InlineData("{\"record\":\"flow\"}", "\"record\" is \"flow\": expected change or gap")]
    [InlineData("{}", "no \"record\" (change or gap)")]
    [InlineData("{\"record\":\"gap\"} {}", "not JSON")]
    [InlineData("{\"record\":\"\\ud800\"}", "not JSON")]
    public void A_line_that_is_not_a_change_or_gap_says_why(string line, string reason)
    {
        Assert.False(ChangeLines.TryRead(Encoding.UTF8.GetBytes(line), out _, out var error));
        Assert.StartsWith(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_and_garbled_lines_never_throw()
    {
        var change = new ClusterChange
        {
            Time = 1, Type = ChangeType.Added, Kind = "Pod", Name = "a", Origin = "watch", ObjectJson = """{"metadata":{"name":"a","labels":{"x":"y"}}}""",
        };
        var line = Line(j => ChangeLines.Write(j, change));
        var random = new Random(3);
        for (var cut = 0; cut < line.Length; cut++)
        {
            ChangeLines.TryRead(line.AsSpan(0, cut), out _, out _);
            var garbled = (byte[])line.Clone();
            garbled[random.Next(garbled.Length)] = (byte)random.Next(256);
            ChangeLines.TryRead(garbled, out _, out _);
        }
    }
}
