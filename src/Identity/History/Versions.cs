using PolicyTrail.Core.Cluster;

namespace PolicyTrail.Identity.History;

/// <summary>
/// The workload a person names for a pod: a Deployment, CronJob, StatefulSet, DaemonSet, Job, ReplicaSet, another
/// controller, or the pod itself ("Pod") when it has no owner.
/// </summary>
/// <param name="Kind">Deployment, CronJob, StatefulSet, DaemonSet, Job, ReplicaSet, Pod, or the owner's kind.</param>
/// <param name="Name">The workload's name.</param>
/// <param name="Inferred">
/// True when the history had no ReplicaSet / Job object to read the owner from and the name follows from the naming
/// conventions instead (ReplicaSet "&lt;deployment&gt;-&lt;pod-template-hash&gt;", Job "&lt;cronjob&gt;-&lt;digits&gt;").
/// </param>
/// <param name="Via">The pod's direct owner ("ReplicaSet/web-5c9d8"), when the workload is one level up; null otherwise.</param>
public sealed record WorkloadRef(string Kind, string Name, bool Inferred = false, string? Via = null);

/// <summary>One version of a pod: how it was (labels, node, owner, addresses) from <see cref="ValidFrom"/> to <see cref="ValidTo"/>.</summary>
public sealed class PodVersion
{
    internal PodVersion(PodInfo info, WorkloadRef workload, long validFrom, long? changedNotBefore, string? resourceVersion)
    {
        Info = info;
        Workload = workload;
        ValidFrom = validFrom;
        ChangedNotBefore = changedNotBefore;
        ResourceVersion = resourceVersion;
    }

    /// <summary>The pod as the policy engine takes it (its IPs are those of this version's status).</summary>
    public PodInfo Info { get; }
    /// <summary>The workload the pod belongs to.</summary>
    public WorkloadRef Workload { get; }
    /// <summary>From when this version is in force, Unix ns.</summary>
    public long ValidFrom { get; }
    /// <summary>Until when (exclusive), Unix ns; <see cref="long.MaxValue"/> while in force at the end of the history.</summary>
    public long ValidTo { get; internal set; } = long.MaxValue;
    /// <summary>When this version replaced the previous one at an uncertain time: the change lies in (this, <see cref="ValidFrom"/>].</summary>
    public long? ChangedNotBefore { get; }
    /// <summary>metadata.resourceVersion of this version, when known.</summary>
    public string? ResourceVersion { get; }

    /// <summary>metadata.namespace.</summary>
    public string Namespace => Info.Namespace;
    /// <summary>metadata.name.</summary>
    public string Name => Info.Name;
    /// <summary>metadata.uid.</summary>
    public string? Uid => Info.Uid;
    /// <summary>spec.nodeName.</summary>
    public string? Node => Info.NodeName;
    /// <summary>spec.serviceAccountName.</summary>
    public string? ServiceAccount => Info.ServiceAccount;
    /// <summary>The labels of this version.</summary>
    public IReadOnlyDictionary<string, string> Labels => Info.Labels;

    /// <inheritdoc />
    public override string ToString() => $"{Namespace}/{Name}";
}

/// <summary>
/// One version of a NetworkPolicy, AdminNetworkPolicy or BaselineAdminNetworkPolicy and when it was in force:
/// what attribution names ("namespace/name" at resourceVersion) and an auditor asks about (who changed it, when).
/// </summary>
public sealed record PolicyVersion
{
    /// <summary>One of the three policy kinds of <see cref="ObjectKinds"/>.</summary>
    public required string Kind { get; init; }
    /// <summary>metadata.namespace; null for the cluster-scoped admin kinds.</summary>
    public string? Namespace { get; init; }
    /// <summary>metadata.name.</summary>
    public required string Name { get; init; }
    /// <summary>metadata.uid, when known.</summary>
    public string? Uid { get; init; }
    /// <summary>metadata.resourceVersion, when known.</summary>
    public string? ResourceVersion { get; init; }
    /// <summary>Who made the change that produced this version (audit log user), when known.</summary>
    public string? ChangedBy { get; init; }
    /// <summary>Where the change was learned (<see cref="ClusterChange.Origin"/>).</summary>
    public string? Origin { get; init; }
    /// <summary>From when this version is in force, Unix ns.</summary>
    public required long ValidFrom { get; init; }
    /// <summary>When the start is uncertain: the change lies in (this, <see cref="ValidFrom"/>].</summary>
    public long? ValidFromNotBefore { get; init; }
    /// <summary>Until when (exclusive), Unix ns; <see cref="long.MaxValue"/> while in force at the end of the history.</summary>
    public long ValidTo { get; init; } = long.MaxValue;
    /// <summary>When the end is uncertain: the next change or the deletion lies in (this, <see cref="ValidTo"/>].</summary>
    public long? ValidToNotBefore { get; init; }
    /// <summary>The policy, for <see cref="ObjectKinds.NetworkPolicy"/>.</summary>
    public NetworkPolicyInfo? NetworkPolicy { get; init; }
    /// <summary>The policy, for the two admin kinds.</summary>
    public AdminNetworkPolicyInfo? AdminPolicy { get; init; }

    /// <summary>"namespace/name" or "name".</summary>
    public string Key => Namespace is null ? Name : $"{Namespace}/{Name}";

    /// <summary>From when the version counts as in force for snapshots: the possible start of an object's first version, else <see cref="ValidFrom"/>.</summary>
    internal long InForceFrom { get; init; }
}

/// <summary>
/// A stretch of time [<see cref="Start"/>, <see cref="End"/>) over which <see cref="ClusterTimeline.SnapshotAt"/> gives
/// the same answer, so one compiled policy engine serves every flow in it.
/// </summary>
/// <param name="Id">The epoch's number, counting from 0 at the start of time; equal ids mean equal snapshots.</param>
/// <param name="Start">First instant (Unix ns); <see cref="long.MinValue"/> for the epoch before the history.</param>
/// <param name="End">First instant after (Unix ns); <see cref="long.MaxValue"/> for the last epoch.</param>
public readonly record struct TimelineEpoch(int Id, long Start, long End);
