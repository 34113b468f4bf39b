using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PolicyTrail.Identity.Tests.Watch;

/// <summary>One request the fake API server answered.</summary>
public sealed record FakeRequest(string Path, bool Watch, string? ResourceVersion, bool AllowWatchBookmarks);

/// <summary>
/// A Kubernetes API server just real enough for watch tests: discovery (/api, /apis, group versions), cluster-wide
/// LIST and WATCH (newline-delimited watch events) of the resources PolicyTrail follows, on 127.0.0.1, plain HTTP
/// (KubernetesClient accepts an http:// server in a kubeconfig). Each test scripts it: the objects a LIST returns,
/// and what each WATCH stream says and when it ends (events, bookmarks, ERROR 410, a dropped connection).
/// </summary>
public sealed class FakeApiServer : IAsyncDisposable
{
    public const string AdminGroupVersion = "policy.networking.k8s.io/v1alpha1";

    private static readonly (string Plural, string GroupVersion, string Kind, bool Namespaced)[] Served =
    [
        ("pods", "v1", "Pod", true),
        ("namespaces", "v1", "Namespace", false),
        ("services", "v1", "Service", true),
        ("nodes", "v1", "Node", false),
        ("endpointslices", "discovery.k8s.io/v1", "EndpointSlice", true),
        ("networkpolicies", "networking.k8s.io/v1", "NetworkPolicy", true),
        ("replicasets", "apps/v1", "ReplicaSet", true),
        ("jobs", "batch/v1", "Job", true),
        ("adminnetworkpolicies", AdminGroupVersion, "AdminNetworkPolicy", false),
        ("baselineadminnetworkpolicies", AdminGroupVersion, "BaselineAdminNetworkPolicy", false),
    ];

    private readonly WebApplication _app;
    private readonly Dictionary<string, FakeResource> _resources;
    private long _resourceVersion = 1000;

    private FakeApiServer(WebApplication app)
    {
        _app = app;
        _resources = Served.ToDictionary(s => s.Plural, s => new FakeResource(this, s.Plural, s.GroupVersion, s.Kind, s.Namespaced));
    }

    /// <summary>Whether policy.networking.k8s.io/v1alpha1 is served (false: discovery and its resources answer 404).</summary>
    public bool AdminPoliciesServed { get; set; } = true;

    /// <summary>Every request answered, in order.</summary>
    public ConcurrentQueue<FakeRequest> Requests { get; } = new();

    /// <summary>The server's address.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The scripted state and watch streams of one resource.</summary>
    public FakeResource this[string plural] => _resources[plural];

    /// <summary>Starts the server on a free port of 127.0.0.1.</summary>
    public static async Task<FakeApiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        var server = new FakeApiServer(app);
        app.MapGet("/{**path}", server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = new Uri(address);
        return server;
    }

    /// <summary>Writes a kubeconfig whose only context points at this server; returns its path.</summary>
    public string WriteKubeconfig(string path)
    {
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: {Url.ToString().TrimEnd('/')}
            users:
            - name: tester
              user:
                token: fake-token
            contexts:
            - name: fake
              context:
                cluster: fake
                user: tester
            current-context: fake
            """);
        return path;
    }

    /// <summary>The watch requests seen for a resource, in order.</summary>
    public IReadOnlyList<FakeRequest> Watches(string plural) => Requests.Where(r => r.Watch && r.Path.EndsWith("/" + plural, StringComparison.Ordinal)).ToList();

    /// <summary>Waits until a resource has been asked for at least <paramref name="count"/> watches.</summary>
    public async Task WaitForWatchesAsync(string plural, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (Watches(plural).Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{plural}: {Watches(plural).Count} watches, expected {count}");
            }
            await Task.Delay(5);
        }
    }

    internal string NextResourceVersion() => Interlocked.Increment(ref _resourceVersion).ToString(CultureInfo.InvariantCulture);

    internal string CurrentResourceVersion => Interlocked.Read(ref _resourceVersion).ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        foreach (var r in _resources.Values)
        {
            r.Complete();
        }
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context, string? path)
    {
        var parts = (path ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        var query = context.Request.Query;
        var watch = query["watch"].ToString() is "true" or "1";
        var rv = query.TryGetValue("resourceVersion", out var v) ? v.ToString() : null;
        Requests.Enqueue(new FakeRequest("/" + string.Join('/', parts), watch, rv, query["allowWatchBookmarks"].ToString() is "true" or "1"));
        switch (parts)
        {
            case ["api"]:
                await Json(context, new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1") });
                return;
            case ["apis"]:
                await Json(context, GroupList());
                return;
            case ["api", "v1"]:
                await Json(context, ResourceList("v1"));
                return;
            case ["apis", var g, var ver]:
                if (!IsServed($"{g}/{ver}"))
                {
                    await Status(context, 404, "NotFound", "the server could not find the requested resource");
                    return;
                }
                await Json(context, ResourceList($"{g}/{ver}"));
                return;
            case ["api", "v1", var plural] when _resources.TryGetValue(plural, out var r) && r.GroupVersion == "v1":
                await r.ServeAsync(context, watch, rv);
                return;
            case ["apis", var g, var ver, var plural] when _resources.TryGetValue(plural, out var r) && r.GroupVersion == $"{g}/{ver}" && IsServed(r.GroupVersion):
                await r.ServeAsync(context, watch, rv);
                return;
            default:
                await Status(context, 404, "NotFound", "the server could not find the requested resource");
                return;
        }
    }

    private bool IsServed(string groupVersion) =>
        Served.Any(s => s.GroupVersion == groupVersion) && (groupVersion != AdminGroupVersion || AdminPoliciesServed);

    private JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (var gv in Served.Select(s => s.GroupVersion).Where(gv => gv != "v1" && IsServed(gv)).Distinct())
        {
            var version = new JsonObject { ["groupVersion"] = gv, ["version"] = gv.Split('/')[1] };
            groups.Add(new JsonObject { ["name"] = gv.Split('/')[0], ["versions"] = new JsonArray(version), ["preferredVersion"] = version.DeepClone() });
        }
        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    private static JsonObject ResourceList(string groupVersion) => new()
    {
        ["kind"] = "APIResourceList",
        ["apiVersion"] = "v1",
        ["groupVersion"] = groupVersion,
        ["resources"] = new JsonArray(Served.Where(s => s.GroupVersion == groupVersion).Select(s => (JsonNode)new JsonObject
        {
            ["name"] = s.Plural,
            ["singularName"] = "",
            ["namespaced"] = s.Namespaced,
            ["kind"] = s.Kind,
            ["verbs"] = new JsonArray("get", "list", "watch"),
        }).ToArray()),
    };

    internal static Task Json(HttpContext context, JsonNode body, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString(), Encoding.UTF8);
    }

    internal static JsonObject StatusObject(int code, string reason, string message) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["code"] = code,
    };

    internal static Task Status(HttpContext context, int code, string reason, string message) =>
        Json(context, StatusObject(code, reason, message), code);
}

/// <summary>One resource of the fake server: the objects a LIST returns and the script its WATCH streams follow.</summary>
public sealed class FakeResource
{
    private readonly FakeApiServer _server;
    private readonly ConcurrentDictionary<string, JsonObject> _objects = new();
    private readonly Lock _lock = new();
    private readonly List<Step> _steps = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _completed;

    internal FakeResource(FakeApiServer server, string plural, string groupVersion, string kind, bool namespaced)
    {
        _server = server;
        Plural = plural;
        GroupVersion = groupVersion;
        Kind = kind;
        Namespaced = namespaced;
    }

    public string Plural { get; }

    public string GroupVersion { get; }

    public string Kind { get; }

    public bool Namespaced { get; }

    /// <summary>When set, LIST answers with this HTTP status (and a Status body) instead of the objects.</summary>
    public int? ListStatus { get; set; }

    private readonly ConcurrentQueue<int> _refusals = new();

    /// <summary>The next WATCH request answers with this HTTP status (e.g. 410 Gone) instead of a stream; queue several for several.</summary>
    public void RefuseNextWatch(int status) => _refusals.Enqueue(status);

    /// <summary>The creationTimestamp given to new objects.</summary>
    public DateTimeOffset CreatedAt { get; set; } = new(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Creates or updates an object (new resourceVersion); with <paramref name="emit"/>, its watch event is queued.</summary>
    public JsonObject Put(string? ns, string name, IReadOnlyDictionary<string, string>? labels = null, bool emit = true)
    {
        var key = Key(ns, name);
        var existing = _objects.TryGetValue(key, out var old);
        var metadata = new JsonObject
        {
            ["name"] = name,
            ["uid"] = existing ? old!["metadata"]!["uid"]!.GetValue<string>() : Guid.NewGuid().ToString(),
            ["resourceVersion"] = _server.NextResourceVersion(),
            ["creationTimestamp"] = existing ? old!["metadata"]!["creationTimestamp"]!.GetValue<string>() : CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        };
        if (ns is not null)
        {
            metadata["namespace"] = ns;
        }
        if (labels is not null)
        {
            metadata["labels"] = new JsonObject(labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value)));
        }
        var obj = new JsonObject { ["apiVersion"] = GroupVersion, ["kind"] = Kind, ["metadata"] = metadata };
        _objects[key] = obj;
        if (emit)
        {
            Event(existing ? "MODIFIED" : "ADDED", obj);
        }
        return obj;
    }

    /// <summary>Deletes an object; with <paramref name="emit"/>, its DELETED event is queued.</summary>
    public JsonObject Remove(string? ns, string name, bool emit = true)
    {
        if (!_objects.TryRemove(Key(ns, name), out var obj))
        {
            throw new InvalidOperationException($"{Plural}: no {Key(ns, name)}");
        }
        obj = obj.DeepClone().AsObject();
        obj["metadata"]!["resourceVersion"] = _server.NextResourceVersion();
        if (emit)
        {
            Event("DELETED", obj);
        }
        return obj;
    }

    /// <summary>Queues a BOOKMARK at the server's current resourceVersion (advancing it first); returns that version.</summary>
    public string Bookmark()
    {
        var rv = _server.NextResourceVersion();
        Event("BOOKMARK", new JsonObject { ["apiVersion"] = GroupVersion, ["kind"] = Kind, ["metadata"] = new JsonObject { ["resourceVersion"] = rv } });
        return rv;
    }

    /// <summary>Queues an ERROR event with a 410 Expired Status; the stream then ends, as the API server does.</summary>
    public void Expire() => Enqueue(new Step(null, async context =>
    {
        await WriteEventAsync(context, "ERROR", FakeApiServer.StatusObject(410, "Expired", "too old resource version"));
        return false;
    }));

    /// <summary>Queues an abrupt end of the current watch connection (reset, no clean end of the response).</summary>
    public void Drop() => Enqueue(new Step(null, context =>
    {
        context.Abort();
        return Task.FromResult(false);
    }));

    /// <summary>Queues a clean end of the current watch response (as when the server's watch timeout ends it).</summary>
    public void Close() => Enqueue(new Step(null, _ => Task.FromResult(false)));

    internal void Complete()
    {
        lock (_lock)
        {
            _completed = true;
            _changed.TrySetResult();
        }
    }

    /// <summary>
    /// One scripted step. Events carry their resourceVersion and, as on a real server, every watch from an older
    /// resourceVersion delivers them (so a reconnect replays what its client missed); the other steps (drop, close,
    /// ERROR) happen once, to whichever watch reaches them first.
    /// </summary>
    private sealed record Step(long? ResourceVersion, Func<HttpContext, Task<bool>> Run)
    {
        public bool Consumed { get; set; }
    }

    private void Event(string type, JsonObject obj)
    {
        var copy = obj.DeepClone();
        var rv = long.Parse(obj["metadata"]!["resourceVersion"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        Enqueue(new Step(rv, async context =>
        {
            await WriteEventAsync(context, type, copy);
            return true;
        }));
    }

    private void Enqueue(Step step)
    {
        lock (_lock)
        {
            _steps.Add(step);
            var changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            changed.TrySetResult();
        }
    }

    private static async Task WriteEventAsync(HttpContext context, string type, JsonNode obj)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj }.ToJsonString() + "\n";
        await context.Response.WriteAsync(line, Encoding.UTF8, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    internal async Task ServeAsync(HttpContext context, bool watch, string? resourceVersion)
    {
        if (!watch)
        {
            if (ListStatus is { } status)
            {
                await FakeApiServer.Status(context, status, status == 403 ? "Forbidden" : "NotFound", $"{Plural} is not available");
                return;
            }
            var items = new JsonArray(_objects.Values.OrderBy(o => o["metadata"]!["namespace"]?.GetValue<string>(), StringComparer.Ordinal)
                .ThenBy(o => o["metadata"]!["name"]!.GetValue<string>(), StringComparer.Ordinal)
                .Select(o =>
                {
                    // As the API server lists: items without apiVersion and kind.
                    var item = o.DeepClone().AsObject();
                    item.Remove("apiVersion");
                    item.Remove("kind");
                    return (JsonNode)item;
                }).ToArray());
            var list = new JsonObject
            {
                ["apiVersion"] = GroupVersion,
                ["kind"] = Kind + "List",
                ["metadata"] = new JsonObject { ["resourceVersion"] = _server.CurrentResourceVersion },
                ["items"] = items,
            };
            await FakeApiServer.Json(context, list);
            return;
        }
        if (_refusals.TryDequeue(out var code))
        {
            await FakeApiServer.Status(context, code, code == 410 ? "Expired" : "InternalError", "watch refused");
            return;
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.Body.FlushAsync(context.RequestAborted);
        var from = long.TryParse(resourceVersion, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
        var cursor = 0;
        try
        {
            while (true)
            {
                Step? next = null;
                Task changed;
                lock (_lock)
                {
                    while (next is null && cursor < _steps.Count)
                    {
                        var step = _steps[cursor++];
                        if (step.ResourceVersion is { } rv ? rv <= from : step.Consumed)
                        {
                            continue;
                        }
                        step.Consumed = true;
                        next = step;
                    }
                    if (next is null && _completed)
                    {
                        return;
                    }
                    changed = _changed.Task;
                }
                if (next is null)
                {
                    await changed.WaitAsync(context.RequestAborted);
                    continue;
                }
                from = next.ResourceVersion ?? from;
                if (!await next.Run(context))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away.
        }
    }

    private string Key(string? ns, string name) => Namespaced ? $"{ns}/{name}" : name;
}
