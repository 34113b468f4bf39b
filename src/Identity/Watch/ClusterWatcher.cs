using System.Net;
using k8s;
using k8s.Autorest;
using PolicyTrail.Identity.History;

namespace PolicyTrail.Identity.Watch;

/// <summary>
/// Follows a live cluster: LIST then WATCH of every kind the identity history needs, one loop per resource, each
/// change and each interval not watched handed to an <see cref="IClusterChangeSink"/>.
/// </summary>
/// <remarks>
/// Semantics (docs/WATCH.md says the same for users):
/// <list type="bullet">
/// <item>Start-up list: every object is Added with Time = list time and NotBefore = its creationTimestamp (the
/// state is in force at the list time, since some time after creation). No gap: nothing was watched before.</item>
/// <item>Watch events: Added/Modified/Deleted with Time = receive time. BOOKMARK only advances the resourceVersion.</item>
/// <item>A dropped, failed or server-closed watch is resumed from the last resourceVersion (exponential backoff with
/// jitter after failures). A resumed stream is complete by the API's contract, so it is no gap; the events it
/// replays first (until its first bookmark, or the catch-up window) carry NotBefore = when the watch stopped.</item>
/// <item>410 Gone (ERROR event or HTTP status: the resourceVersion is too old, events were lost) → relist and
/// reconcile with the known state: new objects Added, changed resourceVersion Modified, missing Deleted, all with
/// NotBefore = when the watch stopped and Time = relist time; and one gap from the stop to the relist.</item>
/// <item>A resource the server does not serve (404) or forbids (403) is skipped with one warning. The admin policy
/// kinds are watched only when discovery shows policy.networking.k8s.io/v1alpha1 served.</item>
/// </list>
/// The sink is called by one loop at a time; no call happens after <see cref="RunAsync"/> returns.
/// </remarks>
public sealed class ClusterWatcher
{
    private readonly IKubernetes _client;
    private readonly IClusterChangeSink _sink;
    private readonly ClusterWatcherOptions _options;

    /// <summary>A watcher over an API client; the sink receives every change and gap.</summary>
    public ClusterWatcher(IKubernetes client, IClusterChangeSink sink, ClusterWatcherOptions? options = null)
    {
        _client = client;
        _sink = new SerializedSink(sink);
        _options = options ?? new ClusterWatcherOptions();
    }

    /// <summary>
    /// An API client from a kubeconfig file and context (each defaulting as kubectl does: $KUBECONFIG, ~/.kube/config,
    /// its current context), or in-cluster config when neither is given and no kubeconfig exists.
    /// </summary>
    public static IKubernetes Connect(string? kubeconfigPath, string? context)
    {
        var config = kubeconfigPath is null && context is null
            ? KubernetesClientConfiguration.BuildDefaultConfig()
            : KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfigPath, context);
        return new Kubernetes(config);
    }

    /// <summary>Watches until cancelled, then stops every watch and returns; a bug in one loop stops all and is thrown.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var loops = WatchedResource.All.Where(r => !r.Optional)
            .Select(r => Guard(new ResourceWatch(r, _client, _sink, _options).RunAsync(stop.Token), stop))
            .Append(Guard(AdminPoliciesAsync(stop.Token), stop))
            .ToList();
        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    private static async Task Guard(Task loop, CancellationTokenSource stop)
    {
        try
        {
            await loop.ConfigureAwait(false);
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task AdminPoliciesAsync(CancellationToken cancellationToken)
    {
        var optional = WatchedResource.All.Where(r => r.Optional).ToList();
        var served = await ServedAsync(optional, cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(served.Select(r => new ResourceWatch(r, _client, _sink, _options).RunAsync(cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>Asks discovery which of the optional resources the server serves; retries other failures until cancelled.</summary>
    private async Task<IReadOnlyList<WatchedResource>> ServedAsync(IReadOnlyList<WatchedResource> optional, CancellationToken cancellationToken)
    {
        var names = string.Join(", ", optional.Select(r => r.Plural));
        var groupVersion = $"{WatchedResource.AdminPolicyGroup}/{WatchedResource.AdminPolicyVersion}";
        var backoff = new Backoff(_options.InitialBackoff, _options.MaxBackoff);
        var warned = false;
        while (true)
        {
            try
            {
                var list = await _client.CustomObjects.GetAPIResourcesAsync(WatchedResource.AdminPolicyGroup, WatchedResource.AdminPolicyVersion, cancellationToken).ConfigureAwait(false);
                var plurals = (list?.Resources ?? []).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
                foreach (var missing in optional.Where(r => !plurals.Contains(r.Plural)))
                {
                    _options.Warning?.Invoke($"{missing.Plural}: not watched: {groupVersion} is served without it");
                }
                return optional.Where(r => plurals.Contains(r.Plural)).ToList();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return [];
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
            {
                var why = e.Response!.StatusCode == HttpStatusCode.NotFound ? "the server does not serve" : "access is forbidden to";
                _options.Warning?.Invoke($"{names}: not watched: {why} {groupVersion}");
                return [];
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (!warned)
                {
                    _options.Warning?.Invoke($"{names}: discovery of {groupVersion} failed: {ResourceWatch.Describe(e)}; retrying");
                    warned = true;
                }
            }
            try
            {
                await Task.Delay(backoff.Next(), _options.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return [];
            }
        }
    }

    /// <summary>Hands the sink one call at a time: the loops run concurrently, sinks need not be thread-safe.</summary>
    private sealed class SerializedSink(IClusterChangeSink inner) : IClusterChangeSink
    {
        private readonly Lock _lock = new();

        public void Record(ClusterChange change)
        {
            lock (_lock)
            {
                inner.Record(change);
            }
        }

        public void Gap(long fromUnixNanos, long toUnixNanos, string reason)
        {
            lock (_lock)
            {
                inner.Gap(fromUnixNanos, toUnixNanos, reason);
            }
        }
    }
}
