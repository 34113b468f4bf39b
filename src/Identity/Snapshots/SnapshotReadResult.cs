using PolicyTrail.Core.Cluster;

namespace PolicyTrail.Identity.Snapshots;

/// <summary>What reading cluster input produced: the snapshot and what was skipped along the way.</summary>
public sealed record SnapshotReadResult
{
    /// <summary>The cluster state read.</summary>
    public required ClusterSnapshot Snapshot { get; init; }
    /// <summary>How many files were read.</summary>
    public int Files { get; init; }
    /// <summary>Objects of kinds PolicyTrail does not use, counted by kind.</summary>
    public IReadOnlyDictionary<string, int> SkippedKinds { get; init; } = new Dictionary<string, int>();
    /// <summary>Objects that appeared more than once (same kind, namespace and name); the last one read is kept.</summary>
    public int Duplicates { get; init; }
    /// <summary>Messages worth a person's attention that did not stop the read.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
    /// <summary>
    /// Every object of a kind the identity history follows (ReplicaSets and Jobs included), with its JSON, in the order
    /// read; filled only by <see cref="KubectlOutputReader.ReadObjects"/>, empty otherwise.
    /// </summary>
    public IReadOnlyList<KubeObject> Objects { get; init; } = [];
}
