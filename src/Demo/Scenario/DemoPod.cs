namespace PolicyTrail.Demo.Scenario;

/// <summary>What owns a demo workload's pods.</summary>
internal enum OwnerKind
{
    /// <summary>A bare pod, its own workload.</summary>
    None = 0,
    /// <summary>A Deployment, through a ReplicaSet.</summary>
    Deployment,
    /// <summary>A StatefulSet (pods named name-0, name-1...).</summary>
    StatefulSet,
    /// <summary>A DaemonSet (one pod per node).</summary>
    DaemonSet,
}

/// <summary>A named container port.</summary>
internal sealed record ContainerPort(string Name, int Port, string Protocol = "TCP");

/// <summary>A workload of the demo cluster: where its replicas run and what they listen on.</summary>
internal sealed record DemoWorkload(string Namespace, string Name, OwnerKind Kind, string[] Nodes, ContainerPort[] Ports, string Image)
{
    /// <summary>The labels every pod of the workload carries (app plus the well-known ones).</summary>
    public Dictionary<string, string> Labels { get; init; } = new(StringComparer.Ordinal) { ["app"] = Name };

    /// <summary>The ReplicaSet name hash (Deployments only).</summary>
    public string TemplateHash => Naming.Suffix($"{Namespace}/{Name}/rs", 10);
}

/// <summary>One pod of the demo cluster at one snapshot.</summary>
internal sealed record DemoPod(DemoWorkload Workload, string Name, string IP, string Node, DateTimeOffset Created)
{
    /// <summary>The pod's namespace.</summary>
    public string Namespace => Workload.Namespace;

    /// <summary>namespace/name.</summary>
    public string Key => $"{Namespace}/{Name}";

    /// <summary>The pod's UID (stable for the pod's name).</summary>
    public string Uid => Naming.Uid($"pod/{Key}/{Created:O}");

    /// <summary>The pod's labels.</summary>
    public IReadOnlyDictionary<string, string> Labels
    {
        get
        {
            var labels = new Dictionary<string, string>(Workload.Labels, StringComparer.Ordinal);
            switch (Workload.Kind)
            {
                case OwnerKind.Deployment:
                    labels["pod-template-hash"] = Workload.TemplateHash;
                    break;
                case OwnerKind.StatefulSet:
                    labels["statefulset.kubernetes.io/pod-name"] = Name;
                    break;
                case OwnerKind.DaemonSet:
                    labels["controller-revision-hash"] = Naming.Suffix($"{Workload.Namespace}/{Workload.Name}/ds", 10);
                    break;
            }
            return labels;
        }
    }

    /// <summary>The port named <paramref name="name"/>, or the first port when there is no such name.</summary>
    public ContainerPort Port(string name) => Workload.Ports.FirstOrDefault(p => p.Name == name) ?? Workload.Ports[0];
}
