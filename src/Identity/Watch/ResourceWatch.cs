using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using PolicyTrail.Identity.History;

namespace PolicyTrail.Identity.Watch;

/// <summary>
/// The LIST-then-WATCH loop of one resource: keeps the last known state of each object, turns watch events into
/// changes, resumes dropped watches from the last resourceVersion, and relists (reconciling against the known state,
/// with a gap) when the server can no longer resume.
/// </summary>
internal sealed class ResourceWatch(WatchedResource resource, IKubernetes client, IClusterChangeSink sink, ClusterWatcherOptions options)
{
    private readonly Dictionary<string, WatchedObject> _known = new(StringComparer.Ordinal);
    private string? _resourceVersion;

    /// <summary>The resourceVersion the next watch starts from (the last event's or bookmark's, else the list's).</summary>
    public string? ResourceVersion => _resourceVersion;

    /// <summary>Lists, then watches until cancelled; returns at once when the server does not serve or forbids the resource.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var listed = await ListAsync(initial: true, cancellationToken).ConfigureAwait(false);
        if (listed is null)
        {
            return;
        }
        // The start-up list observes state, not changes: each object is in force at the list time, since some time
        // after its creation (the only bound the list gives). Nothing was watched before, so there is no gap.
        var listedAt = Now();
        if (options.Known is { } known && options.KnownUntil is { } knownUntil)
        {
            // A state recorded before: only what differs from it changed, at some time since it was last observed.
            foreach (var change in known.Where(c => c.Kind == resource.Kind && c.Type != ChangeType.Deleted))
            {
                var meta = new V1ObjectMeta { Uid = change.Uid, NamespaceProperty = change.Namespace, Name = change.Name, ResourceVersion = change.ResourceVersion };
                var obj = new WatchedObject(meta, change.ObjectJson ?? "{}");
                _known[obj.Key] = obj;
            }
            Reconcile(listed, knownUntil, listedAt);
        }
        else
        {
            foreach (var obj in listed.Items)
            {
                _known[obj.Key] = obj;
                Record(ChangeType.Added, obj, listedAt, CreationNanos(obj) ?? 0);
            }
        }
        _resourceVersion = listed.ResourceVersion;

        var backoff = new Backoff(options.InitialBackoff, options.MaxBackoff);
        long? stoppedAt = null;
        string? firstReason = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var outcome = await WatchOnceAsync(stoppedAt, cancellationToken).ConfigureAwait(false);
            if (outcome is null)
            {
                return;
            }
            if (outcome.Delivered)
            {
                // The stream resumed (the server accepted the resourceVersion and delivered what followed it):
                // whatever outage came before is covered; only this stream's own end counts from here.
                backoff.Reset();
                stoppedAt = null;
                firstReason = null;
            }
            if (stoppedAt is null)
            {
                stoppedAt = outcome.StoppedAt;
                firstReason = outcome.Reason;
                if (outcome.Failed || outcome.Expired)
                {
                    Warn($"{resource.Plural}: watch disconnected: {outcome.Reason}; {(outcome.Expired ? "relisting" : "reconnecting")}");
                }
            }
            if (outcome.Expired)
            {
                var relisted = await ListAsync(initial: false, cancellationToken).ConfigureAwait(false);
                if (relisted is null)
                {
                    return;
                }
                var relistedAt = Now();
                Reconcile(relisted, stoppedAt.Value, relistedAt);
                var reason = firstReason == outcome.Reason ? firstReason : $"{firstReason}; resuming failed: {outcome.Reason}";
                sink.Gap(stoppedAt.Value, relistedAt, $"{resource.Plural}: watch disconnected: {reason}");
                _resourceVersion = relisted.ResourceVersion;
                stoppedAt = null;
                firstReason = null;
                backoff.Reset();
                continue;
            }
            if (outcome.Failed || !outcome.Delivered)
            {
                if (!await DelayAsync(backoff.Next(), cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
    }

    private sealed record WatchOutcome(long StoppedAt, bool Delivered, bool Expired, bool Failed, string Reason);

    /// <summary>One watch request, read to its end. Null when cancelled.</summary>
    private async Task<WatchOutcome?> WatchOnceAsync(long? stoppedAt, CancellationToken cancellationToken)
    {
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? error = null;
        var delivered = false;
        long firstAt = 0;
        var backlogSince = stoppedAt;
        try
        {
            await foreach (var (type, obj) in resource.WatchAsync(client, _resourceVersion, OnError, stream.Token).ConfigureAwait(false))
            {
                var now = Now();
                if (!delivered)
                {
                    delivered = true;
                    firstAt = now;
                }
                // After a reconnect the server first replays what happened while the watch was down: those changes
                // happened at some time after the stop, not when received. The backlog ends at the first bookmark
                // (its resourceVersion is past every replayed event) or after the catch-up window.
                if (backlogSince is not null && (type == WatchEventType.Bookmark || now - firstAt > options.CatchUpWindow.Ticks * 100))
                {
                    backlogSince = null;
                }
                Apply(type, obj, now, backlogSince);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (OperationCanceledException) when (error is not null)
        {
            // An ERROR event: reading stopped on purpose.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            error ??= e;
        }
        if (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        var at = Now();
        if (error is null)
        {
            return new WatchOutcome(at, delivered, Expired: false, Failed: false, "the server closed the watch");
        }
        var expired = StatusCode(error) == 410;
        return new WatchOutcome(at, delivered, expired, Failed: !expired, Describe(error));

        void OnError(Exception e)
        {
            // A Status in an ERROR event (410 Gone when the resourceVersion is too old), or a line that is not an
            // event: either way this stream cannot be trusted further.
            error ??= e;
            stream.Cancel();
        }
    }

    private void Apply(WatchEventType type, WatchedObject obj, long now, long? notBefore)
    {
        if (obj.Metadata.ResourceVersion is { Length: > 0 } rv)
        {
            _resourceVersion = rv;
        }
        switch (type)
        {
            case WatchEventType.Added:
                _known[obj.Key] = obj;
                Record(ChangeType.Added, obj, now, notBefore);
                break;
            case WatchEventType.Modified:
                _known[obj.Key] = obj;
                Record(ChangeType.Modified, obj, now, notBefore);
                break;
            case WatchEventType.Deleted:
                _known.Remove(obj.Key);
                Record(ChangeType.Deleted, obj, now, notBefore);
                break;
            case WatchEventType.Bookmark:
            case WatchEventType.Error:
            default:
                break;
        }
    }

    /// <summary>
    /// A relist after the watch stopped at <paramref name="stoppedAt"/>: what is new was added, what has another
    /// resourceVersion was modified, what is missing was deleted, each at some time in (stoppedAt, now].
    /// </summary>
    private void Reconcile(ListedObjects listed, long stoppedAt, long now)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var obj in listed.Items)
        {
            seen.Add(obj.Key);
            if (!_known.TryGetValue(obj.Key, out var old))
            {
                Record(ChangeType.Added, obj, now, stoppedAt);
            }
            else if (old.Metadata.ResourceVersion != obj.Metadata.ResourceVersion)
            {
                Record(ChangeType.Modified, obj, now, stoppedAt);
            }
            _known[obj.Key] = obj;
        }
        var gone = _known.Where(p => !seen.Contains(p.Key))
            .OrderBy(p => p.Value.Metadata.NamespaceProperty, StringComparer.Ordinal)
            .ThenBy(p => p.Value.Metadata.Name, StringComparer.Ordinal)
            .Select(p => p.Value)
            .ToList();
        foreach (var obj in gone)
        {
            _known.Remove(obj.Key);
            Record(ChangeType.Deleted, obj, now, stoppedAt);
        }
    }

    /// <summary>
    /// LIST with retries. At start-up a 404 or 403 means the server does not serve, or forbids, this resource: one
    /// warning and null. Null also when cancelled.
    /// </summary>
    private async Task<ListedObjects?> ListAsync(bool initial, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(options.InitialBackoff, options.MaxBackoff);
        var warned = false;
        while (true)
        {
            try
            {
                return await resource.ListAsync(client, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return null;
            }
            catch (HttpOperationException e) when (initial && e.Response?.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
            {
                var why = e.Response!.StatusCode == HttpStatusCode.NotFound ? "the server does not serve it (404 Not Found)" : "access is forbidden (403 Forbidden)";
                Warn($"{resource.Plural}: not watched: {why}");
                return null;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (!warned)
                {
                    Warn($"{resource.Plural}: list failed: {Describe(e)}; retrying");
                    warned = true;
                }
            }
            if (!await DelayAsync(backoff.Next(), cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }
    }

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, options.Time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private void Record(ChangeType type, WatchedObject obj, long time, long? notBefore) => sink.Record(new ClusterChange
    {
        Time = time,
        NotBefore = notBefore,
        Type = type,
        Kind = resource.Kind,
        Namespace = obj.Metadata.NamespaceProperty,
        Name = obj.Metadata.Name ?? "",
        Uid = obj.Metadata.Uid,
        ResourceVersion = obj.Metadata.ResourceVersion,
        ObjectJson = obj.Json,
        Origin = "watch",
    });

    private void Warn(string line) => options.Warning?.Invoke(line);

    private long Now() => ToNanos(options.Time.GetUtcNow());

    internal static long ToNanos(DateTimeOffset t) => checked((t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100);

    private static long? CreationNanos(WatchedObject obj) =>
        obj.Metadata.CreationTimestamp is { } created ? ToNanos(new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc))) : null;

    /// <summary>The HTTP or Status code an error carries, if any.</summary>
    internal static int? StatusCode(Exception e) => e switch
    {
        HttpOperationException h when h.Response is not null => (int)h.Response.StatusCode,
        KubernetesException k => k.Status?.Code,
        _ => null,
    };

    /// <summary>One line saying what went wrong, for warnings and gap reasons.</summary>
    internal static string Describe(Exception e) => e switch
    {
        KubernetesException k when k.Status is { } s => $"{s.Code} {s.Reason}: {s.Message}",
        HttpOperationException h when h.Response is not null => $"{(int)h.Response.StatusCode} {h.Response.ReasonPhrase}",
        HttpRequestException { InnerException: { } inner } => inner.Message,
        _ => e.Message,
    };
}
