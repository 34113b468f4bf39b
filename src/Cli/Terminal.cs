using System.Text;

namespace PolicyTrail.Cli;

/// <summary>The process's standard streams, injectable so that tests run the real commands in memory.</summary>
internal sealed class Terminal : IDisposable
{
    private readonly Lazy<StreamWriter> _out;

    public Terminal(Stream stdout, TextWriter stderr, Func<Stream> stdin, bool stdoutIsTerminal, bool stderrIsTerminal)
    {
        OutStream = stdout;
        Error = stderr;
        OpenInput = stdin;
        StdoutIsTerminal = stdoutIsTerminal;
        StderrIsTerminal = stderrIsTerminal;
        _out = new Lazy<StreamWriter>(() => new StreamWriter(stdout, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { AutoFlush = false });
    }

    /// <summary>Standard output as bytes (for JSON lines written with Utf8JsonWriter).</summary>
    public Stream OutStream { get; }

    /// <summary>Standard output as text; flushed when the command ends.</summary>
    public TextWriter Out => _out.Value;

    /// <summary>Standard error: summaries, progress and the one-line errors.</summary>
    public TextWriter Error { get; }

    /// <summary>Opens standard input (for "-").</summary>
    public Func<Stream> OpenInput { get; }

    public bool StdoutIsTerminal { get; }

    public bool StderrIsTerminal { get; }

    /// <summary>The real console.</summary>
    public static Terminal FromConsole() => new(
        new BufferedStream(Console.OpenStandardOutput(), 1 << 16),
        Console.Error,
        Console.OpenStandardInput,
        !Console.IsOutputRedirected,
        !Console.IsErrorRedirected);

    public void Flush()
    {
        if (_out.IsValueCreated)
        {
            _out.Value.Flush();
        }
        OutStream.Flush();
        Error.Flush();
    }

    public void Dispose()
    {
        Flush();
        if (_out.IsValueCreated)
        {
            _out.Value.Dispose();
        }
    }
}
