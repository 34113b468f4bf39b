using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PolicyTrail.Identity.History;

namespace PolicyTrail.Identity.Tests.History;

/// <summary>Hand-written Kubernetes objects and changes for the history tests; times are seconds after 2026-01-01T00:00:00Z.</summary>
internal static class Fixtures
{
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Unix ns of a second after the fixtures' epoch.</summary>
    public static long T(double seconds) => (Epoch.ToUnixTimeMilliseconds() * 1_000_000L) + (long)(seconds * 1e9);

    public static string Iso(double seconds) => Epoch.AddSeconds(seconds).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Pod(string ns, string name, string uid, string? ip, double created, string phase = "Running",
        Dictionary<string, string>? labels = null, (string Kind, string Name)? owner = null, string node = "n1",
        bool hostNetwork = false, double? finished = null, double? deletion = null, string serviceAccount = "default", string? rv = null)
    {
        var metadata = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = ns,
            ["uid"] = uid,
            ["creationTimestamp"] = Iso(created),
            ["labels"] = Labels(labels ?? new() { ["app"] = name }),
        };
        if (rv is not null)
        {
            metadata["resourceVersion"] = rv;
        }
        if (owner is { } o)
        {
            metadata["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = o.Kind, ["name"] = o.Name, ["uid"] = "owner-" + o.Name, ["controller"] = true });
        }
        if (deletion is { } d)
        {
            metadata["deletionTimestamp"] = Iso(d);
        }
        var status = new JsonObject { ["phase"] = phase, ["startTime"] = Iso(created) };
        if (ip is not null)
        {
            status["podIP"] = ip;
            status["podIPs"] = new JsonArray(new JsonObject { ["ip"] = ip });
        }
        if (finished is { } f)
        {
            status["containerStatuses"] = new JsonArray(new JsonObject
            {
                ["name"] = "main", ["ready"] = false, ["restartCount"] = 0, ["image"] = "busybox", ["imageID"] = "",
                ["state"] = new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = 0, ["startedAt"] = Iso(created), ["finishedAt"] = Iso(f) } },
            });
        }
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["nodeName"] = node,
                ["serviceAccountName"] = serviceAccount,
                ["hostNetwork"] = hostNetwork,
                ["containers"] = new JsonArray(new JsonObject { ["name"] = "main", ["image"] = "busybox" }),
            },
            ["status"] = status,
        }.ToJsonString();
    }

    public static string Namespace(string name, Dictionary<string, string> labels, string uid = "ns-uid") =>
        new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Namespace",
            ["metadata"] = new JsonObject { ["name"] = name, ["uid"] = uid + name, ["labels"] = Labels(labels) },
        }.ToJsonString();

    public static string Node(string name, string address, string podCidr) =>
        new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Node",
            ["metadata"] = new JsonObject { ["name"] = name, ["uid"] = "node-" + name },
            ["spec"] = new JsonObject { ["podCIDR"] = podCidr, ["podCIDRs"] = new JsonArray(podCidr) },
            ["status"] = new JsonObject { ["addresses"] = new JsonArray(new JsonObject { ["type"] = "InternalIP", ["address"] = address }) },
        }.ToJsonString();

    public static string Service(string ns, string name, string clusterIp) =>
        new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["uid"] = "svc-" + name },
            ["spec"] = new JsonObject
            {
                ["clusterIP"] = clusterIp, ["clusterIPs"] = new JsonArray(clusterIp), ["selector"] = new JsonObject { ["app"] = name },
                ["ports"] = new JsonArray(new JsonObject { ["port"] = 80, ["targetPort"] = 8080, ["protocol"] = "TCP" }),
            },
        }.ToJsonString();

    public static string NetworkPolicy(string ns, string name, string rv, string app) =>
        new JsonObject
        {
            ["apiVersion"] = "networking.k8s.io/v1", ["kind"] = "NetworkPolicy",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["uid"] = "np-" + name, ["resourceVersion"] = rv },
            ["spec"] = new JsonObject
            {
                ["podSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = app } },
                ["policyTypes"] = new JsonArray("Ingress"),
            },
        }.ToJsonString();

    public static string Owned(string kind, string ns, string name, (string Kind, string Name) owner) =>
        new JsonObject
        {
            ["apiVersion"] = kind == "Job" ? "batch/v1" : "apps/v1", ["kind"] = kind,
            ["metadata"] = new JsonObject
            {
                ["name"] = name, ["namespace"] = ns, ["uid"] = "u-" + name,
                ["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = owner.Kind, ["name"] = owner.Name, ["uid"] = "u-" + owner.Name, ["controller"] = true }),
            },
        }.ToJsonString();

    /// <summary>A change of the object in <paramref name="json"/>; kind, namespace, name, uid and resourceVersion are read from it.</summary>
    public static ClusterChange Change(ChangeType type, double at, string json, double? notBefore = null, string? user = null)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var metadata = root.GetProperty("metadata");
        string? Text(string property) => metadata.TryGetProperty(property, out var p) ? p.GetString() : null;
        return new ClusterChange
        {
            Time = T(at),
            NotBefore = notBefore is { } nb ? T(nb) : null,
            Type = type,
            Kind = root.GetProperty("kind").GetString()!,
            Namespace = Text("namespace"),
            Name = Text("name")!,
            Uid = Text("uid"),
            ResourceVersion = Text("resourceVersion"),
            ObjectJson = json,
            User = user,
            Origin = "test",
        };
    }

    public static ClusterTimeline Build(params ClusterChange[] changes)
    {
        var builder = new ClusterTimelineBuilder();
        builder.AddRange(changes);
        var timeline = builder.Build();
        Assert.Empty(timeline.Warnings);
        return timeline;
    }

    public static EndpointAt Lookup(ClusterTimeline timeline, string ip, double at)
    {
        timeline.TryGet(System.Net.IPAddress.Parse(ip), T(at), out var endpoint);
        return endpoint;
    }

    private static JsonObject Labels(Dictionary<string, string> labels)
    {
        var o = new JsonObject();
        foreach (var (k, v) in labels)
        {
            o[k] = v;
        }
        return o;
    }
}
