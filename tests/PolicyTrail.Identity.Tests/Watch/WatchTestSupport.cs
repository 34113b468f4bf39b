using PolicyTrail.Identity.History;

namespace PolicyTrail.Identity.Tests.Watch;

/// <summary>A gap as the sink received it.</summary>
public sealed record RecordedGap(long From, long To, string Reason);

/// <summary>Collects what a watcher reports, and lets a test wait for it.</summary>
public sealed class RecordingSink : IClusterChangeSink
{
    private readonly Lock _lock = new();
    private readonly List<ClusterChange> _changes = [];
    private readonly List<RecordedGap> _gaps = [];

    public IReadOnlyList<ClusterChange> Changes
    {
        get
        {
            lock (_lock)
            {
                return _changes.ToList();
            }
        }
    }

    public IReadOnlyList<RecordedGap> Gaps
    {
        get
        {
            lock (_lock)
            {
                return _gaps.ToList();
            }
        }
    }

    /// <summary>The changes of one kind, in order.</summary>
    public IReadOnlyList<ClusterChange> Of(string kind) => Changes.Where(c => c.Kind == kind).ToList();

    public void Record(ClusterChange change)
    {
        lock (_lock)
        {
            _changes.Add(change);
        }
    }

    public void Gap(long fromUnixNanos, long toUnixNanos, string reason)
    {
        lock (_lock)
        {
            _gaps.Add(new RecordedGap(fromUnixNanos, toUnixNanos, reason));
        }
    }

    /// <summary>Waits (polling briefly) until a condition on what was received holds.</summary>
    public async Task WaitForAsync(Func<RecordingSink, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition(this))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}; got {Changes.Count} changes: {string.Join(", ", Changes.Select(c => $"{c.Type} {c.Kind} {c.Key}"))}; gaps: {string.Join(", ", Gaps.Select(g => g.Reason))}");
            }
            await Task.Delay(5);
        }
    }
}

/// <summary>
/// A clock that moves one millisecond forward on every reading, from a fixed start: times are deterministic in their
/// order and relations, timers still run in real time (so backoff delays set in the options stay short and real).
/// </summary>
public sealed class SteppingClock : TimeProvider
{
    public static readonly DateTimeOffset Start = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
    private long _readings;

    public override DateTimeOffset GetUtcNow() => Start.AddMilliseconds(Interlocked.Increment(ref _readings));

    /// <summary>Unix ns of the start.</summary>
    public static long StartNanos => Nanos(Start);

    /// <summary>Unix ns of a time.</summary>
    public static long Nanos(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
}
