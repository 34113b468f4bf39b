namespace PolicyTrail.Identity.Watch;

/// <summary>Settings of a <see cref="ClusterWatcher"/>; the defaults suit a real cluster, tests shorten the delays.</summary>
public sealed record ClusterWatcherOptions
{
    /// <summary>The clock that stamps every change and gap (receive time), and that backoff delays wait on.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Receives one line per problem worth a human's attention (a resource skipped, a watch failing); null: none.</summary>
    public Action<string>? Warning { get; init; }

    /// <summary>The first delay before reconnecting after a failure; doubled per failure in a row, with jitter.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The cap on the reconnect delay.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// After a reconnect, events that arrive within this long of the first one (and before the first BOOKMARK) are
    /// taken as the backlog of the outage: stamped NotBefore = when the watch stopped.
    /// </summary>
    public TimeSpan CatchUpWindow { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The state already recorded (the latest change of each object that was not deleted), e.g. from the store a
    /// previous run recorded into: the start-up list is then reconciled against it, so that only what differs is
    /// recorded (added, modified, deleted within (<see cref="KnownUntil"/>, list time]). Null: nothing is known.
    /// </summary>
    public IReadOnlyList<History.ClusterChange>? Known { get; init; }

    /// <summary>Until when <see cref="Known"/> was observed (Unix ns): the lower bound of what changed since.</summary>
    public long? KnownUntil { get; init; }
}
