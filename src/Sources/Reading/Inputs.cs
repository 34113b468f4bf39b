using System.IO.Compression;

namespace PolicyTrail.Sources.Reading;

/// <summary>One input to read: a file (plain or gzip) or standard input.</summary>
public sealed record Input(string Name, bool IsStdin)
{
    /// <summary>The year of the file's last write (for year-less timestamps); the current year for stdin.</summary>
    public int ModificationYear => IsStdin ? DateTime.UtcNow.Year : File.GetLastWriteTimeUtc(Name).Year;
}

/// <summary>Turns the user's FILE... arguments into inputs and opens them (gzip is recognised by its magic bytes).</summary>
public static class Inputs
{
    /// <summary>Files as given, folders recursively in name order (hidden files skipped), "-" as standard input.</summary>
    public static IReadOnlyList<Input> Expand(IEnumerable<string> arguments)
    {
        var inputs = new List<Input>();
        foreach (var argument in arguments)
        {
            if (argument == "-")
            {
                inputs.Add(new Input("-", true));
            }
            else if (Directory.Exists(argument))
            {
                inputs.AddRange(Directory.EnumerateFiles(argument, "*", SearchOption.AllDirectories)
                    .Where(f => !Path.GetFileName(f).StartsWith('.'))
                    .Order(StringComparer.Ordinal)
                    .Select(f => new Input(f, false)));
            }
            else if (File.Exists(argument))
            {
                inputs.Add(new Input(argument, false));
            }
            else
            {
                throw new FileNotFoundException($"{argument}: no such file or folder", argument);
            }
        }
        return inputs;
    }

    /// <summary>Opens an input for reading; a gzip file is decompressed on the fly.</summary>
    public static Stream Open(Input input, Func<Stream> stdin)
    {
        var raw = input.IsStdin ? stdin() : new FileStream(input.Name, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        var buffered = new BufferedStream(raw, 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        if (buffered.CanSeek)
        {
            var read = buffered.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            buffered.Position = 0;
            return read == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new GZipStream(buffered, CompressionMode.Decompress) : buffered;
        }
        var peek = new PeekStream(buffered);
        return peek.StartsWith(0x1f, 0x8b) ? new GZipStream(peek, CompressionMode.Decompress) : peek;
    }

    /// <summary>A non-seekable stream whose first two bytes can be looked at before reading.</summary>
    private sealed class PeekStream(Stream inner) : ReadOnlyStream
    {
        private readonly byte[] _head = new byte[2];
        private int _headLength = -1;
        private int _headPosition;

        public bool StartsWith(byte a, byte b)
        {
            Fill();
            return _headLength == 2 && _head[0] == a && _head[1] == b;
        }

        private void Fill()
        {
            if (_headLength < 0)
            {
                _headLength = inner.ReadAtLeast(_head, 2, throwOnEndOfStream: false);
            }
        }

        public override int Read(Span<byte> buffer)
        {
            Fill();
            if (_headPosition < _headLength && buffer.Length > 0)
            {
                var n = Math.Min(buffer.Length, _headLength - _headPosition);
                _head.AsSpan(_headPosition, n).CopyTo(buffer);
                _headPosition += n;
                return n;
            }
            return inner.Read(buffer);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
