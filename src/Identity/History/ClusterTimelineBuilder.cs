using System.Security.Cryptography;
using System.Text;
using PolicyTrail.Identity.Snapshots;

namespace PolicyTrail.Identity.History;

/// <summary>
/// Collects <see cref="ClusterChange"/>s from any source, in any order, and builds an immutable
/// <see cref="ClusterTimeline"/> from them (changes are applied in time order; equal times keep the order added).
/// It also turns a snapshot read from kubectl output into the changes since the previous observation
/// (<see cref="DiffSnapshot"/>). Not thread-safe: one writer builds, then many readers share the timeline.
/// </summary>
public sealed class ClusterTimelineBuilder : IClusterChangeSink
{
    private readonly List<ClusterChange> _changes = [];
    private readonly Dictionary<(string Kind, string Key), Seen> _latest = [];
    private readonly List<(long From, long To, string Reason)> _gaps = [];
    private long? _lastObserved;

    /// <summary>How many changes have been added.</summary>
    public int Count => _changes.Count;

    /// <summary>The latest instant (Unix ns) at which the whole followed state was known (<see cref="MarkObserved"/>), if any.</summary>
    public long? LastObserved => _lastObserved;

    /// <summary>Adds one change.</summary>
    public void Add(ClusterChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        _changes.Add(change);
        var key = (change.Kind, change.Key);
        var found = _latest.TryGetValue(key, out var seen);
        // The deletion of an earlier object of the same name must not hide its successor.
        var ofPredecessor = found && change.Type == ChangeType.Deleted && !seen!.Deleted && change.Uid is not null && seen.Uid is not null && change.Uid != seen.Uid;
        if (!ofPredecessor && (!found || seen!.Time <= change.Time))
        {
            _latest[key] = new Seen(change.Time, change.Type == ChangeType.Deleted, change.Uid, change.ResourceVersion,
                change.ObjectJson is null ? seen?.Hash : Hash(change.ObjectJson));
        }
    }

    /// <summary>Adds every change.</summary>
    public void AddRange(IEnumerable<ClusterChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        foreach (var change in changes)
        {
            Add(change);
        }
    }

    /// <inheritdoc />
    void IClusterChangeSink.Record(ClusterChange change) => Add(change);

    /// <summary>Records that changes between two instants may have been missed; the timeline lists these gaps.</summary>
    public void Gap(long fromUnixNanos, long toUnixNanos, string reason) => _gaps.Add((fromUnixNanos, toUnixNanos, reason));

    /// <summary>
    /// Records that the whole followed state was known to be current at an instant (a snapshot was taken, or a watch
    /// was live with no gap): what changes later in a snapshot changed after it.
    /// </summary>
    public void MarkObserved(long unixNanos)
    {
        if (_lastObserved is null || unixNanos > _lastObserved)
        {
            _lastObserved = unixNanos;
        }
    }

    /// <summary>
    /// The changes that take the history from its latest known state to a snapshot taken at <paramref name="at"/>
    /// (Unix ns). An object new since the previous observation is Added at its creationTimestamp when that lies after
    /// the previous observation, else at <paramref name="at"/> with NotBefore = the previous observation; a changed one
    /// (another resourceVersion, or other JSON when there is none) is Modified at <paramref name="at"/> with NotBefore
    /// = its previous observation; one that is gone is Deleted likewise, carrying its last known state. The previous
    /// observation of an object is the later of <see cref="LastObserved"/> and its latest change. Objects of kinds that
    /// are not in <paramref name="kinds"/> (default: the kinds that occur in <paramref name="objects"/>) are not taken
    /// as gone. Nothing is added; <see cref="ApplySnapshot"/> does both.
    /// </summary>
    public IReadOnlyList<ClusterChange> DiffSnapshot(long at, IReadOnlyList<KubeObject> objects, string origin, IReadOnlyCollection<string>? kinds = null)
    {
        ArgumentNullException.ThrowIfNull(objects);
        var covered = kinds is null ? objects.Select(o => o.Kind).ToHashSet(StringComparer.Ordinal) : kinds.ToHashSet(StringComparer.Ordinal);
        var present = new HashSet<(string, string)>();
        var changes = new List<ClusterChange>();
        foreach (var o in objects)
        {
            var key = (o.Kind, o.Key);
            if (!present.Add(key))
            {
                continue;
            }
            _latest.TryGetValue(key, out var seen);
            long? previous = seen is null ? _lastObserved : Later(_lastObserved, seen.Time);
            ClusterChange Change(ChangeType type, long time, long? notBefore) => new()
            {
                Time = time,
                NotBefore = notBefore,
                Type = type,
                Kind = o.Kind,
                Namespace = o.Namespace,
                Name = o.Name,
                Uid = o.Uid,
                ResourceVersion = o.ResourceVersion,
                ObjectJson = o.Json,
                Origin = origin,
            };
            var created = o.CreationTime is { } c ? UnixNanos(c) : (long?)null;
            var addedAt = created is { } t && t <= at && (previous is null || t > previous) ? t : (long?)null;
            if (seen is not null && !seen.Deleted && seen.Uid is not null && o.Uid is not null && seen.Uid != o.Uid)
            {
                // Same name, another object: the old one went (after the previous observation) before this one was created.
                changes.Add(Gone(o.Kind, o.Namespace, o.Name, seen, addedAt ?? at, previous, origin));
                seen = null;
            }
            if (seen is null || seen.Deleted)
            {
                // Never observed before and no creation time: it existed at some unknown time before the snapshot.
                changes.Add(addedAt is { } exact ? Change(ChangeType.Added, exact, null) : Change(ChangeType.Added, at, previous ?? long.MinValue));
            }
            else if (seen.ResourceVersion is not null && o.ResourceVersion is not null
                ? seen.ResourceVersion != o.ResourceVersion
                : seen.Hash != Hash(o.Json))
            {
                changes.Add(Change(ChangeType.Modified, at, previous));
            }
        }
        foreach (var ((kind, key), seen) in _latest)
        {
            if (!seen.Deleted && covered.Contains(kind) && !present.Contains((kind, key)))
            {
                var slash = key.IndexOf('/', StringComparison.Ordinal);
                changes.Add(Gone(kind, slash < 0 ? null : key[..slash], slash < 0 ? key : key[(slash + 1)..], seen, at,
                    Later(_lastObserved, seen.Time), origin));
            }
        }
        // Creation times can precede the previous snapshot's other changes; the builder sorts, callers may want order too.
        return changes.OrderBy(c => c.Time).ToList();
    }

    /// <summary><see cref="DiffSnapshot"/>, then adds the changes and marks the snapshot's instant observed; returns the changes (for the ledger).</summary>
    public IReadOnlyList<ClusterChange> ApplySnapshot(long at, IReadOnlyList<KubeObject> objects, string origin, IReadOnlyCollection<string>? kinds = null)
    {
        var changes = DiffSnapshot(at, objects, origin, kinds);
        AddRange(changes);
        MarkObserved(at);
        return changes;
    }

    /// <summary>Builds the timeline from every change added so far; the builder can go on collecting and build again.</summary>
    public ClusterTimeline Build() =>
        TimelineAssembler.Assemble(_changes.OrderBy(c => c.Time).ToList(), _gaps.ToList());

    private static ClusterChange Gone(string kind, string? ns, string name, Seen seen, long at, long? previous, string origin) => new()
    {
        Time = at,
        NotBefore = previous,
        Type = ChangeType.Deleted,
        Kind = kind,
        Namespace = ns,
        Name = name,
        Uid = seen.Uid,
        ResourceVersion = seen.ResourceVersion,
        Origin = origin,
    };

    private static long? Later(long? a, long b) => a is { } x && x > b ? x : b;

    internal static long UnixNanos(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    private static ulong Hash(string json)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(json), hash);
        return BitConverter.ToUInt64(hash);
    }

    /// <summary>What the builder last learned of an object; enough to diff a snapshot against, without keeping its JSON.</summary>
    private sealed record Seen(long Time, bool Deleted, string? Uid, string? ResourceVersion, ulong? Hash);
}
