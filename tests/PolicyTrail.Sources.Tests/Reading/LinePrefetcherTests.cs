using System.Security.Cryptography;
using System.Text;
using PolicyTrail.Sources.Reading;

namespace PolicyTrail.Sources.Tests.Reading;

public sealed class LinePrefetcherTests
{
    /// <summary>Lines of every kind the source stage meets: CRLF, blank, spaces, bad UTF-8, a lone "\r", long and very long.</summary>
    private static byte[] Input(int seed, bool trailingNewline)
    {
        var random = new Random(seed);
        var output = new MemoryStream();
        for (var i = 0; i < 6000; i++)
        {
            var kind = random.Next(12);
            byte[] line = kind switch
            {
                0 => [],
                1 => "  \t \r"u8.ToArray(),
                2 => "\r"u8.ToArray(),
                3 => [0x7b, 0xff, 0xfe, 0x7d],
                4 => Encoding.UTF8.GetBytes(new string('x', 150 + random.Next(50)) + "\r"),
                5 when random.Next(40) == 0 => Encoding.UTF8.GetBytes(new string('y', 200_000 + random.Next(300_000))),
                6 => Encoding.UTF8.GetBytes($"{{\"n\":{i},\"é\":\"ü{new string('z', random.Next(2000))}\"}}\r"),
                _ => Encoding.UTF8.GetBytes($"{{\"line\":{i},\"pad\":\"{new string('a', random.Next(1300))}\"}}"),
            };
            output.Write(line);
            if (trailingNewline || i < 5999)
            {
                output.WriteByte((byte)'\n');
            }
        }
        return output.ToArray();
    }

    [Theory]
    [InlineData(1, 0, true, 1 << 20)]
    [InlineData(2, 0, false, 1 << 20)]
    [InlineData(3, 100, true, 1 << 20)]
    [InlineData(4, 0, true, 120)]
    [InlineData(5, 2500, false, 64 << 10)]
    public void Gives_the_lines_the_reader_gives_each_with_the_sha256_and_utf8_check_of_its_bytes(int seed, long skip, bool trailingNewline, int maxLineBytes)
    {
        var data = Input(seed, trailingNewline);
        // Short, uneven reads, as from a pipe (the same ones for both: where a line is cut at the limit depends on them);
        // the lines of each read are handed on before the next.
        var expected = LinePrefetcher.Synchronous(new ChunkedStream(data, seed), maxLineBytes)
            .Select(l => (Bytes: l.Bytes.ToArray(), l.Oversized)).ToList();
        Assert.DoesNotContain(LinePrefetcher.Synchronous(new MemoryStream(data), maxLineBytes), l => !l.Digest.IsEmpty);
        var got = 0;
        var prepared = 0;
        foreach (var line in LinePrefetcher.Read(new ChunkedStream(data, seed), maxLineBytes, skip, CancellationToken.None))
        {
            var (bytes, oversized) = expected[got++];
            Assert.Equal(bytes, line.Bytes.ToArray());
            Assert.Equal(oversized, line.Oversized);
            var trimmed = bytes.Length > 0 && bytes[^1] == (byte)'\r' ? bytes[..^1] : bytes;
            var shouldPrepare = !oversized && got > skip && !LineReader.IsBlank(bytes);
            Assert.Equal(shouldPrepare, !line.Digest.IsEmpty);
            if (shouldPrepare)
            {
                prepared++;
                Assert.Equal(SHA256.HashData(trimmed), line.Digest.ToArray());
                Assert.Equal(System.Text.Unicode.Utf8.IsValid(trimmed), line.Utf8Valid);
            }
        }
        Assert.Equal(expected.Count, got);
        Assert.True(prepared > 1000, $"only {prepared} lines hashed");
        Assert.Contains(expected, l => l.Oversized == (maxLineBytes < 200_000));
    }

    [Fact]
    public void A_read_error_comes_after_every_line_read_before_it()
    {
        var data = Input(9, true);
        var failAt = data.Length / 2;
        var before = LinePrefetcher.Synchronous(new FailingStream(data, failAt), 1 << 20).Select(l => l.Bytes.ToArray());
        var expected = new List<byte[]>();
        Assert.Throws<IOException>(() =>
        {
            foreach (var line in before)
            {
                expected.Add(line);
            }
        });
        var got = new List<byte[]>();
        var error = Assert.Throws<IOException>(() =>
        {
            foreach (var line in LinePrefetcher.Read(new FailingStream(data, failAt), 1 << 20, 0, CancellationToken.None))
            {
                got.Add(line.Bytes.ToArray());
            }
        });
        Assert.Equal("disk on fire", error.Message);
        Assert.True(expected.Count > 100);
        Assert.Equal(expected, got);
    }

    [Fact]
    public void Stopping_early_stops_the_reading_thread_and_it_reads_only_a_bounded_way_ahead()
    {
        var endless = new EndlessStream();
        var taken = 0;
        foreach (var _ in LinePrefetcher.Read(endless, 1 << 20, 0, CancellationToken.None))
        {
            if (++taken == 10)
            {
                break;
            }
        }
        var read = endless.BytesRead;
        Thread.Sleep(100);
        Assert.Equal(read, endless.BytesRead);
        Assert.InRange(read, 1, 2 << 20);
    }

    [Fact]
    public void A_cancelled_read_throws_OperationCanceledException()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => LinePrefetcher.Read(new EndlessStream(), 1 << 20, 0, cancel.Token).ToList());
    }

    /// <summary>Gives its data in short reads of uneven length.</summary>
    private sealed class ChunkedStream(byte[] data, int seed) : ReadOnlyStream
    {
        private readonly Random _random = new(seed);
        private int _at;

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(Math.Min(buffer.Length, 1 + _random.Next(9000)), data.Length - _at);
            data.AsSpan(_at, n).CopyTo(buffer);
            _at += n;
            return n;
        }
    }

    /// <summary>Fails with an IOException once a read reaches <c>failAt</c>.</summary>
    private sealed class FailingStream(byte[] data, int failAt) : ReadOnlyStream
    {
        private int _at;

        public override int Read(Span<byte> buffer)
        {
            if (_at >= failAt)
            {
                throw new IOException("disk on fire");
            }
            var n = Math.Min(Math.Min(buffer.Length, 4000), failAt - _at);
            data.AsSpan(_at, n).CopyTo(buffer);
            _at += n;
            return n;
        }
    }

    /// <summary>JSON-ish lines without end; counts what was read (from the reading thread).</summary>
    private sealed class EndlessStream : ReadOnlyStream
    {
        private static readonly byte[] LineBytes = Encoding.UTF8.GetBytes("{\"flow\":{\"verdict\":\"FORWARDED\"}}\n");
        private long _read;

        public long BytesRead => Interlocked.Read(ref _read);

        public override int Read(Span<byte> buffer)
        {
            for (var i = 0; i < buffer.Length; i++)
            {
                buffer[i] = LineBytes[(int)((_read + i) % LineBytes.Length)];
            }
            Interlocked.Add(ref _read, buffer.Length);
            return buffer.Length;
        }
    }
}
