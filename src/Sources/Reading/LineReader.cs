namespace PolicyTrail.Sources.Reading;

/// <summary>A line of input: its bytes (valid until the next line is read) and whether it was cut at the size limit.</summary>
public readonly record struct Line(ReadOnlyMemory<byte> Bytes, bool Oversized);

/// <summary>Splits a byte stream into lines without decoding it; the memory of each line is valid until the next one is read.</summary>
public static class LineReader
{
    /// <summary>The default longest line kept whole: longer lines are cut there and flagged, so memory stays bounded.</summary>
    public const int DefaultMaxLineBytes = 8 << 20;

    /// <summary>Whether a line holds nothing but spaces, tabs and carriage returns.</summary>
    public static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The lines of the stream, without "\n" (a trailing "\r" is kept for the parser to judge).</summary>
    public static IEnumerable<ReadOnlyMemory<byte>> ReadLines(Stream stream) =>
        Read(stream, int.MaxValue).Select(l => l.Bytes);

    /// <summary>The lines of the stream; a line longer than <paramref name="maxLineBytes"/> is returned cut and flagged, its rest skipped.</summary>
    public static IEnumerable<Line> Read(Stream stream, int maxLineBytes = DefaultMaxLineBytes) => Read(stream, maxLineBytes, null);

    /// <summary>
    /// As <see cref="Read(Stream, int)"/>, calling <paramref name="beforeRead"/> before each read of the stream (which
    /// may block): a reader on another thread hands on the lines it has so far there.
    /// </summary>
    internal static IEnumerable<Line> Read(Stream stream, int maxLineBytes, Action? beforeRead)
    {
        var buffer = new byte[1 << 16];
        var start = 0;
        var end = 0;
        var skippingRest = false;
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
            if (newline >= 0)
            {
                if (skippingRest)
                {
                    skippingRest = false;
                }
                else
                {
                    yield return new Line(buffer.AsMemory(start, newline - start), false);
                }
                start = newline + 1;
                continue;
            }
            if (skippingRest)
            {
                start = end = 0;
            }
            else if (end - start >= maxLineBytes)
            {
                yield return new Line(buffer.AsMemory(start, maxLineBytes), true);
                skippingRest = true;
                start = end = 0;
            }
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
            beforeRead?.Invoke();
            var read = stream.Read(buffer, end, buffer.Length - end);
            if (read == 0)
            {
                if (end > start && !skippingRest)
                {
                    yield return new Line(buffer.AsMemory(start, end - start), end - start > maxLineBytes);
                }
                yield break;
            }
            end += read;
        }
    }
}
