using System.Globalization;
using System.Security.Cryptography;
using PolicyTrail.Identity.Watch;
using PolicyTrail.Ingest.Running;

namespace PolicyTrail.Ingest.Changes;

/// <summary>What a replay of a change file did.</summary>
public sealed record ChangeReplaySummary
{
    /// <summary>Lines read in this run (not counting those skipped as already recorded).</summary>
    public long Lines { get; init; }

    /// <summary>Lines an earlier run recorded, skipped.</summary>
    public long AlreadyRecorded { get; init; }

    /// <summary>Changes recorded.</summary>
    public long Changes { get; init; }

    /// <summary>Gaps recorded (from gap lines).</summary>
    public long Gaps { get; init; }

    /// <summary>Lines that were not a change or a gap (each recorded as a gap entry naming it).</summary>
    public long Rejected { get; init; }

    /// <summary>Whether the file under this path is not the one an earlier run read (it was read from its start).</summary>
    public bool Replaced { get; init; }
}

/// <summary>
/// Records the changes and gaps of a change file (<see cref="ChangeLines"/>, as <c>policytrail watch --out</c> writes it)
/// through a <see cref="ChangeRecorder"/>, resumably: the last line recorded is committed with the entries (key
/// "watch-replay:" + full path, with the fingerprint of the file's first bytes), and a later run over the same file
/// skips the lines up to it. A line that is not a change or a gap is reported (file:line: reason), recorded as a gap
/// entry with its SHA-256, and counted; it never stops the replay.
/// </summary>
public static class ChangeReplay
{
    /// <summary>
    /// Entries per commit for a recorder that replays a file: a bulk import, so larger commits than a live watch's (each
    /// commit waits for the one before it, and DuckDB checkpoints at most once per commit).
    /// </summary>
    public const int CommitEntries = 50_000;

    /// <summary>Replays <paramref name="path"/> into the recorder's ledger; reports rejected lines to <paramref name="errors"/>.</summary>
    public static ChangeReplaySummary Run(ChangeRecorder recorder, Ledger.Writing.LedgerWriter writer, string path, TextWriter errors, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(errors);
        var key = "watch-replay:" + Path.GetFullPath(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        var head = SourceKeys.Head(stream);
        stream.Position = 0;
        var fingerprint = SourceKeys.Fingerprint(head);
        long resumeAfter = 0;
        var replaced = false;
        if (writer.Position(key) is { } position)
        {
            if (StillMatches(position.Fingerprint, head))
            {
                resumeAfter = position.Line;
                fingerprint = position.Fingerprint;
            }
            else
            {
                replaced = true;
                errors.WriteLine($"policytrail: warning: {path}: not the file an earlier run recorded {position.Line} lines of (its first bytes differ): reading it from the start");
            }
        }
        recorder.ReadingFrom(key, fingerprint);
        // A batch of change entries holds ~100 MB of bodies and the reading thread is the bound: overlapping commits
        // would hold a third batch for nothing.
        writer.OverlapCommits = false;
        var changes = recorder.Changes;
        var gaps = recorder.Gaps;
        long lines = 0, skipped = 0, rejected = 0, lastTime = 0;
        // Lines are read and parsed on a thread of their own while this one builds and appends the entries.
        using var parsed = new System.Collections.Concurrent.BlockingCollection<List<Parsed>>(boundedCapacity: 4);
        // Stops the reader when recording fails, so that it does not wait forever for room.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reading = Task.Run(() =>
        {
            try
            {
                var reader = new LineReader(stream);
                // The entries' bodies are written here too, from the line's bytes: the object is never decoded to text.
                var bodies = new Entries.ChangeBodyWriter();
                var batch = new List<Parsed>(64);
                while (reader.Next(out var line))
                {
                    stop.Token.ThrowIfCancellationRequested();
                    var number = reader.LineNumber;
                    if (number <= resumeAfter || line.Trim(" \t\r"u8).IsEmpty)
                    {
                        batch.Add(new Parsed(number, default, null, null, null));
                    }
                    else if (ReadLine(bodies, line, out var read, out var error, out var body))
                    {
                        batch.Add(new Parsed(number, read, null, null, body));
                    }
                    else
                    {
                        batch.Add(new Parsed(number, default, error, SHA256.HashData(line), null));
                    }
                    if (batch.Count == batch.Capacity)
                    {
                        parsed.Add(batch, stop.Token);
                        batch = new List<Parsed>(64);
                    }
                }
                parsed.Add(batch, stop.Token);
            }
            finally
            {
                parsed.CompleteAdding();
            }
        }, stop.Token);
        try
        {
            Record();
        }
        catch
        {
            stop.Cancel();
            throw;
        }
        reading.GetAwaiter().GetResult();
        recorder.Complete();
        return new ChangeReplaySummary
        {
            Lines = lines,
            AlreadyRecorded = skipped,
            Changes = recorder.Changes - changes,
            Gaps = recorder.Gaps - gaps - rejected,
            Rejected = rejected,
            Replaced = replaced,
        };

        void Record()
        {
            foreach (var batch in parsed.GetConsumingEnumerable(cancellationToken))
            {
                foreach (var (number, read, error, sha256, body) in batch)
                {
                    if (number <= resumeAfter)
                    {
                        skipped++;
                        continue;
                    }
                    lines++;
                    if (error is not null)
                    {
                        rejected++;
                        errors.WriteLine(string.Create(CultureInfo.InvariantCulture, $"policytrail: {path}:{number}: {error}"));
                        recorder.Rejected(path, number, error, sha256!, lastTime);
                    }
                    else if (read.Change is { } change)
                    {
                        lastTime = change.Time;
                        recorder.Record(change, body!, number);
                    }
                    else if (read.GapReason is not null)
                    {
                        lastTime = read.GapTo;
                        recorder.Gap(read.GapFrom, read.GapTo, read.GapReason, number);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Reads one line of a change file (<see cref="ChangeLines"/>) and writes a change's entry body from the line's bytes:
    /// in the same pass as the line when it can, else from the object's bytes; the same body either way.
    /// </summary>
    internal static bool ReadLine(Entries.ChangeBodyWriter bodies, ReadOnlySpan<byte> line, out ChangeLine read, out string? error, out byte[]? body)
    {
        body = null;
        if (System.Text.Unicode.Utf8.IsValid(line) && ChangeLines.TryRead(line, bodies.InPlace(), out read, out error, out var objectJson))
        {
            // The object was read with the line, in one pass (the common case).
            if (read.Change is { } change)
            {
                body = bodies.WrittenInPlace(change) ?? (objectJson is { } at ? bodies.Write(change, line[at]) : bodies.Write(change));
            }
            return true;
        }
        if (ChangeLines.TryRead(line, out read, out error, out objectJson))
        {
            if (read.Change is { } change)
            {
                body = objectJson is { } at ? bodies.Write(change, line[at]) : bodies.Write(change);
            }
            return true;
        }
        return false;
    }

    private readonly record struct Parsed(long Line, ChangeLine Read, string? Error, byte[]? Sha256, byte[]? Body);

    private static bool StillMatches(string stored, byte[] head)
    {
        var colon = stored.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && int.TryParse(stored.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            && head.Length >= length && SourceKeys.Fingerprint(head.AsSpan(0, length)) == stored;
    }

    /// <summary>Lines of a stream ('\n'-terminated; a last line without one counts), as spans into one growing buffer.</summary>
    private sealed class LineReader(Stream stream)
    {
        private byte[] _buffer = new byte[1 << 20];
        private int _start;
        private int _end;
        private bool _eof;

        public long LineNumber { get; private set; }

        public bool Next(out ReadOnlySpan<byte> line)
        {
            while (true)
            {
                var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    line = _buffer.AsSpan(_start, newline);
                    _start += newline + 1;
                    LineNumber++;
                    return true;
                }
                if (_eof)
                {
                    if (_start < _end)
                    {
                        line = _buffer.AsSpan(_start, _end - _start);
                        _start = _end;
                        LineNumber++;
                        return true;
                    }
                    line = default;
                    return false;
                }
                Fill();
            }
        }

        private void Fill()
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
            var read = stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                _eof = true;
            }
            _end += read;
        }
    }
}
