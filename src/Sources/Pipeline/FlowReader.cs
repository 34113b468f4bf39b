using System.Text;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Reading;

namespace PolicyTrail.Sources.Pipeline;

/// <summary>A line that could not be read: where, by which format, why, and the line itself.</summary>
public sealed record RejectedRecord(string File, long Line, string? Format, string Reason, string Raw);

/// <summary>Counts for one format across the inputs it read.</summary>
public sealed class FormatSummary(string name)
{
    /// <summary>Format name.</summary>
    public string Name { get; } = name;
    /// <summary>Inputs read with this format.</summary>
    public int Inputs { get; set; }
    /// <summary>Non-blank lines read.</summary>
    public long Read { get; set; }
    /// <summary>Flow records produced.</summary>
    public long Flows { get; set; }
    /// <summary>Gap records produced.</summary>
    public long Gaps { get; set; }
    /// <summary>Lines rejected.</summary>
    public long Rejected { get; set; }
    /// <summary>Other records produced (policy changes from audit logs).</summary>
    public long Other { get; set; }
    /// <summary>Known non-flow records skipped, by category.</summary>
    public Dictionary<string, long> Skipped { get; } = new(StringComparer.Ordinal);
}

/// <summary>What a read produced, per format, plus the inputs no format recognised.</summary>
public sealed class ReadSummary
{
    /// <summary>Per format, in name order.</summary>
    public SortedDictionary<string, FormatSummary> Formats { get; } = new(StringComparer.Ordinal);
    /// <summary>Inputs whose format nobody recognised (all their lines are rejected).</summary>
    public List<string> Unrecognised { get; } = [];
    /// <summary>Inputs that could not be opened, with the reason.</summary>
    public List<string> Unreadable { get; } = [];

    /// <summary>Every non-blank line read.</summary>
    public long Read => Formats.Values.Sum(f => f.Read);
    /// <summary>Flows and gaps produced.</summary>
    public long Normalized => Formats.Values.Sum(f => f.Flows + f.Gaps + f.Other);
    /// <summary>Flow records produced.</summary>
    public long Flows => Formats.Values.Sum(f => f.Flows);
    /// <summary>Policy-change records produced.</summary>
    public long PolicyChanges => Formats.Values.Sum(f => f.Other);
    /// <summary>Gap records produced.</summary>
    public long Gaps => Formats.Values.Sum(f => f.Gaps);
    /// <summary>Lines rejected.</summary>
    public long Rejected => Formats.Values.Sum(f => f.Rejected);
    /// <summary>Lines skipped as known non-flow records.</summary>
    public long Skipped => Formats.Values.Sum(f => f.Skipped.Values.Sum());
}

/// <summary>How to read: a forced format or detection, the format options, following, and size limits.</summary>
public sealed record FlowReadOptions
{
    /// <summary>Null to detect per input from its first lines; else the format to use for every input.</summary>
    public IFlowFormat? Format { get; init; }
    /// <summary>Options for ambiguous formats.</summary>
    public FormatOptions FormatOptions { get; init; } = new();
    /// <summary>Keep reading files as they grow, across rotation and truncation, until cancelled.</summary>
    public bool Follow { get; init; }
    /// <summary>Standard input, for "-".</summary>
    public Func<Stream> Stdin { get; init; } = Console.OpenStandardInput;
    /// <summary>Longest line read whole; longer ones are rejected.</summary>
    public int MaxLineBytes { get; init; } = LineReader.DefaultMaxLineBytes;

    /// <summary>
    /// For resuming: the number of lines of an input already consumed. Those lines still count for format detection
    /// but are not parsed again. Null: read every line.
    /// </summary>
    public Func<Input, long>? ResumeAfterLine { get; init; }
}

/// <summary>
/// The source stage: opens inputs, recognises each one's format, feeds its lines to the format's parser and hands
/// on records and rejections. The same path serves files, stdin and followed files.
/// </summary>
public sealed class FlowReader(FlowReadOptions options)
{
    private const string Unrecognised = "(unrecognised)";

    /// <summary>Reads every input in order; records and rejections are handed on as they are found.</summary>
    public ReadSummary Read(IReadOnlyList<Input> inputs, Action<NormalizedRecord> onRecord, Action<RejectedRecord> onReject, CancellationToken cancellationToken = default) =>
        Read(inputs, onRecord, onReject, null, cancellationToken);

    /// <summary>
    /// Reads every input in order; <paramref name="onInputEnd"/> is told when an input was read to its end, with the
    /// number of lines it had (not called for an input that could not be opened or failed while reading).
    /// </summary>
    public ReadSummary Read(IReadOnlyList<Input> inputs, Action<NormalizedRecord> onRecord, Action<RejectedRecord> onReject, Action<Input, long>? onInputEnd, CancellationToken cancellationToken = default)
    {
        var summary = new ReadSummary();
        foreach (var input in inputs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Stream stream;
            try
            {
                stream = options.Follow && !input.IsStdin ? new FollowStream(input.Name, cancellationToken) : Inputs.Open(input, options.Stdin);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                summary.Unreadable.Add($"{input.Name}: cannot read: {e.Message}");
                continue;
            }
            using (stream)
            {
                try
                {
                    var lines = ReadInput(input, stream, summary, onRecord, onReject, cancellationToken);
                    onInputEnd?.Invoke(input, lines);
                }
                catch (IOException e)
                {
                    summary.Unreadable.Add($"{input.Name}: read failed: {e.Message}");
                }
                catch (InvalidDataException e)
                {
                    summary.Unreadable.Add($"{input.Name}: corrupt gzip data: {e.Message}");
                }
            }
        }
        return summary;
    }

    private long ReadInput(Input input, Stream stream, ReadSummary summary, Action<NormalizedRecord> onRecord, Action<RejectedRecord> onReject, CancellationToken cancellationToken)
    {
        var resumeAfter = options.ResumeAfterLine?.Invoke(input) ?? 0;
        var fileYear = input.ModificationYear;
        var pending = new List<(byte[] Bytes, long Number, bool Oversized, byte[] Digest, bool Utf8Valid)>();
        var sample = new List<string>();
        IFlowFormat? format = options.Format;
        ILineParser? parser = format?.CreateParser(options.FormatOptions);
        FormatSummary? counts = format is null ? null : Counts(summary, format.Name);
        using var context = new LineContext();
        var sink = new Sink(onRecord, onReject, context);
        long number = 0;
        var decided = format is not null;

        // digest: the SHA-256 the reading thread worked out (empty: none), and then utf8Valid its UTF-8 check.
        void Process(ReadOnlyMemory<byte> bytes, long lineNumber, bool oversized, ReadOnlyMemory<byte> digest, bool utf8Valid)
        {
            counts!.Read++;
            sink.Counts = counts;
            if (bytes.Length > 0 && bytes.Span[^1] == (byte)'\r')
            {
                bytes = bytes[..^1];
            }
            context.Reset(bytes, input.Name, lineNumber, format?.Name ?? Unrecognised, fileYear, digest);
            if (oversized)
            {
                sink.Reject($"line longer than {options.MaxLineBytes} bytes");
                return;
            }
            if (parser is null)
            {
                sink.Reject("no supported format recognises this input (use --format to name it)");
                return;
            }
            if (!(digest.IsEmpty ? System.Text.Unicode.Utf8.IsValid(bytes.Span) : utf8Valid))
            {
                // Every supported format is UTF-8 text (JSON requires it); a line that is not is damaged.
                sink.Reject("line is not valid UTF-8 text");
                return;
            }
            try
            {
                parser.Parse(context, sink);
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                // A parser must reject rather than throw; if one throws anyway, the line is still kept with the reason.
                sink.Reject($"{format!.Name} parser failed: {e.GetType().Name}: {e.Message}");
            }
        }

        void Decide()
        {
            decided = true;
            format = FormatRegistry.Detect(sample);
            parser = format?.CreateParser(options.FormatOptions);
            counts = Counts(summary, format?.Name ?? Unrecognised);
            if (format is null)
            {
                summary.Unrecognised.Add(input.Name);
            }
            counts.Inputs++;
            foreach (var (bytes, lineNumber, oversized, digest, utf8Valid) in pending)
            {
                Process(bytes, lineNumber, oversized, digest, utf8Valid);
            }
            pending.Clear();
        }

        if (counts is not null)
        {
            counts.Inputs++;
        }
        // A followed input is read on this thread (its reads wait for the file to grow), and so is any input when the
        // process has one core (two threads taking turns on it cost more than they save); any other on a second thread,
        // which also hashes and checks each line ahead of the parser.
        var lines = options.Follow || Environment.ProcessorCount == 1
            ? LinePrefetcher.Synchronous(stream, options.MaxLineBytes)
            : LinePrefetcher.Read(stream, options.MaxLineBytes, resumeAfter, cancellationToken);
        foreach (var line in lines)
        {
            cancellationToken.ThrowIfCancellationRequested();
            number++;
            if (LineReader.IsBlank(line.Bytes.Span))
            {
                continue;
            }
            if (number <= resumeAfter)
            {
                // Already consumed: only helps recognise the format, as it did the first time.
                if (!decided && !line.Oversized && sample.Count < FormatRegistry.SampleLines)
                {
                    sample.Add(Encoding.UTF8.GetString(line.Bytes.Span[..Math.Min(line.Bytes.Length, 64 << 10)]));
                }
                continue;
            }
            if (!decided)
            {
                pending.Add((line.Bytes.ToArray(), number, line.Oversized, line.Digest.ToArray(), line.Utf8Valid));
                if (!line.Oversized)
                {
                    sample.Add(Encoding.UTF8.GetString(line.Bytes.Span[..Math.Min(line.Bytes.Length, 64 << 10)]));
                }
                if (sample.Count >= FormatRegistry.SampleLines || pending.Count >= 4 * FormatRegistry.SampleLines)
                {
                    Decide();
                }
                continue;
            }
            Process(line.Bytes, number, line.Oversized, line.Digest, line.Utf8Valid);
        }
        if (!decided && (pending.Count > 0 || sample.Count > 0))
        {
            Decide();
        }
        return number;
    }

    private static FormatSummary Counts(ReadSummary summary, string name)
    {
        if (!summary.Formats.TryGetValue(name, out var counts))
        {
            summary.Formats[name] = counts = new FormatSummary(name);
        }
        return counts;
    }

    private sealed class Sink(Action<NormalizedRecord> onRecord, Action<RejectedRecord> onReject, LineContext context) : RecordSink
    {
        private const int MaxRawChars = 64 << 10;

        public FormatSummary Counts { get; set; } = null!;

        public override void Emit(NormalizedRecord record)
        {
            switch (record)
            {
                case GapRecord:
                    Counts.Gaps++;
                    break;
                case FlowRecord:
                    Counts.Flows++;
                    break;
                default:
                    Counts.Other++;
                    break;
            }
            onRecord(record);
        }

        public override void Skip(string category) =>
            Counts.Skipped[category] = Counts.Skipped.GetValueOrDefault(category) + 1;

        public override void Reject(string reason)
        {
            Counts.Rejected++;
            var raw = context.Text;
            if (raw.Length > MaxRawChars)
            {
                raw = raw[..MaxRawChars] + $"... ({context.Bytes.Length} bytes in all)";
            }
            onReject(new RejectedRecord(context.File, context.Number, context.Format, reason, raw));
        }
    }
}
