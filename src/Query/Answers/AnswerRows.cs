namespace PolicyTrail.Query.Answers;

/// <summary>
/// Who connected (access): a pod with its namespace, workload (the pod itself when it has no owner) and address, or an
/// address outside the cluster (namespace, workload and pod null).
/// </summary>
public sealed record SourceIdentity(string? Namespace, string? Workload, string? Pod, string? Ip);

/// <summary>
/// One side of a workload pair (talkers, denied): a namespace and workload (a pod without an owner is its own workload),
/// or, for an address outside the cluster, only <see cref="Ip"/>.
/// </summary>
public sealed record WorkloadIdentity(string? Namespace, string? Workload, string? Ip);

/// <summary>
/// One source of traffic to the asked-for destination: how many attempts (an aggregated entry counts its flows), how many
/// PolicyTrail allowed and denied (the rest were undecided), when first and last seen (Unix ns), and the policies that
/// decided them ("namespace/name"; admin policies as "AdminNetworkPolicy/name").
/// </summary>
public sealed record AccessRow(
    SourceIdentity Source, long Attempts, long Allowed, long Denied, long FirstSeen, long LastSeen, IReadOnlyList<string> Policies);

/// <summary>One workload pair on one destination port and protocol: flows (attempts), allowed and denied.</summary>
public sealed record TalkerRow(
    WorkloadIdentity Source, WorkloadIdentity Destination, int? Port, string? Protocol, long Flows, long Allowed, long Denied);

/// <summary>
/// Denied attempts from one workload to another on one port and protocol, with when first and last seen (Unix ns) and the
/// policies that isolated the denying side.
/// </summary>
public sealed record DeniedRow(
    WorkloadIdentity Source, WorkloadIdentity Destination, int? Port, string? Protocol, long Attempts, long FirstSeen, long LastSeen,
    IReadOnlyList<string> Policies);

/// <summary>
/// A pod at the coverage instant with its isolation: a direction no NetworkPolicy isolates is default-allow. The policies
/// lists name the isolating NetworkPolicies ("namespace/name"); <see cref="HostNetwork"/> pods are outside NetworkPolicy.
/// </summary>
public sealed record PodCoverage(
    string Namespace, string Pod, string? Workload, bool IngressIsolated, bool EgressIsolated,
    IReadOnlyList<string> IngressPolicies, IReadOnlyList<string> EgressPolicies, bool HostNetwork);

/// <summary>
/// Coverage at one instant (Unix ns): the pods not isolated in at least one direction, the namespaces no NetworkPolicy
/// lives in, and how many pods were looked at.
/// </summary>
public sealed record CoverageReport(long At, int PodsConsidered, IReadOnlyList<PodCoverage> Pods, IReadOnlyList<string> NamespacesWithoutPolicy);
