namespace PolicyTrail.Identity.History;

/// <summary>What happened to an object.</summary>
public enum ChangeType
{
    /// <summary>The object appeared (created, or first seen).</summary>
    Added,
    /// <summary>The object changed.</summary>
    Modified,
    /// <summary>The object was deleted (or found gone).</summary>
    Deleted,
}

/// <summary>The kinds the identity history follows, spelled as the Kubernetes API spells them.</summary>
public static class ObjectKinds
{
    /// <summary>v1 Pod.</summary>
    public const string Pod = "Pod";
    /// <summary>v1 Namespace.</summary>
    public const string Namespace = "Namespace";
    /// <summary>v1 Service.</summary>
    public const string Service = "Service";
    /// <summary>discovery.k8s.io/v1 EndpointSlice.</summary>
    public const string EndpointSlice = "EndpointSlice";
    /// <summary>v1 Node.</summary>
    public const string Node = "Node";
    /// <summary>networking.k8s.io/v1 NetworkPolicy.</summary>
    public const string NetworkPolicy = "NetworkPolicy";
    /// <summary>policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy.</summary>
    public const string AdminNetworkPolicy = "AdminNetworkPolicy";
    /// <summary>policy.networking.k8s.io/v1alpha1 BaselineAdminNetworkPolicy.</summary>
    public const string BaselineAdminNetworkPolicy = "BaselineAdminNetworkPolicy";
    /// <summary>apps/v1 ReplicaSet (only its owner matters: it names the Deployment).</summary>
    public const string ReplicaSet = "ReplicaSet";
    /// <summary>batch/v1 Job (only its owner matters: it names the CronJob).</summary>
    public const string Job = "Job";
}

/// <summary>
/// One change to one cluster object, from wherever it was learned: a snapshot, a watch event, an API audit log.
/// The identity history is built from these, and the ledger records each one.
/// </summary>
public sealed record ClusterChange
{
    /// <summary>When the change took effect, Unix nanoseconds UTC (watch: when received; audit log: stageTimestamp; snapshot: the snapshot's time).</summary>
    public required long Time { get; init; }
    /// <summary>
    /// When the exact time is not known (an object found gone by a later snapshot or a relist): the change happened
    /// after this time (Unix ns) and at or before <see cref="Time"/>. Null when <see cref="Time"/> is exact.
    /// </summary>
    public long? NotBefore { get; init; }
    /// <summary>Added, modified or deleted.</summary>
    public required ChangeType Type { get; init; }
    /// <summary>One of <see cref="ObjectKinds"/>.</summary>
    public required string Kind { get; init; }
    /// <summary>metadata.namespace; null for cluster-scoped kinds.</summary>
    public string? Namespace { get; init; }
    /// <summary>metadata.name.</summary>
    public required string Name { get; init; }
    /// <summary>metadata.uid, when known.</summary>
    public string? Uid { get; init; }
    /// <summary>metadata.resourceVersion, when known.</summary>
    public string? ResourceVersion { get; init; }
    /// <summary>The object as JSON (for a deletion, its last known state); null when the source carried no object.</summary>
    public string? ObjectJson { get; init; }
    /// <summary>Who made the change (audit log user.username), when known.</summary>
    public string? User { get; init; }
    /// <summary>Where it was learned: "watch", "snapshot PATH", "audit-log PATH:LINE".</summary>
    public required string Origin { get; init; }

    /// <summary>"namespace/name" or "name".</summary>
    public string Key => Namespace is null ? Name : $"{Namespace}/{Name}";
}

/// <summary>Receives cluster changes and the intervals in which nothing was observed.</summary>
public interface IClusterChangeSink
{
    /// <summary>Records one change.</summary>
    void Record(ClusterChange change);

    /// <summary>Records that changes between two times (Unix ns) may have been missed, and why.</summary>
    void Gap(long fromUnixNanos, long toUnixNanos, string reason);
}
