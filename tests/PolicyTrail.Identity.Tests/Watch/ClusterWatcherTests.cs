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

    [Fact]
    public async Task A_bookmark_advances_the_resourceVersion_that_the_reconnect_uses()
    {
        await using var h = await WatchHarness.CreateAsync();
        var pods = h.Server["pods"];
        pods.Put("shop", "a", emit: false);
        await h.StartAsync();

        var bookmark = pods.Bookmark();
        pods.Close();
        await h.Server.WaitForWatchesAsync("pods", 2);

        Assert.Equal(bookmark, h.Server.Watches("pods")[1].ResourceVersion);
        Assert.Single(h.Sink.Of(ObjectKinds.Pod));
        Assert.Empty(h.Sink.Gaps);
        // A server that ends a watch cleanly (its timeout) is no failure: nothing to warn about.
        Assert.Empty(h.Warnings);
    }

    [Fact]
    public async Task Error_410_relists_and_reconciles_against_the_known_state_with_a_gap()
    {
        await using var h = await WatchHarness.CreateAsync();
        var pods = h.Server["pods"];
        pods.Put("shop", "keep", emit: false);
        pods.Put("shop", "change", emit: false);
        pods.Put("shop", "gone", emit: false);
        await h.StartAsync();
        var live = pods.Put("shop", "live");
        await h.Sink.WaitForAsync(s => s.Of(ObjectKinds.Pod).Count == 4, "the live event");

        // While the watch falls too far behind, the cluster changes and the server can only answer 410.
        var changed = pods.Put("shop", "change", new Dictionary<string, string> { ["v"] = "2" }, emit: false);
        pods.Remove("shop", "gone", emit: false);
        var added = pods.Put("shop", "new", emit: false);
        var relistRv = h.Server.CurrentResourceVersion;
        pods.Expire();
        await h.Sink.WaitForAsync(s => s.Gaps.Count == 1, "the gap");
        await h.Server.WaitForWatchesAsync("pods", 2);

        var after = h.Sink.Of(ObjectKinds.Pod).Skip(4).ToList();
        Assert.Equal(["Modified shop/change", "Added shop/new", "Deleted shop/gone"], after.Select(x => $"{x.Type} {x.Key}"));
        var gap = Assert.Single(h.Sink.Gaps);
        Assert.StartsWith("pods: watch disconnected: 410 Expired", gap.Reason, StringComparison.Ordinal);
        Assert.True(gap.From < gap.To);
        Assert.All(after, x => Assert.Equal((gap.From, gap.To), (x.NotBefore!.Value, x.Time)));
        Assert.Equal(Rv(changed), after[0].ResourceVersion);
        Assert.Equal(Uid(added), after[1].Uid);
        // The deletion carries the last state known.
        Assert.Equal("gone", JsonNode.Parse(after[2].ObjectJson!)!["metadata"]!["name"]!.GetValue<string>());
        Assert.DoesNotContain(h.Sink.Of(ObjectKinds.Pod), x => x.Key == "shop/keep" && x.Type != ChangeType.Added);
        Assert.Equal(2, h.Server.Requests.Count(r => r.Path == "/api/v1/pods" && !r.Watch));
        Assert.Equal(relistRv, h.Server.Watches("pods")[1].ResourceVersion);
        Assert.Equal(Rv(live), h.Sink.Of(ObjectKinds.Pod)[3].ResourceVersion);
        Assert.Contains(h.Warnings, w => w.StartsWith("pods: watch disconnected: 410", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dropped_connection_resumes_from_the_last_resourceVersion_without_a_gap()
    {
        await using var h = await WatchHarness.CreateAsync();
        var pods = h.Server["pods"];
        await h.StartAsync();

        var x = pods.Put("shop", "x");
        await h.Sink.WaitForAsync(s => s.Of(ObjectKinds.Pod).Count == 1, "the live event");
        pods.Drop();
        // Happens while the watch is down: the resumed stream replays it first.
        pods.Put("shop", "y");
        await h.Server.WaitForWatchesAsync("pods", 2);
        await h.Sink.WaitForAsync(s => s.Of(ObjectKinds.Pod).Count == 2, "the replayed event");
        pods.Bookmark();
        pods.Put("shop", "z");
        await h.Sink.WaitForAsync(s => s.Of(ObjectKinds.Pod).Count == 3, "the live event");

        Assert.Equal(Rv(x), h.Server.Watches("pods")[1].ResourceVersion);
        var changes = h.Sink.Of(ObjectKinds.Pod);
        Assert.Equal(["Added shop/x", "Added shop/y", "Added shop/z"], changes.Select(c => $"{c.Type} {c.Key}"));
        Assert.Null(changes[0].NotBefore);
        // y happened at some time after the drop, not when it was received.
        Assert.True(changes[1].NotBefore > changes[0].Time && changes[1].NotBefore < changes[1].Time, "replayed change is uncertain since the drop");
        Assert.Null(changes[2].NotBefore);
        Assert.Empty(h.Sink.Gaps);
        Assert.Single(h.Warnings, w => w.StartsWith("pods: watch disconnected: ", StringComparison.Ordinal) && w.EndsWith("; reconnecting", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_reconnect_refused_with_410_relists_with_one_gap_from_the_drop()
    {
        await using var h = await WatchHarness.CreateAsync();
        var pods = h.Server["pods"];
        pods.Put("shop", "a", emit: false);
        await h.StartAsync();

        pods.RefuseNextWatch(500);
        pods.RefuseNextWatch(410);
        pods.Remove("shop", "a", emit: false);
        pods.Drop();
        await h.Sink.WaitForAsync(s => s.Gaps.Count == 1, "the gap");
        await h.Server.WaitForWatchesAsync("pods", 4);

        var gap = Assert.Single(h.Sink.Gaps);
        // The first failure names the gap; what made a relist necessary follows.
        Assert.StartsWith("pods: watch disconnected: ", gap.Reason, StringComparison.Ordinal);
        Assert.Contains("resuming failed: 410", gap.Reason, StringComparison.Ordinal);
        var deleted = h.Sink.Of(ObjectKinds.Pod)[^1];
        Assert.Equal((ChangeType.Deleted, "shop/a", gap.From, gap.To), (deleted.Type, deleted.Key, deleted.NotBefore!.Value, deleted.Time));
        // Three refused or failed attempts, then the relist and a watch from its resourceVersion.
        var watches = h.Server.Watches("pods");
        Assert.Equal(watches[0].ResourceVersion, watches[1].ResourceVersion);
        Assert.Equal(watches[0].ResourceVersion, watches[2].ResourceVersion);
        Assert.NotEqual(watches[0].ResourceVersion, watches[3].ResourceVersion);
    }

    [Fact]
    public async Task Admin_policies_not_served_are_skipped_with_one_warning()
    {
        await using var h = await WatchHarness.CreateAsync();
        h.Server.AdminPoliciesServed = false;
        h.Server["pods"].Put("shop", "a", emit: false);
        await h.StartAsync();
        await h.Server.WaitForWatchesAsync("jobs", 1);
        await h.Sink.WaitForAsync(_ => h.Warnings.Count > 0, "a warning");

        var warning = Assert.Single(h.Warnings);
        Assert.Equal($"adminnetworkpolicies, baselineadminnetworkpolicies: not watched: the server does not serve {FakeApiServer.AdminGroupVersion}", warning);
        Assert.DoesNotContain(h.Server.Requests, r => r.Path.Contains("adminnetworkpolicies", StringComparison.Ordinal));
        Assert.Single(h.Sink.Of(ObjectKinds.Pod));
    }

    [Fact]
    public async Task Admin_policies_are_watched_when_served()
    {
        await using var h = await WatchHarness.CreateAsync();
        h.Server["adminnetworkpolicies"].Put(null, "deny-all", emit: false);
        await h.StartAsync();
        await h.Server.WaitForWatchesAsync("adminnetworkpolicies", 1);
        await h.Server.WaitForWatchesAsync("baselineadminnetworkpolicies", 1);
        h.Server["baselineadminnetworkpolicies"].Put(null, "default");
        await h.Sink.WaitForAsync(s => s.Of(ObjectKinds.BaselineAdminNetworkPolicy).Count == 1, "the baseline policy");

        var anp = Assert.Single(h.Sink.Of(ObjectKinds.AdminNetworkPolicy));
        Assert.Equal((ChangeType.Added, "deny-all", (string?)null), (anp.Type, anp.Key, anp.Namespace));
        Assert.Equal(FakeApiServer.AdminGroupVersion, JsonNode.Parse(anp.ObjectJson!)!["apiVersion"]!.GetValue<string>());
        var banp = Assert.Single(h.Sink.Of(ObjectKinds.BaselineAdminNetworkPolicy));
        Assert.Equal((ChangeType.Added, "default"), (banp.Type, banp.Name));
        Assert.Null(banp.NotBefore);
        Assert.True(h.Server.Watches("adminnetworkpolicies")[0].AllowWatchBookmarks);
        Assert.Empty(h.Warnings);
    }

    [Fact]
    public async Task A_forbidden_resource_is_skipped_with_one_warning()
    {
        await using var h = await WatchHarness.CreateAsync();
        h.Server["nodes"].ListStatus = 403;
        await h.StartAsync();
        await h.Sink.WaitForAsync(_ => h.Warnings.Count > 0, "a warning");
        await h.Server.WaitForWatchesAsync("jobs", 1);

        Assert.Equal("nodes: not watched: access is forbidden (403 Forbidden)", Assert.Single(h.Warnings));
        Assert.Empty(h.Server.Watches("nodes"));
    }

    [Fact]
    public async Task Cancellation_stops_every_watch_and_returns()
    {
        await using var h = await WatchHarness.CreateAsync();
        h.Server["pods"].Put("shop", "a", emit: false);
        await h.StartAsync();
        foreach (var plural in new[] { "namespaces", "nodes", "services", "endpointslices", "networkpolicies", "replicasets", "jobs", "adminnetworkpolicies", "baselineadminnetworkpolicies" })
        {
            await h.Server.WaitForWatchesAsync(plural, 1);
        }

        var stopping = System.Diagnostics.Stopwatch.StartNew();
        await h.StopAsync();
        Assert.True(h.Run!.IsCompletedSuccessfully);
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(2), $"stopping took {stopping.Elapsed}");
        var count = h.Sink.Changes.Count;
        h.Server["pods"].Put("shop", "late");
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(count, h.Sink.Changes.Count);
        Assert.Empty(h.Sink.Gaps);
        Assert.Empty(h.Warnings);
    }
}

public sealed class BackoffTests
{
    [Fact]
    public void Delays_double_with_jitter_up_to_the_cap_and_start_over_after_a_reset()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));
        var delays = Enumerable.Range(0, 12).Select(_ => backoff.Next().TotalMilliseconds).ToList();
        for (var i = 0; i < delays.Count; i++)
        {
            var ceiling = Math.Min(30_000, 500 * Math.Pow(2, i));
            Assert.InRange(delays[i], ceiling / 2, ceiling);
        }
        backoff.Reset();
        Assert.InRange(backoff.Next().TotalMilliseconds, 250, 500);
    }
}
