using PolicyTrail.Core.Cluster;

namespace PolicyTrail.Identity.Snapshots;

/// <summary>
/// One object of a snapshot as read, before mapping: what the identity history needs to diff snapshots and to record
/// each change with the object's own JSON.
/// </summary>
/// <param name="Kind">One of <see cref="History.ObjectKinds"/>.</param>
/// <param name="Namespace">metadata.namespace ("default" when a namespaced object has none); null for cluster-scoped kinds.</param>
/// <param name="Name">metadata.name.</param>
/// <param name="Uid">metadata.uid, when present.</param>
/// <param name="ResourceVersion">metadata.resourceVersion, when present.</param>
/// <param name="Json">The object as JSON text, as it stood in the input (YAML input converted).</param>
public sealed record KubeObject(string Kind, string? Namespace, string Name, string? Uid, string? ResourceVersion, string Json)
{
    /// <summary>metadata.creationTimestamp, when present and valid.</summary>
    public DateTimeOffset? CreationTime { get; init; }
    /// <summary>Where it was read from.</summary>
    public SourceLocation? Source { get; init; }

    /// <summary>"namespace/name" or "name", as <see cref="History.ClusterChange.Key"/> spells it.</summary>
    public string Key => Namespace is null ? Name : $"{Namespace}/{Name}";
}
