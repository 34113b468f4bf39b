using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using PolicyTrail.Identity.History;

namespace PolicyTrail.Identity.Watch;

/// <summary>How to LIST and WATCH one resource of the API, cluster-wide; every kind reduced to <see cref="WatchedObject"/>.</summary>
internal sealed class WatchedResource
{
    /// <summary>The API group that serves AdminNetworkPolicy and BaselineAdminNetworkPolicy (sigs.k8s.io/network-policy-api).</summary>
    public const string AdminPolicyGroup = "policy.networking.k8s.io";

    /// <summary>Its version.</summary>
    public const string AdminPolicyVersion = "v1alpha1";

    private readonly Func<IKubernetes, CancellationToken, Task<ListedObjects>> _list;
    private readonly Func<IKubernetes, string?, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, WatchedObject)>> _watch;

    private WatchedResource(
        string plural,
        string kind,
        string apiVersion,
        bool optional,
        Func<IKubernetes, CancellationToken, Task<ListedObjects>> list,
        Func<IKubernetes, string?, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, WatchedObject)>> watch)
    {
        Plural = plural;
        Kind = kind;
        ApiVersion = apiVersion;
        Optional = optional;
        _list = list;
        _watch = watch;
    }

    /// <summary>The resource's plural name as in its URL ("pods"); names it in warnings and gap reasons.</summary>
    public string Plural { get; }

    /// <summary>One of <see cref="ObjectKinds"/>.</summary>
    public string Kind { get; }

    /// <summary>"v1", "apps/v1", ...</summary>
    public string ApiVersion { get; }

    /// <summary>Watched only when discovery says its group version is served.</summary>
    public bool Optional { get; }

    /// <summary>LISTs every object (all namespaces) at the latest resourceVersion.</summary>
    public Task<ListedObjects> ListAsync(IKubernetes client, CancellationToken cancellationToken) => _list(client, cancellationToken);

    /// <summary>WATCHes from a resourceVersion, with bookmarks; ERROR events (a Status) go to onError.</summary>
    public IAsyncEnumerable<(WatchEventType Type, WatchedObject Object)> WatchAsync(
        IKubernetes client, string? resourceVersion, Action<Exception> onError, CancellationToken cancellationToken) =>
        _watch(client, resourceVersion, onError, cancellationToken);

    /// <summary>Everything PolicyTrail follows, in the order the loops start.</summary>
    public static IReadOnlyList<WatchedResource> All { get; } =
    [
        Typed<V1Namespace, V1NamespaceList>("namespaces", ObjectKinds.Namespace, "v1",
            (k, ct) => k.CoreV1.ListNamespaceAsync(cancellationToken: ct),
            (k, rv, e, ct) => k.CoreV1.WatchListNamespaceAsync(allowWatchBookmarks: true, resourceVersion: rv, onError: e, cancellationToken: ct)),
        Typed<V1Node, V1NodeList>("nodes", ObjectKinds.Node, "v1",
            (k, ct) => k.CoreV1.ListNodeAsync(cancellationToken: ct),
            (k, rv, e, ct) => k.CoreV1.WatchListNodeAsync(allowWatchBookmarks: true, resourceVersion: rv, onError: e, cancellationToken: ct)),
        Typed<V1Pod, V1PodList>("pods", ObjectKinds.Pod, "v1",
            (k, ct) => k.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: ct),
            (k, rv, e, ct) => k.CoreV1.WatchListPodForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, onError: e, cancellationToken: ct)),
        Typed<V1Service, V1ServiceList>("services", ObjectKinds.Service, "v1",
            (k, ct) => k.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: ct),
            (k, rv, e, ct) => k.CoreV1.WatchListServiceForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, onError: e, cancellationToken: ct)),
        Typed<V1EndpointSlice, V1EndpointSliceList>("endpointslices", ObjectKinds.EndpointSlice, "discovery.k8s.io/v1",
            (k, ct) => k.DiscoveryV1.ListEndpointSliceForAllNamespacesAsync(cancellationToken: ct),
            (k, rv, e, ct) => k.DiscoveryV1.WatchListEndpointSliceForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, onError: e, cancellationToken: ct)),
        Typed<V1NetworkPolicy, V1NetworkPolicyList>("networkpolicies", ObjectKinds.NetworkPolicy, "networking.k8s.io/v1",
            (k, ct) => k.NetworkingV1.ListNetworkPolicyForAllNamespacesAsync(cancellationToken: ct),
            (k, rv, e, ct) => k.NetworkingV1.WatchListNetworkPolicyForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, onError: e, cancellationToken: ct)),
        Typed<V1ReplicaSet, V1ReplicaSetList>("replicasets", ObjectKinds.ReplicaSet, "apps/v1",
            (k, ct) => k.AppsV1.ListReplicaSetForAllNamespacesAsync(cancellationToken: ct),
            (k, rv, e, ct) => k.AppsV1.WatchListReplicaSetForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, onError: e, cancellationToken: ct)),
        Typed<V1Job, V1JobList>("jobs", ObjectKinds.Job, "batch/v1",
            (k, ct) => k.BatchV1.ListJobForAllNamespacesAsync(cancellationToken: ct),
            (k, rv, e, ct) => k.BatchV1.WatchListJobForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, onError: e, cancellationToken: ct)),
        Custom("adminnetworkpolicies", ObjectKinds.AdminNetworkPolicy),
        Custom("baselineadminnetworkpolicies", ObjectKinds.BaselineAdminNetworkPolicy),
    ];

    private static WatchedResource Typed<T, TList>(
        string plural,
        string kind,
        string apiVersion,
        Func<IKubernetes, CancellationToken, Task<TList>> list,
        Func<IKubernetes, string?, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch)
        where T : IKubernetesObject<V1ObjectMeta>
        where TList : IKubernetesObject<V1ListMeta>, IItems<T>
    {
        return new WatchedResource(plural, kind, apiVersion, optional: false,
            async (k, ct) =>
            {
                var body = await list(k, ct).ConfigureAwait(false);
                return new ListedObjects(
                    (body.Items ?? []).Select(o => WatchedObject.From(o, apiVersion, kind)).ToList(),
                    body.Metadata?.ResourceVersion);
            },
            (k, rv, onError, ct) => Map(watch(k, rv, onError, ct), o => WatchedObject.From(o, apiVersion, kind)));
    }

    private static WatchedResource Custom(string plural, string kind)
    {
        var apiVersion = $"{AdminPolicyGroup}/{AdminPolicyVersion}";
        return new WatchedResource(plural, kind, apiVersion, optional: true,
            async (k, ct) =>
            {
                var body = await k.CustomObjects.ListClusterCustomObjectAsync(AdminPolicyGroup, AdminPolicyVersion, plural, cancellationToken: ct).ConfigureAwait(false);
                var list = ToNode(body)?.AsObject() ?? throw new JsonException($"{plural}: the list is not a JSON object");
                var items = list["items"] is JsonArray array
                    ? array.OfType<JsonObject>().Select(o => FromNode(o, apiVersion, kind)).ToList()
                    : [];
                return new ListedObjects(items, list["metadata"]?["resourceVersion"]?.GetValue<string>());
            },
            (k, rv, onError, ct) => Map(
                k.CustomObjects.WatchListClusterCustomObjectAsync(AdminPolicyGroup, AdminPolicyVersion, plural, allowWatchBookmarks: true, resourceVersion: rv, onError: onError, cancellationToken: ct),
                o => FromNode(ToNode(o)?.AsObject() ?? [], apiVersion, kind)));
    }

    private static JsonNode? ToNode(object? body) => body switch
    {
        null => null,
        JsonElement e => JsonNode.Parse(e.GetRawText()),
        JsonNode n => n,
        _ => JsonNode.Parse(KubernetesJson.Serialize(body)),
    };

    private static WatchedObject FromNode(JsonObject obj, string apiVersion, string kind)
    {
        obj["apiVersion"] ??= apiVersion;
        obj["kind"] ??= kind;
        var metadata = obj["metadata"] is JsonObject m ? KubernetesJson.Deserialize<V1ObjectMeta>(m.ToJsonString()) : new V1ObjectMeta();
        return new WatchedObject(metadata, obj.ToJsonString());
    }

    private static async IAsyncEnumerable<(WatchEventType, WatchedObject)> Map<T>(IAsyncEnumerable<(WatchEventType, T)> events, Func<T, WatchedObject> wrap)
    {
        await foreach (var (type, obj) in events.ConfigureAwait(false))
        {
            yield return (type, wrap(obj));
        }
    }
}
