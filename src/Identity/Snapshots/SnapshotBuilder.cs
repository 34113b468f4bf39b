using PolicyTrail.Core.Cluster;

namespace PolicyTrail.Identity.Snapshots;

/// <summary>Accumulates objects across files; a later object with the same kind and name replaces the earlier one.</summary>
internal sealed class SnapshotBuilder
{
    private readonly Dictionary<string, (string Kind, object Value)> _objects = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly Dictionary<string, int> _skipped = new(StringComparer.Ordinal);
    private int _duplicates;

    public List<string> Problems { get; } = [];

    /// <summary>When set, every followed object is also kept as read (for the identity history).</summary>
    public List<KubeObject>? Objects { get; init; }

    public void Add(string kind, string? key, object value)
    {
        var id = $"{kind}/{key}";
        if (!_objects.ContainsKey(id))
        {
            _order.Add(id);
        }
        else
        {
            _duplicates++;
        }
        _objects[id] = (kind, value);
    }

    public void Skip(string kind) => _skipped[kind] = _skipped.GetValueOrDefault(kind) + 1;

    public SnapshotReadResult Build(int files)
    {
        var values = _order.Select(id => _objects[id].Value).ToList();
        return new SnapshotReadResult
        {
            Snapshot = new ClusterSnapshot
            {
                Namespaces = values.OfType<NamespaceInfo>().ToList(),
                Pods = values.OfType<PodInfo>().ToList(),
                Services = values.OfType<ServiceInfo>().ToList(),
                EndpointSlices = values.OfType<EndpointSliceInfo>().ToList(),
                Nodes = values.OfType<NodeInfo>().ToList(),
                NetworkPolicies = values.OfType<NetworkPolicyInfo>().ToList(),
                AdminNetworkPolicies = values.OfType<AdminNetworkPolicyInfo>().Where(p => p.Kind == AdminPolicyKind.AdminNetworkPolicy).ToList(),
                BaselineAdminNetworkPolicy = values.OfType<AdminNetworkPolicyInfo>().FirstOrDefault(p => p.Kind == AdminPolicyKind.BaselineAdminNetworkPolicy),
            },
            Files = files,
            SkippedKinds = new Dictionary<string, int>(_skipped),
            Duplicates = _duplicates,
            Objects = Objects ?? [],
        };
    }
}
