using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Identity.History;
using PolicyTrail.Ingest.Attribution;
using PolicyTrail.Ingest.Clusters;
using PolicyTrail.Ingest.Entries;
using PolicyTrail.Ledger.Store;
using PolicyTrail.Ledger.Writing;
using PolicyTrail.Sources.Pipeline;
using PolicyTrail.Sources.Reading;

namespace PolicyTrail.Ingest.Running;

/// <summary>What an ingest run reads and how often it commits.</summary>
public sealed record IngestOptions
{
    /// <summary>Flow log files, folders, or "-" for standard input.</summary>
    public required IReadOnlyList<string> Files { get; init; }
    /// <summary>Format and reading options (detection, zone, year, node...).</summary>
    public FlowReadOptions Read { get; init; } = new();
    /// <summary>Commit after about this many entries...</summary>
    public int CommitEntries { get; init; } = 20_000;
    /// <summary>...or this long, whichever comes first (commits fall between two lines of input).</summary>
    public TimeSpan CommitEvery { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Rejected lines are written here (file, line, format, reason, raw) when set.</summary>
    public Action<RejectedRecord>? OnReject { get; init; }
    /// <summary>Told the number of entries appended in this run after each append (for tests that stop a run at an exact point).</summary>
    public Action<long>? OnAppended { get; init; }
    /// <summary>Told how far the run is, about twice a second.</summary>
    public Action<IngestSummary>? OnProgress { get; init; }
}

/// <summary>The counts of an ingest run.</summary>
public sealed class IngestSummary
{
    /// <summary>Records read from the sources in this run (flows, gaps, policy changes) plus rejected lines.</summary>
    public long Read { get; set; }
    /// <summary>Entries appended to the ledger in this run.</summary>
    public long Appended { get; set; }
    /// <summary>Flow entries appended.</summary>
    public long Flows { get; set; }
    /// <summary>Lines rejected (each kept as a gap entry).</summary>
    public long Rejected { get; set; }
    /// <summary>Gap entries appended (lost events, rejected lines, changed sources).</summary>
    public long Gaps { get; set; }
    /// <summary>Policy-change entries appended.</summary>
    public long PolicyChanges { get; set; }
    /// <summary>Of those, changes to objects the identity history follows (namespaces, NetworkPolicies, admin policies).</summary>
    public long ClusterChanges { get; set; }
    /// <summary>Inventory-change entries appended (cluster snapshots).</summary>
    public long Snapshots { get; set; }
    /// <summary>Flows PolicyTrail allows.</summary>
    public long Allow { get; set; }
    /// <summary>Flows PolicyTrail denies.</summary>
    public long Deny { get; set; }
    /// <summary>Flows PolicyTrail cannot decide.</summary>
    public long Unknown { get; set; }
    /// <summary>Flows where the CNI's verdict agrees with PolicyTrail's.</summary>
    public long Agree { get; set; }
    /// <summary>Flows where it disagrees.</summary>
    public long Disagree { get; set; }
    /// <summary>Inputs skipped whole because they had been ingested to their end before.</summary>
    public int InputsAlreadyIngested { get; set; }
    /// <summary>Lines not read again because an earlier run had ingested them.</summary>
    public long LinesAlreadyIngested { get; set; }
    /// <summary>Checkpoints signed in this run.</summary>
    public int Checkpoints { get; set; }
    /// <summary>The log size at the end.</summary>
    public long LogSize { get; set; }
    /// <summary>Time taken.</summary>
    public TimeSpan Elapsed { get; set; }
    /// <summary>What the source stage read, per format.</summary>
    public ReadSummary? Sources { get; set; }

    /// <summary>Records per second over the run.</summary>
    public double Rate => Elapsed.TotalSeconds > 0 ? Read / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// One ingest: sources → identity (the snapshot in force) → policy attribution → ledger append. The source stage and
/// attribution run on one thread; entry building and appending on the caller's; hashing and the store write of each
/// batch in the background. Each commit writes entries with the
/// source positions they reach, so a rerun (or a run after a crash) goes on exactly where the last commit ended.
/// </summary>
public sealed class IngestRun
{
    private const int ChunkSize = 512;

    // Chunks waiting between the source thread and the appending one (4,096 records): every record waiting there
    // outlives a young collection, whose pause grows with what survives; 64 chunks (32,768 records) were no faster.
    private const int QueuedChunks = 8;

    private readonly LedgerWriter _writer;
    private readonly ILedgerStore _store;
    private readonly ClusterHistory _clusters;
    private readonly IngestOptions _options;
    private readonly EntryBuilder _entries;
    private readonly FlowAttributor _attributor;
    private readonly IngestSummary _summary = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Stopwatch _sinceCommit = Stopwatch.StartNew();
    private readonly Dictionary<string, InputState> _inputs = new(StringComparer.Ordinal);
    private long _observedAt;
    private TimeSpan _lastProgress;

    /// <summary>Prepares a run appending through <paramref name="writer"/> to <paramref name="store"/>.</summary>
    public IngestRun(ILedgerStore store, LedgerWriter writer, ClusterHistory clusters, IngestOptions options)
    {
        _store = store;
        _writer = writer;
        _clusters = clusters;
        _options = options;
        _entries = new EntryBuilder(writer.Fragments);
        writer.OnRowsWritten = _entries.Reuse;
        _attributor = new FlowAttributor(clusters);
    }

    /// <summary>Runs to the end of every input and signs a checkpoint; returns the counts.</summary>
    public IngestSummary Run(CancellationToken cancellationToken = default)
    {
        StampObserved();
        RecordSnapshots();
        var inputs = Inputs.Expand(_options.Files);
        var stdin = _options.Read.Stdin;
        foreach (var input in inputs)
        {
            Prepare(input, ref stdin);
        }
        var read = _options.Read with
        {
            Stdin = stdin,
            ResumeAfterLine = input => _inputs[input.Name].ResumeAfter,
        };

        using var queue = new BlockingCollection<Item[]>(boundedCapacity: QueuedChunks);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producer = Task.Factory.StartNew(() =>
        {
            var chunk = new List<Item>(ChunkSize);
            void Push(Item item)
            {
                chunk.Add(item);
                if (chunk.Count == ChunkSize)
                {
                    queue.Add(chunk.ToArray(), cancel.Token);
                    chunk.Clear();
                }
            }
            try
            {
                return new FlowReader(read).Read(
                    inputs,
                    // Flows are decided here, on the source thread, which parsing alone leaves half idle.
                    record => Push(new Item(record, record is FlowRecord flow ? _attributor.Attribute(flow) : null, null, null, 0)),
                    reject => Push(new Item(null, null, reject, null, 0)),
                    (input, lines) => Push(new Item(null, null, null, input, lines)),
                    cancel.Token);
            }
            finally
            {
                if (chunk.Count > 0 && !cancel.IsCancellationRequested)
                {
                    queue.Add(chunk.ToArray(), cancel.Token);
                }
                queue.CompleteAdding();
            }
        }, cancel.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        try
        {
            foreach (var chunk in queue.GetConsumingEnumerable(cancel.Token))
            {
                foreach (var item in chunk)
                {
                    if (item.Record is { } record)
                    {
                        OnRecord(record, item.Attribution);
                    }
                    else if (item.Reject is { } reject)
                    {
                        OnReject(reject);
                    }
                    else
                    {
                        OnInputEnd(item.Input!, item.Lines);
                    }
                }
                Progress();
            }
        }
        catch
        {
            cancel.Cancel();
            // What was committed before the failure is made durable before the failure is reported.
            try
            {
                _writer.WaitForStore();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                // The original failure is the one to report.
            }
            throw;
        }
        _summary.Sources = producer.GetAwaiter().GetResult();
        _writer.Commit(checkpoint: true);
        _summary.Checkpoints = _writer.CheckpointsWritten;
        _summary.LogSize = _writer.Size;
        _summary.Elapsed = _clock.Elapsed;
        return _summary;
    }

    /// <summary>
    /// Records the snapshots given to this run that the store does not hold yet (their files as evidence, and the changes
    /// that take the history to each), then builds the identity history from every change the store holds.
    /// </summary>
    private void RecordSnapshots()
    {
        var stored = _store.ReadSnapshots().ToDictionary(s => s.Sha256, StringComparer.Ordinal);
        var builder = new ClusterTimelineBuilder();
        var recorded = Changes.ChangeReader.Read(_store, _writer.Fragments).ToList();
        builder.AddRange(recorded.Select(r => r.Change));
        foreach (var known in stored.Values)
        {
            builder.MarkObserved((known.TakenAt.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * 100);
        }
        foreach (var cluster in _clusters.Snapshots)
        {
            if (stored.TryGetValue(cluster.Sha256, out var known))
            {
                cluster.InventoryEntry = known.Entry;
                continue;
            }
            var index = Append(_entries.Inventory(cluster, _observedAt));
            cluster.InventoryEntry = index;
            _writer.AddSnapshot(new StoredSnapshot(new SnapshotInfo(cluster.Sha256, index, cluster.TakenAt, cluster.Name), cluster.Content));
            stored[cluster.Sha256] = new SnapshotInfo(cluster.Sha256, index, cluster.TakenAt, cluster.Name);
            _summary.Snapshots++;
            foreach (var change in builder.ApplySnapshot(cluster.UnixNanos, cluster.Objects, $"snapshot {cluster.Name}"))
            {
                recorded.Add((Append(_entries.Change(change, _observedAt)), change));
                _summary.ClusterChanges++;
            }
        }
        _writer.Commit();
        _clusters.Build(builder, recorded);
    }

    private void Prepare(Input input, ref Func<Stream> stdin)
    {
        string key, fingerprint;
        if (input.IsStdin)
        {
            var (stream, head) = SourceKeys.PeekStdin(stdin());
            stdin = () => stream;
            fingerprint = SourceKeys.Fingerprint(head);
            key = "stdin:" + fingerprint;
        }
        else
        {
            key = Path.GetFullPath(input.Name);
            fingerprint = SourceKeys.Fingerprint(input, stdin);
        }
        var state = new InputState(input, key, fingerprint);
        _inputs[input.Name] = state;
        var position = _writer.Position(key);
        if (position is null)
        {
            return;
        }
        if (input.IsStdin || SourceKeys.StillMatches(position.Fingerprint, input, stdin))
        {
            state.ResumeAfter = position.Line;
            // Keep the stored fingerprint while the file only grows, so that later runs compare the same bytes.
            state.Fingerprint = position.Fingerprint;
            _summary.LinesAlreadyIngested += position.Line;
            return;
        }
        // The file under this path is not the one read before: what followed the last read line was never seen.
        Append(_entries.SourceGap(input.Name, position.Line,
            $"source replaced since it was last read (its first bytes differ): anything written after line {position.Line} of the earlier file was not ingested",
            (position.Updated.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * 100, _observedAt));
        _summary.Gaps++;
    }

    private void OnRecord(NormalizedRecord record, FlowAttribution? decided)
    {
        var input = _inputs[record.Source.File];
        if (record.Source.Line != input.Line)
        {
            FlushRejects(input, record.Time);
            if (_writer.Pending >= _options.CommitEntries || _sinceCommit.Elapsed >= _options.CommitEvery)
            {
                Commit(input, record.Source.Line - 1);
            }
            input.Line = record.Source.Line;
        }
        input.LastTime = record.Time;
        _summary.Read++;
        switch (record)
        {
            case FlowRecord flow:
                var attribution = decided ?? _attributor.Attribute(flow);
                Append(_entries.Flow(flow, attribution, _observedAt));
                _summary.Flows++;
                switch (attribution.Verdict)
                {
                    case Verdict.Allow:
                        _summary.Allow++;
                        break;
                    case Verdict.Deny:
                        _summary.Deny++;
                        break;
                    default:
                        _summary.Unknown++;
                        break;
                }
                if (attribution.Agreement == Agreement.Agree)
                {
                    _summary.Agree++;
                }
                else if (attribution.Agreement == Agreement.Disagree)
                {
                    _summary.Disagree++;
                }
                break;
            case GapRecord:
                Append(_entries.Record(record, _observedAt));
                _summary.Gaps++;
                break;
            case PolicyChangeRecord audit when Changes.AuditChanges.From(audit) is { } change:
                Append(_entries.Change(change, _observedAt));
                _summary.PolicyChanges++;
                _summary.ClusterChanges++;
                break;
            default:
                Append(_entries.Record(record, _observedAt));
                _summary.PolicyChanges++;
                break;
        }
    }

    private void OnReject(RejectedRecord reject)
    {
        _summary.Read++;
        _summary.Rejected++;
        _options.OnReject?.Invoke(reject);
        var input = _inputs[reject.File];
        input.Rejects.Add(reject);
    }

    private void OnInputEnd(Input input, long lines)
    {
        var state = _inputs[input.Name];
        if (state.ResumeAfter > 0 && lines == state.ResumeAfter)
        {
            _summary.InputsAlreadyIngested++;
        }
        FlushRejects(state, state.LastTime ?? ModificationTime(input));
        if (lines < state.ResumeAfter)
        {
            Append(_entries.SourceGap(input.Name, lines,
                $"source shrank: it now has {lines} lines but {state.ResumeAfter} were read from it before; lines written after line {lines} may have been missed",
                (state.LastTime ?? ModificationTime(input)).UnixNanos, _observedAt));
            _summary.Gaps++;
        }
        Commit(state, lines);
    }

    // A rejected line has no time of its own: it takes that of the record before it in its input, else the one after.
    private void FlushRejects(InputState input, Timestamp nextTime)
    {
        foreach (var reject in input.Rejects)
        {
            var sha = SHA256.HashData(Encoding.UTF8.GetBytes(reject.Raw));
            Append(_entries.Rejected(reject.Format ?? "(unrecognised)", reject.File, reject.Line, reject.Reason, sha, input.LastTime ?? nextTime, _observedAt));
            _summary.Gaps++;
        }
        input.Rejects.Clear();
    }

    private void Commit(InputState input, long line)
    {
        _writer.SetPosition(new SourcePosition(input.Key, input.Fingerprint, line, 0, DateTimeOffset.UtcNow));
        // The store writes this batch while the next one is built; the final commit waits.
        _writer.Commit(wait: false);
        _sinceCommit.Restart();
        StampObserved();
    }

    private long Append(Ledger.Entries.EntryRow row)
    {
        var index = _writer.Append(row);
        _summary.Appended++;
        _options.OnAppended?.Invoke(_summary.Appended);
        return index;
    }

    private void Progress()
    {
        if (_options.OnProgress is { } progress && _clock.Elapsed - _lastProgress >= TimeSpan.FromMilliseconds(500))
        {
            _lastProgress = _clock.Elapsed;
            _summary.Elapsed = _clock.Elapsed;
            _summary.LogSize = _writer.Size;
            progress(_summary);
        }
    }

    private void StampObserved() => _observedAt = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()) * 1_000_000;

    private static Timestamp ModificationTime(Input input) =>
        Timestamp.FromDateTimeOffset(input.IsStdin ? DateTimeOffset.UtcNow : new DateTimeOffset(File.GetLastWriteTimeUtc(input.Name), TimeSpan.Zero), 3);

    private sealed record Item(NormalizedRecord? Record, FlowAttribution? Attribution, RejectedRecord? Reject, Input? Input, long Lines);

    private sealed class InputState(Input input, string key, string fingerprint)
    {
        public Input Input { get; } = input;
        public string Key { get; } = key;
        public string Fingerprint { get; set; } = fingerprint;
        public long ResumeAfter { get; set; }
        public long Line { get; set; }
        public Timestamp? LastTime { get; set; }
        public List<RejectedRecord> Rejects { get; } = [];
    }
}
