using PolicyTrail.Identity.History;
using PolicyTrail.Ingest.Entries;
using PolicyTrail.Ledger.Writing;

namespace PolicyTrail.Ingest.Changes;

/// <summary>
/// Appends cluster changes and watch gaps to the ledger as they arrive: committed (durable) every
/// <paramref name="commitEntries"/> entries or once a second (<see cref="Tick"/>), with a checkpoint when the writer's
/// policy says one is due and at <see cref="Complete"/>. Safe to call from several threads.
/// </summary>
public sealed class ChangeRecorder(LedgerWriter writer, TimeProvider? clock = null, int commitEntries = 10_000, string? positionKey = null) : IClusterChangeSink
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly EntryBuilder _entries = new(writer.Fragments);
    private readonly Dictionary<string, long> _byKind = new(StringComparer.Ordinal);
    private long _lastCommit = (clock ?? TimeProvider.System).GetTimestamp();
    private string? _sourceKey;
    private string _sourceFingerprint = "";
    private long _sourceLine;

    /// <summary>Changes recorded.</summary>
    public long Changes { get; private set; }

    /// <summary>Gaps recorded.</summary>
    public long Gaps { get; private set; }

    /// <summary>Changes recorded, by object kind.</summary>
    public IReadOnlyDictionary<string, long> ByKind
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<string, long>(_byKind, StringComparer.Ordinal);
            }
        }
    }

    /// <inheritdoc />
    public void Record(ClusterChange change)
    {
        lock (_lock)
        {
            writer.Append(_entries.Change(change, Now()));
            Changes++;
            _byKind[change.Kind] = _byKind.GetValueOrDefault(change.Kind) + 1;
            CommitIfDue();
        }
    }

    /// <inheritdoc />
    public void Gap(long fromUnixNanos, long toUnixNanos, string reason)
    {
        lock (_lock)
        {
            writer.Append(_entries.ChangeGap(fromUnixNanos, toUnixNanos, reason, "watch", Now()));
            Gaps++;
            CommitIfDue();
        }
    }

    /// <summary>
    /// Records the changes of a file: from now on each commit stores, with its entries, the last line of
    /// <paramref name="key"/> recorded (see <see cref="Record(ClusterChange, long)"/>), so that a later run resumes after it.
    /// </summary>
    public void ReadingFrom(string key, string fingerprint)
    {
        lock (_lock)
        {
            _sourceKey = key;
            _sourceFingerprint = fingerprint;
        }
    }

    /// <summary>Records one change read from line <paramref name="line"/> of the file given to <see cref="ReadingFrom"/>.</summary>
    public void Record(ClusterChange change, long line)
    {
        lock (_lock)
        {
            writer.Append(_entries.Change(change, Now()));
            Changes++;
            _byKind[change.Kind] = _byKind.GetValueOrDefault(change.Kind) + 1;
            _sourceLine = line;
            CommitIfDue();
        }
    }

    /// <summary>Records one change read from line <paramref name="line"/>, whose entry body is already written (<see cref="Entries.ChangeBodyWriter"/>).</summary>
    internal void Record(ClusterChange change, byte[] body, long line)
    {
        lock (_lock)
        {
            writer.Append(_entries.Change(change, body, Now()));
            Changes++;
            _byKind[change.Kind] = _byKind.GetValueOrDefault(change.Kind) + 1;
            _sourceLine = line;
            CommitIfDue();
        }
    }

    /// <summary>Records a gap read from line <paramref name="line"/> of the file given to <see cref="ReadingFrom"/>.</summary>
    public void Gap(long fromUnixNanos, long toUnixNanos, string reason, long line)
    {
        lock (_lock)
        {
            writer.Append(_entries.ChangeGap(fromUnixNanos, toUnixNanos, reason, "watch", Now()));
            Gaps++;
            _sourceLine = line;
            CommitIfDue();
        }
    }

    /// <summary>Records a line that could not be read as a gap entry naming it, why, and its SHA-256 (timed as the last change before it).</summary>
    public void Rejected(string file, long line, string reason, byte[] sha256, long time)
    {
        lock (_lock)
        {
            writer.Append(_entries.Rejected("watch", file, line, reason, sha256, new Core.Flows.Timestamp(time, 9), Now()));
            Gaps++;
            _sourceLine = line;
            CommitIfDue();
        }
    }

    /// <summary>Commits what is pending when the last commit is a second old (call it from a timer).</summary>
    public void Tick()
    {
        lock (_lock)
        {
            if (writer.Pending > 0 && _clock.GetElapsedTime(_lastCommit) >= TimeSpan.FromSeconds(1))
            {
                Commit(wait: false);
            }
        }
    }

    /// <summary>Commits everything pending with a signed checkpoint and waits until it is durable.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            SetPositions();
            writer.Commit(checkpoint: true);
            _lastCommit = _clock.GetTimestamp();
        }
    }

    private void CommitIfDue()
    {
        if (writer.Pending >= commitEntries)
        {
            Commit(wait: false);
        }
    }

    /// <summary>
    /// When a recorder with the same position key last committed in an earlier run (the time up to which that
    /// run was recording), or null.
    /// </summary>
    public DateTimeOffset? LastRecorded => positionKey is null ? null : writer.Position(positionKey)?.Updated;

    private void Commit(bool wait)
    {
        SetPositions();
        writer.Commit(checkpoint: writer.CheckpointDue, wait: wait);
        _lastCommit = _clock.GetTimestamp();
    }

    // Committed with the entries: the next run knows until when this one was recording, and which lines it recorded.
    private void SetPositions()
    {
        if (positionKey is not null)
        {
            writer.SetPosition(new Ledger.Store.SourcePosition(positionKey, "", Changes + Gaps, 0, _clock.GetUtcNow()));
        }
        if (_sourceKey is not null)
        {
            writer.SetPosition(new Ledger.Store.SourcePosition(_sourceKey, _sourceFingerprint, _sourceLine, 0, _clock.GetUtcNow()));
        }
    }

    private long Now() => (_clock.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * 100;
}
