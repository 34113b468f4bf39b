namespace PolicyTrail.Cli;

/// <summary>Splits a byte stream into lines without decoding it, for fast JSON-lines input.</summary>
internal static class LineReader
{
    public static IEnumerable<ReadOnlyMemory<byte>> ReadLines(Stream stream)
    {
        var buffer = new byte[1 << 16];
        var start = 0;
        var end = 0;
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
            if (newline >= 0)
            {
                yield return buffer.AsMemory(start, newline - start);
                start = newline + 1;
                continue;
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
            var read = stream.Read(buffer, end, buffer.Length - end);
            if (read == 0)
            {
                if (end > start)
                {
                    yield return buffer.AsMemory(start, end - start);
                }
                yield break;
            }
            end += read;
        }
    }
}
