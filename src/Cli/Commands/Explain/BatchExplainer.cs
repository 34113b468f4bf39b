using System.Buffers;
using PolicyTrail.Sources.Reading;
using System.Text;
using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Policy.Evaluation;
using PolicyTrail.Policy.Explanation;

namespace PolicyTrail.Cli.Commands.Explain;

/// <summary>Counts of one batch.</summary>
internal sealed class BatchStats
{
    public long Probes { get; set; }
    public long Malformed { get; set; }
    public long Allow { get; set; }
    public long Deny { get; set; }
    public long Unknown { get; set; }
    public long Errors { get; set; }
    public long CacheHits { get; set; }

    public void Add(BatchStats other)
    {
        Probes += other.Probes;
        Malformed += other.Malformed;
        Allow += other.Allow;
        Deny += other.Deny;
        Unknown += other.Unknown;
        Errors += other.Errors;
        CacheHits += other.CacheHits;
    }
}

/// <summary>
/// Decides a stream of probe lines on every core: lines are read in chunks, each chunk is split into one contiguous
/// range per worker (each with its own output buffer and decision cache), and the buffers are written in order, so
/// the output keeps the input's order exactly.
/// </summary>
internal sealed class BatchExplainer(PolicyEngine engine, string output, bool useCache, string inputName)
{
    private const int ChunkLines = 16_384;
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly int _workers = Math.Max(1, Environment.ProcessorCount);

    public BatchStats Run(Stream input, Stream stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var workers = Enumerable.Range(0, _workers).Select(_ => new Worker(engine, output, useCache ? new DecisionCache(engine, 1 << 16) : null, inputName)).ToArray();
        var chunk = new Chunk();
        var total = new BatchStats();
        var wroteAny = false;
        if (output == "json")
        {
            stdout.Write("["u8);
        }

        void Flush()
        {
            if (chunk.Count == 0)
            {
                return;
            }
            Parallel.For(0, workers.Length, new ParallelOptions { MaxDegreeOfParallelism = workers.Length, CancellationToken = cancellationToken }, w =>
            {
                var from = (int)((long)chunk.Count * w / workers.Length);
                var to = (int)((long)chunk.Count * (w + 1) / workers.Length);
                workers[w].Process(chunk, from, to);
            });
            foreach (var worker in workers)
            {
                var written = worker.Buffer.WrittenSpan;
                if (output == "json" && !wroteAny && written.Length > 0)
                {
                    written = written[1..]; // every element starts with ","; the first one overall must not
                }
                wroteAny |= written.Length > 0;
                stdout.Write(written);
                worker.Buffer.ResetWrittenCount();
                foreach (var message in worker.Messages)
                {
                    stderr.WriteLine(message);
                }
                worker.Messages.Clear();
            }
            chunk.Clear();
        }

        long lineNumber = 0;
        foreach (var line in LineReader.ReadLines(input))
        {
            cancellationToken.ThrowIfCancellationRequested();
            lineNumber++;
            chunk.Add(line.Span, lineNumber);
            if (chunk.Count == ChunkLines)
            {
                Flush();
            }
        }
        Flush();
        if (output == "json")
        {
            stdout.Write("\n]\n"u8);
        }
        foreach (var worker in workers)
        {
            total.Add(worker.Stats);
            total.CacheHits += worker.Cache?.Hits ?? 0;
        }
        return total;
    }

    /// <summary>A block of lines copied out of the reader's buffer, with their line numbers.</summary>
    private sealed class Chunk
    {
        private byte[] _data = new byte[1 << 20];
        private int _used;
        private readonly List<(int Start, int Length, long Line)> _lines = new(ChunkLines);

        public int Count => _lines.Count;

        public void Add(ReadOnlySpan<byte> line, long number)
        {
            if (_used + line.Length > _data.Length)
            {
                Array.Resize(ref _data, Math.Max(_data.Length * 2, _used + line.Length));
            }
            line.CopyTo(_data.AsSpan(_used));
            _lines.Add((_used, line.Length, number));
            _used += line.Length;
        }

        public (ReadOnlyMemory<byte> Bytes, long Line) this[int i] => (_data.AsMemory(_lines[i].Start, _lines[i].Length), _lines[i].Line);

        public void Clear()
        {
            _used = 0;
            _lines.Clear();
        }
    }

    private sealed class Worker(PolicyEngine engine, string output, DecisionCache? cache, string inputName)
    {
        private readonly Utf8JsonWriter _json = new(Stream.Null, new JsonWriterOptions { Indented = output == "json" });

        public ArrayBufferWriter<byte> Buffer { get; } = new(1 << 20);
        public List<string> Messages { get; } = [];
        public BatchStats Stats { get; } = new();
        public DecisionCache? Cache { get; } = cache;

        public void Process(Chunk chunk, int from, int to)
        {
            for (var i = from; i < to; i++)
            {
                var (bytes, line) = chunk[i];
                if (LineReader.IsBlank(bytes.Span))
                {
                    continue;
                }
                if (!ProbeReader.TryParse(bytes.Span, out var probe, out var error))
                {
                    Stats.Malformed++;
                    Messages.Add($"policytrail: {inputName}:{line}: not a probe: {error}");
                    if (output != "text")
                    {
                        Begin();
                        _json.WriteStartObject();
                        _json.WriteNumber("line", line);
                        _json.WriteString("verdict", "unknown");
                        _json.WriteString("error", $"line {line}: not a probe: {error}");
                        _json.WriteEndObject();
                        End();
                    }
                    continue;
                }
                Stats.Probes++;
                var decision = Cache is null
                    ? engine.Explain(probe!.From, probe.To, probe.Port, probe.Protocol)
                    : Cache.Explain(probe!.From, probe.To, probe.Port, probe.Protocol);
                switch (decision.Verdict)
                {
                    case Verdict.Allow: Stats.Allow++; break;
                    case Verdict.Deny: Stats.Deny++; break;
                    default: Stats.Unknown++; break;
                }
                if (decision.Error is not null)
                {
                    Stats.Errors++;
                }
                if (output == "text")
                {
                    Encoding.UTF8.GetBytes($"{probe.From} -> {probe.To} {probe.Protocol.ToName()}/{probe.Port}: {decision.Explanation}\n", Buffer);
                }
                else
                {
                    Begin();
                    DecisionJsonWriter.WriteProbe(_json, probe.From, probe.To, probe.Port, decision);
                    End();
                }
            }
        }

        private void Begin()
        {
            if (output == "json")
            {
                Buffer.Write(",\n"u8);
            }
            _json.Reset(Buffer);
        }

        private void End()
        {
            _json.Flush();
            if (output == "jsonl")
            {
                Buffer.Write(NewLine);
            }
        }
    }
}
