using PolicyTrail.Core.Flows;

namespace PolicyTrail.Sources.Formats;

/// <summary>
/// One log format: how to recognise it from its first lines and how to read it. Implementations live in one folder per
/// format (Sources/Hubble, Sources/Calico, ...) and are found by <see cref="FormatRegistry"/>; adding a format is adding
/// a folder.
/// </summary>
public interface IFlowFormat
{
    /// <summary>The name users pass to --format and that records carry in source.format (lower-case, e.g. "hubble").</summary>
    string Name { get; }

    /// <summary>One line for --help: what the format is and which tool writes it.</summary>
    string Description { get; }

    /// <summary>
    /// How sure the format is that these are its records: 0 (not mine) to 100 (certain), given up to the first
    /// <see cref="FormatRegistry.SampleLines"/> non-blank lines of an input. Must not throw on any input.
    /// </summary>
    int Detect(IReadOnlyList<string> sample);

    /// <summary>A parser for one input (parsers may keep state, such as a CSV header or the last timestamp).</summary>
    ILineParser CreateParser(FormatOptions options);
}

/// <summary>Reads one input's lines, one at a time, in order.</summary>
public interface ILineParser
{
    /// <summary>
    /// Reads one line: emit zero or more records, or skip it (a known non-flow event, counted), or reject it with a
    /// reason. Must not throw on any input: anything unexpected is a rejection.
    /// </summary>
    void Parse(LineContext line, RecordSink sink);
}

/// <summary>Options that formats with ambiguous input need; every one is documented in `policytrail parse --help`.</summary>
public sealed record FormatOptions
{
    /// <summary>Zone for timestamps written without one (Antrea np.log, BSD syslog). Default UTC.</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>Year for timestamps written without one (BSD syslog, dmesg-less kernel lines). Null: the input file's modification year.</summary>
    public int? Year { get; init; }

    /// <summary>Node name for formats whose lines do not carry it (kernel logs, np.log); null when unknown.</summary>
    public string? Node { get; init; }

    /// <summary>Netfilter log-prefix rules: "PREFIX=verdict[:policy]" entries or preset names (calico, kube-router).</summary>
    public IReadOnlyList<string> NetfilterPrefixes { get; init; } = [];

    /// <summary>The year to assume for a year-less timestamp of the given input.</summary>
    public int YearFor(LineContext line) => Year ?? line.FileYear;
}

/// <summary>One line of input: its bytes, where it is, and the source reference records point at.</summary>
public sealed class LineContext : IDisposable
{
    private readonly LineHash _sha256 = new();
    private SourceRef? _source;
    private string? _sourceNode;
    private ReadOnlyMemory<byte> _givenSha256;

    /// <summary>The line without its line ending.</summary>
    public ReadOnlyMemory<byte> Bytes { get; private set; }

    /// <summary>The input's name (path, or "-" for stdin).</summary>
    public string File { get; private set; } = "";

    /// <summary>1-based line number within the input.</summary>
    public long Number { get; private set; }

    /// <summary>The format reading the line.</summary>
    public string Format { get; private set; } = "";

    /// <summary>The input file's modification year (for year-less timestamps).</summary>
    public int FileYear { get; private set; } = DateTime.UtcNow.Year;

    /// <summary>
    /// Points the context at the next line; <paramref name="sha256"/> is its SHA-256 when it was worked out already
    /// (32 bytes, read before the next Reset), else empty and it is computed when a record needs it.
    /// </summary>
    public void Reset(ReadOnlyMemory<byte> bytes, string file, long number, string format, int fileYear, ReadOnlyMemory<byte> sha256 = default)
    {
        if (sha256.Length is not (0 or 32))
        {
            throw new ArgumentException("a SHA-256 has 32 bytes", nameof(sha256));
        }
        _givenSha256 = sha256;
        Bytes = bytes;
        File = file;
        Number = number;
        Format = format;
        FileYear = fileYear;
        _source = null;
    }

    /// <inheritdoc />
    public void Dispose() => _sha256.Dispose();

    /// <summary>The line as text (UTF-8; invalid bytes become U+FFFD).</summary>
    public string Text => System.Text.Encoding.UTF8.GetString(Bytes.Span);

    /// <summary>The source reference for records of this line, with the SHA-256 of its raw bytes (computed once).</summary>
    public SourceRef Source(string? node = null)
    {
        if (_source is null || _sourceNode != node)
        {
            // Kept as 32 bytes; hex is written straight into the output when a record is written.
            var hash = new byte[32];
            if (_givenSha256.IsEmpty)
            {
                _sha256.Hash(Bytes.Span, hash);
            }
            else
            {
                _givenSha256.Span.CopyTo(hash);
            }
            _source = new SourceRef(Format, File, Number) { Node = node, Sha256Digest = hash };
            _sourceNode = node;
        }
        return _source;
    }
}

/// <summary>Where a parser puts what it read.</summary>
public abstract class RecordSink
{
    /// <summary>A normalized flow or gap.</summary>
    public abstract void Emit(NormalizedRecord record);

    /// <summary>A known record that is not a flow (agent event, debug event, header): counted by category, not rejected.</summary>
    public abstract void Skip(string category);

    /// <summary>A line that cannot be read: kept with the reason and counted.</summary>
    public abstract void Reject(string reason);
}
