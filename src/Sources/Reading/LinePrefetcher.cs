using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Reading;

/// <summary>
/// A line as the source stage reads it, with what a reading thread may have worked out ahead: the SHA-256 and the
/// UTF-8 validity of its bytes without one trailing "\r" (the bytes a record's source reference hashes). An empty
/// <see cref="Digest"/> means nothing was worked out ahead, and <see cref="Utf8Valid"/> says nothing.
/// </summary>
internal readonly record struct PreparedLine(ReadOnlyMemory<byte> Bytes, bool Oversized, ReadOnlyMemory<byte> Digest, bool Utf8Valid)
{
    /// <summary>The line bytes without one trailing "\r".</summary>
    public static ReadOnlySpan<byte> Trimmed(ReadOnlySpan<byte> bytes) =>
        bytes.Length > 0 && bytes[^1] == (byte)'\r' ? bytes[..^1] : bytes;
}

/// <summary>
/// Reads, splits, checks and hashes an input's lines on a second thread while the caller parses the lines before them:
/// the SHA-256 of every line (about a quarter of the source stage's work on ~1 KB JSON lines), the UTF-8 check, the
/// line split and any gzip decoding leave the parsing thread. Lines come out in order, on the caller's thread, each
/// valid until the next one is asked for; the lines of every read of the stream are handed on before the next read
/// (which may block), so a slow pipe's lines are not held back. An error reading the stream is thrown to the caller
/// after the lines before it.
/// </summary>
internal static class LinePrefetcher
{
    // Four batches in flight bound the memory (and how far the reader runs ahead); a batch is handed on at this size.
    private const int Batches = 4;
    private const int FlushBytes = 128 << 10;

    /// <summary>The lines without any work done ahead, read on the caller's thread (for followed inputs).</summary>
    public static IEnumerable<PreparedLine> Synchronous(Stream stream, int maxLineBytes)
    {
        foreach (var line in LineReader.Read(stream, maxLineBytes))
        {
            yield return new PreparedLine(line.Bytes, line.Oversized, default, false);
        }
    }

    /// <summary>
    /// The lines of <paramref name="stream"/>, read on another thread; lines after the first
    /// <paramref name="skipLines"/> that are neither blank nor oversized come with their SHA-256 and UTF-8 validity.
    /// The stream is not read any more once the enumeration is disposed.
    /// </summary>
    public static IEnumerable<PreparedLine> Read(Stream stream, int maxLineBytes, long skipLines, CancellationToken cancellationToken)
    {
        using var stop = new CancellationTokenSource();
        using var free = new BlockingCollection<Batch>(Batches);
        using var full = new BlockingCollection<Batch>(Batches);
        for (var i = 0; i < Batches; i++)
        {
            free.Add(new Batch());
        }
        var producer = new Producer(stream, maxLineBytes, skipLines, free, full, stop.Token);
        var thread = new Thread(producer.Run) { IsBackground = true, Name = "policytrail line reader" };
        thread.Start();
        try
        {
            while (true)
            {
                var batch = full.Take(cancellationToken);
                for (var i = 0; i < batch.Count; i++)
                {
                    yield return batch.Line(i);
                }
                if (batch.Error is { } error)
                {
                    ExceptionDispatchInfo.Throw(error);
                }
                if (batch.End)
                {
                    yield break;
                }
                batch.Clear();
                free.Add(batch, CancellationToken.None);
            }
        }
        finally
        {
            // The stream is disposed after this: the reader must be out of it first.
            stop.Cancel();
            thread.Join();
        }
    }

    private sealed class Producer(Stream stream, int maxLineBytes, long skipLines, BlockingCollection<Batch> free, BlockingCollection<Batch> full, CancellationToken stop)
    {
        private Batch? _batch;

        public void Run()
        {
            using var hash = new LineHash();
            try
            {
                long number = 0;
                foreach (var line in LineReader.Read(stream, maxLineBytes, Flush))
                {
                    number++;
                    _batch ??= free.Take(stop);
                    var prepare = !line.Oversized && number > skipLines && !LineReader.IsBlank(line.Bytes.Span);
                    _batch.Add(line, prepare ? hash : null);
                    if (_batch.Bytes >= FlushBytes)
                    {
                        Flush();
                    }
                }
                _batch ??= free.Take(stop);
                _batch.End = true;
                full.Add(_batch, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The caller stopped reading.
            }
            catch (Exception e)
            {
                try
                {
                    _batch ??= free.Take(stop);
                    _batch.Error = e;
                    full.Add(_batch, stop);
                }
                catch (OperationCanceledException)
                {
                    // The caller stopped reading: nobody to tell.
                }
            }
        }

        /// <summary>Hands on the lines read so far (before a read that may block, or when the batch is large).</summary>
        private void Flush()
        {
            if (_batch is { Count: > 0 })
            {
                full.Add(_batch, stop);
                _batch = null;
            }
        }
    }

    /// <summary>Lines copied out of the reader's buffer, with their digests; reused once the caller is past them.</summary>
    private sealed class Batch
    {
        private byte[] _data = new byte[FlushBytes + (16 << 10)];
        private Entry[] _entries = new Entry[256];
        private byte[] _digests = new byte[256 * 32];

        public int Count { get; private set; }
        public int Bytes { get; private set; }
        public bool End { get; set; }
        public Exception? Error { get; set; }

        public void Add(Line line, LineHash? hash)
        {
            var bytes = line.Bytes.Span;
            if (Bytes + bytes.Length > _data.Length)
            {
                Array.Resize(ref _data, Math.Max(_data.Length * 2, Bytes + bytes.Length));
            }
            if (Count == _entries.Length)
            {
                Array.Resize(ref _entries, Count * 2);
                Array.Resize(ref _digests, Count * 2 * 32);
            }
            bytes.CopyTo(_data.AsSpan(Bytes));
            var valid = false;
            if (hash is not null)
            {
                var trimmed = PreparedLine.Trimmed(bytes);
                hash.Hash(trimmed, _digests.AsSpan(Count * 32, 32));
                valid = System.Text.Unicode.Utf8.IsValid(trimmed);
            }
            _entries[Count++] = new Entry(Bytes, bytes.Length, line.Oversized, hash is not null, valid);
            Bytes += bytes.Length;
        }

        public PreparedLine Line(int i)
        {
            var e = _entries[i];
            return new PreparedLine(_data.AsMemory(e.Offset, e.Length), e.Oversized, e.Prepared ? _digests.AsMemory(i * 32, 32) : default, e.Utf8Valid);
        }

        public void Clear()
        {
            Count = 0;
            Bytes = 0;
            End = false;
            Error = null;
        }

        private readonly record struct Entry(int Offset, int Length, bool Oversized, bool Prepared, bool Utf8Valid);
    }
}
