namespace PolicyTrail.Sources.KubernetesAudit;

/// <summary>
/// Which API group and resource pairs are policy objects (or namespaces) whose changes PolicyTrail records.
/// Resource names are the lower-case plurals the API server puts in objectRef.resource.
/// </summary>
internal static class PolicyResources
{
    private static readonly Dictionary<string, HashSet<string>> ByGroup = new(StringComparer.Ordinal)
    {
        // Core group: namespace labels are what namespaceSelectors match, so a label change is a policy change.
        [""] = ["namespaces"],
        ["networking.k8s.io"] = ["networkpolicies"],
        // NetworkPolicy was served as extensions/v1beta1 until Kubernetes 1.16.
        ["extensions"] = ["networkpolicies"],
        // sig-network-policy-api: AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1), ClusterNetworkPolicy (v1alpha2).
        ["policy.networking.k8s.io"] = ["adminnetworkpolicies", "baselineadminnetworkpolicies", "clusternetworkpolicies"],
        // Calico: tiers order the policies, network sets are what their selectors match.
        ["projectcalico.org"] = CalicoResources(),
        ["crd.projectcalico.org"] = CalicoResources(),
        // Cilium: CIDR groups are referenced by fromCIDRSet/toCIDRSet.
        ["cilium.io"] = ["ciliumnetworkpolicies", "ciliumclusterwidenetworkpolicies", "ciliumcidrgroups"],
    };

    /// <summary>Whether changes to this group/resource are recorded.</summary>
    public static bool IsPolicy(string group, string resource) =>
        ByGroup.TryGetValue(group, out var resources) && resources.Contains(resource);

    private static HashSet<string> CalicoResources() =>
    [
        "networkpolicies", "globalnetworkpolicies",
        "stagednetworkpolicies", "stagedglobalnetworkpolicies", "stagedkubernetesnetworkpolicies",
        "tiers", "networksets", "globalnetworksets",
    ];
}
