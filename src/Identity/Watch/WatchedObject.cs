using k8s;
using k8s.Models;

namespace PolicyTrail.Identity.Watch;

/// <summary>One object as received from the API server: its metadata and its JSON as the API spells it.</summary>
internal sealed record WatchedObject(V1ObjectMeta Metadata, string Json)
{
    /// <summary>
    /// Identity of the object across its life: the UID (a name reused after deletion is another object), else
    /// namespace/name for the rare object the server sends without one.
    /// </summary>
    public string Key => Metadata.Uid is { Length: > 0 } uid ? uid : $"{Metadata.NamespaceProperty}/{Metadata.Name}";

    /// <summary>Wraps a typed object; list items come without apiVersion and kind, so those are filled in first.</summary>
    public static WatchedObject From<T>(T obj, string apiVersion, string kind)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        obj.ApiVersion ??= apiVersion;
        obj.Kind ??= kind;
        return new WatchedObject(obj.Metadata ?? new V1ObjectMeta(), KubernetesJson.Serialize(obj));
    }
}

/// <summary>What one LIST returned: the objects and the resourceVersion to watch from.</summary>
internal sealed record ListedObjects(IReadOnlyList<WatchedObject> Items, string? ResourceVersion);
