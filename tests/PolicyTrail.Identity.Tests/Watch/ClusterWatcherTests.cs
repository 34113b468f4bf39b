using System.Text.Json.Nodes;
using k8s;
using PolicyTrail.Identity.History;
using PolicyTrail.Identity.Watch;

namespace PolicyTrail.Identity.Tests.Watch;

/// <summary>A watcher against the fake API server, with short backoff delays and a stepping clock.</summary>
internal sealed class WatchHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("policytrail-watch-").FullName;
    private readonly List<string> _warnings = [];
    private IKubernetes? _client;

    private WatchHarness(FakeApiServer server) => Server = server;

    public FakeApiServer Server { get; }

    public RecordingSink Sink { get; } = new();

    public Task? Run { get; private set; }

    public IReadOnlyList<string> Warnings
    {
        get
        {
            lock (_warnings)
            {
                return _warnings.ToList();
            }
        }
    }

    public static async Task<WatchHarness> CreateAsync() => new(await FakeApiServer.StartAsync());

    /// <summary>Starts the watcher (through a kubeconfig, as the CLI does) and waits for the pods watch to open.</summary>
    public async Task StartAsync()
    {
        _client = ClusterWatcher.Connect(Server.WriteKubeconfig(Path.Combine(_dir, "kubeconfig")), "fake");
        var watcher = new ClusterWatcher(_client, Sink, new ClusterWatcherOptions
        {
            Time = new SteppingClock(),
            InitialBackoff = TimeSpan.FromMilliseconds(5),
            MaxBackoff = TimeSpan.FromMilliseconds(40),
            Warning = w =>
            {
                lock (_warnings)
                {
                    _warnings.Add(w);
                }
            },
        });
        Run = Task.Run(() => watcher.RunAsync(_stop.Token));
        await Server.WaitForWatchesAsync("pods", 1);
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (Run is not null)
        {
            await Run.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _client?.Dispose();
        await Server.DisposeAsync();
        _stop.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class ClusterWatcherTests
{
    private static string Rv(JsonObject obj) => obj["metadata"]!["resourceVersion"]!.GetValue<string>();

    private static string Uid(JsonObject obj) => obj["metadata"]!["uid"]!.GetValue<string>();

    [Fact]
    public async Task List_then_watch_yields_the_changes_in_order()
    {
        await using var h = await WatchHarness.CreateAsync();
        var pods = h.Server["pods"];
        var a = pods.Put("shop", "a", new Dictionary<string, string> { ["app"] = "web" }, emit: false);
        pods.Put("shop", "b", emit: false);
        h.Server["namespaces"].Put(null, "shop", emit: false);
        var listRv = h.Server.CurrentResourceVersion;
        await h.StartAsync();

        var c = pods.Put("shop", "c");
        var a2 = pods.Put("shop", "a", new Dictionary<string, string> { ["app"] = "web", ["v"] = "2" });
        var b = pods.Remove("shop", "b");
        await h.Sink.WaitForAsync(s => s.Of(ObjectKinds.Pod).Count >= 5, "5 pod changes");

        var changes = h.Sink.Of(ObjectKinds.Pod);
        Assert.Equal(
            ["Added shop/a", "Added shop/b", "Added shop/c", "Modified shop/a", "Deleted shop/b"],
            changes.Select(x => $"{x.Type} {x.Key}"));
        var created = SteppingClock.Nanos(pods.CreatedAt);
        Assert.All(changes.Take(2), x => Assert.Equal(created, x.NotBefore));
        Assert.Equal(changes[0].Time, changes[1].Time);
        Assert.All(changes.Skip(2), x => Assert.Null(x.NotBefore));
        Assert.True(changes.Zip(changes.Skip(1)).All(p => p.First.Time <= p.Second.Time), "times in order");
        Assert.Equal([Rv(a), Rv(c), Rv(a2), Rv(b)], changes.Where((_, i) => i != 1).Select(x => x.ResourceVersion));
        Assert.Equal(Uid(a), changes[3].Uid);
        Assert.All(changes, x => Assert.Equal("watch", x.Origin));

        var json = JsonNode.Parse(changes[3].ObjectJson!)!;
        Assert.Equal("v1", json["apiVersion"]!.GetValue<string>());
        Assert.Equal("Pod", json["kind"]!.GetValue<string>());
        Assert.Equal("2", json["metadata"]!["labels"]!["v"]!.GetValue<string>());
        Assert.Equal("Pod", JsonNode.Parse(changes[0].ObjectJson!)!["kind"]!.GetValue<string>());

        var ns = Assert.Single(h.Sink.Of(ObjectKinds.Namespace));
        Assert.Equal((ChangeType.Added, "shop", (string?)null), (ns.Type, ns.Key, ns.Namespace));

        var watch = h.Server.Watches("pods")[0];
        Assert.True(watch.AllowWatchBookmarks);
        Assert.Equal(listRv, watch.ResourceVersion);
        Assert.Empty(h.Sink.Gaps);
        Assert.Empty(h.Warnings);
    }
}
